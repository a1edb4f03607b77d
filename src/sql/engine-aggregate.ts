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
import { testCompare } from '../engine/predicate.js';
import { Unrepresentable, compareCells, compareOrdered, formatCell, newPrintCache, safeMax } from './engine-values.js';
import type { Cell } from './engine-values.js';
import type { AggregatePlan, HavingTerm } from './aggregate-plan.js';
import type { JsonValue, ResultColumn } from './result-types.js';

/** Does a group's aggregate value pass a HAVING comparison? NULL never does; NaN is above every number, as in DuckDB. */
function havingHolds(v: AggValue, t: HavingTerm): boolean {
  if (v === null) return false;
  if (typeof v === 'bigint') {
    if (v < -safeMax || v > safeMax) throw new Unrepresentable(`${String(v)} in HAVING`);
    v = Number(v);
  }
  return testCompare(t.op, compareCells(v, t.value));
}

/** Rows for the plan's outputs, ordered and limited; null when DuckDB must answer instead. */
export function shapeRows(plan: AggregatePlan, groups: GroupResult, columns: ResultColumn[]): JsonValue[][] | null {
  const expected: Record<string, string[]> = {
    count_star: ['BIGINT'], count: ['BIGINT'], count_distinct: ['BIGINT'], sum: ['HUGEINT', 'DOUBLE'], avg: ['DOUBLE'], min: ['INTEGER', 'BIGINT', 'DOUBLE', 'TIMESTAMP'], max: ['INTEGER', 'BIGINT', 'DOUBLE', 'TIMESTAMP'],
    arg_min: ['VARCHAR', 'BOOLEAN', 'INTEGER', 'BIGINT', 'DOUBLE', 'TIMESTAMP'], arg_max: ['VARCHAR', 'BOOLEAN', 'INTEGER', 'BIGINT', 'DOUBLE', 'TIMESTAMP'],
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
        const c = compareOrdered(x[t.output]!, y[t.output]!, t.desc, t.nullsFirst);
        if (c !== 0) return c;
      }
      return 0;
    });
  }
  const limited = plan.limit === null ? raw : raw.slice(0, plan.limit);
  const printed = newPrintCache();
  try {
    return limited.map((r) => r.map((v, i) => formatCell(v, columns[i]!.type, printed)));
  } catch (e) {
    if (e instanceof Unrepresentable) return null;
    throw e;
  }
}
