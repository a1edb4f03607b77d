import type { Limits } from '../core/limits.js';
import { StrataError } from '../core/errors.js';
import { validateName } from '../core/names.js';

export const columnTypes = ['bool', 'int32', 'int64', 'float64', 'string', 'timestamp'] as const;
export type ColumnType = (typeof columnTypes)[number];

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
}

/** A dataset's definition. Columns only ever get added, never removed or retyped. */
export interface DatasetSchema {
  readonly columns: readonly Column[];
  readonly partitionKey: readonly string[];
  readonly sortKey: readonly string[];
  readonly chunkRows: number;
}

export function isColumnType(t: string): t is ColumnType {
  return (columnTypes as readonly string[]).includes(t);
}

/** Parses one `name:type` pair. */
export function parseColumn(spec: string): Column {
  const parts = spec.split(':').map((p) => p.trim());
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new StrataError('STRATA_ERR_INVALID_SCHEMA', `column ${JSON.stringify(spec)} must be written name:type`);
  }
  const [name, type] = parts as [string, string];
  validateName('column', name);
  const lower = type.toLowerCase();
  if (!isColumnType(lower)) {
    throw new StrataError(
      'STRATA_ERR_INVALID_SCHEMA',
      `column ${name}: unknown type ${JSON.stringify(type)} (types: ${columnTypes.join(', ')})`,
      { column: name },
    );
  }
  return { name, type: lower };
}

/** Parses `"ts:timestamp,host:string,v:float64"`. */
export function parseColumns(spec: string): Column[] {
  const items = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new StrataError('STRATA_ERR_INVALID_SCHEMA', 'a schema needs at least one column');
  return items.map(parseColumn);
}

export function parseKeyList(spec: string | readonly string[] | undefined): string[] {
  if (spec === undefined) return [];
  const items = typeof spec === 'string' ? spec.split(',') : [...spec];
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** Checks a whole schema; returns it frozen. */
export function makeSchema(input: {
  columns: readonly Column[];
  partitionKey?: readonly string[];
  sortKey?: readonly string[];
  chunkRows?: number;
}, limits: Pick<Limits, 'chunkRowsDefault' | 'chunkRowsMax' | 'columnsMax'>): DatasetSchema {
  const { chunkRowsDefault, chunkRowsMax } = limits;
  if (input.columns.length > limits.columnsMax) {
    throw new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `a dataset may have at most columnsMax = ${limits.columnsMax} columns`, { limit: 'columnsMax' });
  }
  const columns = input.columns.map((c) => {
    validateName('column', c.name);
    if (!isColumnType(c.type)) throw new StrataError('STRATA_ERR_INVALID_SCHEMA', `column ${c.name}: unknown type ${String(c.type)}`, { column: c.name });
    return Object.freeze({ name: c.name, type: c.type });
  });
  if (columns.length === 0) throw new StrataError('STRATA_ERR_INVALID_SCHEMA', 'a schema needs at least one column');
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new StrataError('STRATA_ERR_INVALID_SCHEMA', `column ${c.name} appears twice`, { column: c.name });
    seen.add(c.name);
  }
  const partitionKey = [...(input.partitionKey ?? [])];
  const sortKey = [...(input.sortKey ?? [])];
  for (const [what, keys] of [['partition key', partitionKey], ['sort key', sortKey]] as const) {
    const inKey = new Set<string>();
    for (const k of keys) {
      if (!seen.has(k)) throw new StrataError('STRATA_ERR_INVALID_SCHEMA', `${what} column ${k} is not in the schema`, { column: k });
      if (inKey.has(k)) throw new StrataError('STRATA_ERR_INVALID_SCHEMA', `${what} names ${k} twice`, { column: k });
      inKey.add(k);
    }
  }
  const chunkRows = input.chunkRows ?? chunkRowsDefault;
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1 || chunkRows > chunkRowsMax) {
    throw new StrataError('STRATA_ERR_INVALID_SCHEMA', `chunkRows must be an integer from 1 to ${chunkRowsMax}, got ${String(input.chunkRows)}`);
  }
  return Object.freeze({ columns: Object.freeze(columns), partitionKey: Object.freeze(partitionKey), sortKey: Object.freeze(sortKey), chunkRows });
}

export function columnIndex(schema: DatasetSchema, name: string): number {
  return schema.columns.findIndex((c) => c.name === name);
}

export function formatSchema(schema: DatasetSchema): string {
  return schema.columns.map((c) => `${c.name}:${c.type}`).join(',');
}
