/**
 * Running a recognized aggregate query in the engine and shaping its rows
 * exactly as DuckDB would: DuckDB itself names and types the output (the
 * same query over an empty scan costs well under a millisecond of work), the
 * engine computes the groups, and values are written in DuckDB's JSON forms.
 * Anything the engine cannot reproduce exactly (a HUGEINT sum beyond 2^53, a
 * timestamp outside years 1-9999, an unexpected output type) returns null
 * and the query runs in DuckDB instead.
 */
import type { AggValue, GroupResult } from '../engine/aggregate.js';
import { cmpString, testCompare } from '../engine/predicate.js';
import type { AggregatePlan, HavingTerm } from './aggregate-plan.js';
import type { JsonValue, ResultColumn } from './result-types.js';

function formatTimestamp(ms: number): string | null {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) return null;
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const frac = d.getUTCMilliseconds() ? `.${p(d.getUTCMilliseconds(), 3).replace(/0+$/, '')}` : '';
  return `${p(y, 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac}`;
}

class Unrepresentable extends Error {}

const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

/** A value as it appears in DuckDB's JSON answers (see result-json.ts): safe integers as numbers, wider ones as strings. */
const printed = new Map<number, string | null>();

function formatValue(v: AggValue | string | boolean, type: string): JsonValue {
  if (v === null) return null;
  if (typeof v === 'bigint') {
    if (type === 'BIGINT' || type === 'HUGEINT') return v >= -safeMax && v <= safeMax ? Number(v) : String(v);
    throw new Unrepresentable(`${String(v)} as ${type}`);
  }
  switch (type) {
    case 'VARCHAR': if (typeof v === 'string') return v; break;
    case 'BOOLEAN': if (typeof v === 'boolean') return v; break;
    case 'INTEGER': case 'BIGINT': case 'HUGEINT':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v; break;
    case 'DOUBLE':
      if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v; break;
    case 'TIMESTAMP':
      if (typeof v === 'number') {
        // Time keys repeat across groups (one hour for every host): print each once.
        let s = printed.get(v);
        if (s === undefined) { s = formatTimestamp(v); printed.set(v, s); }
        if (s !== null) return s;
      }
      break;
  }
  throw new Unrepresentable(`${String(v)} as ${type}`);
}

type Cell = AggValue | string | boolean;

function compare(a: Cell, b: Cell): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = typeof a === 'bigint' ? a : BigInt(a as number); const y = typeof b === 'bigint' ? b : BigInt(b as number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    const an = a !== a; const bn = b !== b;
    if (an || bn) return an && bn ? 0 : an ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return cmpString(a, b);
  return Number(a) - Number(b);
}

/** Does a group's aggregate value pass a HAVING comparison? NULL never does; NaN is above every number, as in DuckDB. */
function havingHolds(v: AggValue, t: HavingTerm): boolean {
  if (v === null) return false;
  if (typeof v === 'bigint') {
    if (v < -safeMax || v > safeMax) throw new Unrepresentable(`${String(v)} in HAVING`);
    v = Number(v);
  }
  return testCompare(t.op, compare(v, t.value));
}

/** Rows for the plan's outputs, ordered and limited; null when DuckDB must answer instead. */
export function shapeRows(plan: AggregatePlan, groups: GroupResult, columns: ResultColumn[]): JsonValue[][] | null {
  const expected: Record<string, string[]> = {
    count_star: ['BIGINT'], count: ['BIGINT'], count_distinct: ['BIGINT'], sum: ['HUGEINT', 'DOUBLE'], avg: ['DOUBLE'], min: ['INTEGER', 'BIGINT', 'DOUBLE', 'TIMESTAMP'], max: ['INTEGER', 'BIGINT', 'DOUBLE', 'TIMESTAMP'],
  };
  if (columns.length !== plan.outputs.length) return null;
  for (const [i, o] of plan.outputs.entries()) {
    const type = columns[i]!.type;
    if (o.kind === 'agg' && !expected[plan.aggs[o.index]!.fn]!.includes(type)) return null;
    if (o.kind === 'key' && !['VARCHAR', 'BOOLEAN', 'INTEGER', 'BIGINT', 'TIMESTAMP'].includes(type)) return null;
  }
  let kept: number[];
  try {
    kept = groups.keys.map((_, g) => g).filter((g) => plan.having.every((t) => havingHolds(groups.values[t.agg]![g]!, t)));
  } catch (e) {
    if (e instanceof Unrepresentable) return null;
    throw e;
  }
  const raw: Cell[][] = kept.map((g) => plan.outputs.map((o) => (o.kind === 'key' ? groups.keys[g]![o.index]! : groups.values[o.index]![g]!)));
  if (plan.keys.length > 0 || raw.length > 0) {
    // Sort raw values (numbers, not their printed forms) by DuckDB's rules: NULLS LAST unless asked.
    raw.sort((x, y) => {
      for (const t of plan.order) {
        const a = x[t.output]!; const b = y[t.output]!;
        if (a === null || b === null) {
          if (a === b) continue;
          return (a === null) === t.nullsFirst ? -1 : 1;
        }
        const c = compare(a, b);
        if (c !== 0) return t.desc ? -c : c;
      }
      return 0;
    });
  }
  const limited = plan.limit === null ? raw : raw.slice(0, plan.limit);
  printed.clear();
  try {
    return limited.map((r) => r.map((v, i) => formatValue(v, columns[i]!.type)));
  } catch (e) {
    if (e instanceof Unrepresentable) return null;
    throw e;
  }
}
