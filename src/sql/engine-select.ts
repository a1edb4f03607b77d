/**
 * Answering a plain selection (select-plan.ts) from the scan's selected rows:
 * in scan order up to the LIMIT, or the top N rows by the ORDER BY columns
 * through a bounded heap, so a top-10 over millions of rows keeps ten. Values
 * are written as DuckDB writes them (engine-values.ts); DuckDB names and
 * types the output, as for engine aggregates.
 */
import type { ColumnValues } from '../chunk/column.js';
import { isValid } from '../chunk/column.js';
import type { ScanChunk } from '../engine/scan.js';
import { Unrepresentable, compareOrdered, formatCell, newPrintCache, safeMax } from './engine-values.js';
import type { Cell } from './engine-values.js';
import type { JsonValue, ResultColumn } from './result-types.js';
import type { SelectPlan } from './select-plan.js';

function cellAt(col: ColumnValues, r: number): Cell {
  if (!isValid(col.valid, r)) return null;
  switch (col.type) {
    case 'string': return col.dict[col.codes[r]!]!;
    case 'bool': return col.values[r] !== 0;
    default: return col.values[r]!;
  }
}

/** A row of one chunk. */
interface RowRef { chunk: number; row: number }

/** The rows' JSON forms, or null when DuckDB must answer (an unexpected output type or a value it would write otherwise). */
export function selectRows(plan: SelectPlan, chunks: readonly ScanChunk[], columns: readonly ResultColumn[], rowsMax: number): JsonValue[][] | 'too-many' | null {
  if (columns.length !== plan.outputs.length) return null;
  const picked = plan.order.length > 0 ? topRows(plan, chunks) : firstRows(chunks, Math.min(plan.limit ?? Infinity, rowsMax + 1));
  if (picked.length > rowsMax) return 'too-many';
  const printed = newPrintCache();
  try {
    // Column by column: one lookup of each chunk's column per run of rows from that chunk.
    const rows = picked.map(() => new Array<JsonValue>(plan.outputs.length));
    plan.outputs.forEach((name, i) => {
      const type = columns[i]!.type;
      let at = -1;
      let col: ColumnValues | undefined;
      for (let r = 0; r < picked.length; r++) {
        const { chunk, row } = picked[r]!;
        if (chunk !== at) { col = chunks[chunk]!.columns.get(name)!; at = chunk; }
        rows[r]![i] = formatCell(cellAt(col!, row), type, printed);
      }
    });
    return rows;
  } catch (e) {
    if (e instanceof Unrepresentable) return null;
    throw e;
  }
}

/**
 * The value of the first ORDER BY key that the plan's LIMIT-th row holds, from
 * chunks holding that column: every row of the answer is at or beyond it
 * (ties included), so the scan of every column can filter on it. Null when it
 * cannot bound anything (fewer rows than the LIMIT, a NULL or NaN there, an
 * int64 beyond 2^53).
 */
export function nthFirstKey(plan: SelectPlan, chunks: readonly ScanChunk[]): number | null {
  const first = plan.order[0]!;
  const top = topRows({ ...plan, order: [first] }, chunks);
  if (top.length < plan.limit! || top.length === 0) return null;
  const last = top[top.length - 1]!;
  const v = cellAt(chunks[last.chunk]!.columns.get(first.column)!, last.row);
  if (typeof v === 'bigint') return v >= -safeMax && v <= safeMax ? Number(v) : null;
  return typeof v === 'number' && !Number.isNaN(v) ? v : null;
}

function firstRows(chunks: readonly ScanChunk[], n: number): RowRef[] {
  const out: RowRef[] = [];
  for (let c = 0; c < chunks.length && out.length < n; c++) {
    const { rows, selection } = chunks[c]!;
    for (let i = 0; i < rows && out.length < n; i++) out.push({ chunk: c, row: selection ? selection[i]! : i });
  }
  return out;
}

/**
 * The plan's LIMIT best rows in ORDER BY order (NULLs last unless asked), by
 * a heap whose root is the worst row kept. A row tied with the worst kept is
 * not taken: as in DuckDB, which of tied rows a LIMIT keeps is unspecified.
 */
function topRows(plan: SelectPlan, chunks: readonly ScanChunk[]): RowRef[] {
  const n = plan.limit!;
  if (n === 0) return [];
  const keys = plan.order;
  const cmp = (a: RowRef, b: RowRef): number => {
    for (const k of keys) {
      const c = compareOrdered(cellAt(chunks[a.chunk]!.columns.get(k.column)!, a.row), cellAt(chunks[b.chunk]!.columns.get(k.column)!, b.row), k.desc, k.nullsFirst);
      if (c !== 0) return c;
    }
    return 0;
  };
  const heap: RowRef[] = [];
  const up = (i: number): void => {
    while (i > 0) { const p = (i - 1) >> 1; if (cmp(heap[i]!, heap[p]!) <= 0) break; [heap[i], heap[p]] = [heap[p]!, heap[i]!]; i = p; }
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1; const r = l + 1; let m = i;
      if (l < heap.length && cmp(heap[l]!, heap[m]!) > 0) m = l;
      if (r < heap.length && cmp(heap[r]!, heap[m]!) > 0) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!]; i = m;
    }
  };
  const first = keys[0]!;
  // A first key of numbers rejects most rows with one comparison against the worst kept row's value
  // (int64 as its two 32-bit words, so no BigInt is made per row).
  const numeric = first.type === 'float64' || first.type === 'int32' || first.type === 'timestamp';
  const wide = first.type === 'int64';
  for (let c = 0; c < chunks.length; c++) {
    const { rows, selection, columns } = chunks[c]!;
    const col = columns.get(first.column)!;
    const nums = numeric ? (col as { values: Float64Array | Int32Array }).values : null;
    const words = wide ? new Int32Array((col as { values: BigInt64Array }).values.buffer, (col as { values: BigInt64Array }).values.byteOffset, col.length * 2) : null;
    let bound = NaN;
    let boundHi = 0;
    let boundLo = 0;
    let boundNull = true;
    const rebound = (): void => {
      const top = heap[0]!;
      const v = cellAt(chunks[top.chunk]!.columns.get(first.column)!, top.row);
      boundNull = v === null;
      if (v === null) return;
      if (typeof v === 'bigint') { boundHi = Number(BigInt.asIntN(32, v >> 32n)); boundLo = Number(BigInt.asUintN(32, v)); } else bound = v as number;
    };
    if ((nums || words) && heap.length === n) rebound();
    for (let i = 0; i < rows; i++) {
      const row = selection ? selection[i]! : i;
      if (!boundNull && heap.length === n) {
        if (isValid(col.valid, row)) {
          // NaN sorts above every number: never rejected here (comparisons with NaN are false).
          if (nums) { const v = nums[row]!; if (bound === bound && (first.desc ? v < bound : v > bound)) continue; }
          else if (words) {
            const hi = words[2 * row + 1]!; const lo = words[2 * row]! >>> 0;
            const below = hi < boundHi || (hi === boundHi && lo < boundLo);
            const above = hi > boundHi || (hi === boundHi && lo > boundLo);
            if (first.desc ? below : above) continue;
          }
        } else if (!first.nullsFirst && (nums || words)) continue;
      }
      const ref = { chunk: c, row };
      if (heap.length < n) { heap.push(ref); up(heap.length - 1); if ((nums || words) && heap.length === n) rebound(); continue; }
      if (cmp(ref, heap[0]!) >= 0) continue;
      heap[0] = ref; down(0);
      if (nums || words) rebound();
    }
  }
  return heap.sort(cmp);
}
