/**
 * DuckDB's JSON form of a value, with integers and decimals that fit a
 * double turned back into numbers (DuckDB gives every BIGINT as a string to
 * stay exact); wider values stay strings. Applied through lists, structs,
 * maps and arrays so nested values look like top-level ones.
 */
import { DuckDBTypeId } from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';
import type { JsonValue } from './result-types.js';

const exactAsString = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.DECIMAL]);

export function normalizeJson(value: JsonValue, type: DuckDBType): JsonValue {
  if (value === null) return null;
  if (exactAsString.has(type.typeId)) {
    if (typeof value !== 'string') return value;
    const n = Number(value);
    return Number.isFinite(n) && (Number.isSafeInteger(n) || value.includes('.')) ? n : value;
  }
  switch (type.typeId) {
    case DuckDBTypeId.LIST: case DuckDBTypeId.ARRAY:
      return Array.isArray(value) ? value.map((v) => normalizeJson(v, type.valueType)) : value;
    case DuckDBTypeId.STRUCT: {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: { [k: string]: JsonValue } = {};
      for (const [k, v] of Object.entries(value)) out[k] = normalizeJson(v, type.typeForEntry(k));
      return out;
    }
    case DuckDBTypeId.MAP:
      return Array.isArray(value)
        ? value.map((e) => (e && typeof e === 'object' && !Array.isArray(e) ? { key: normalizeJson(e.key ?? null, type.keyType), value: normalizeJson(e.value ?? null, type.valueType) } : e))
        : value;
    default:
      return value;
  }
}
