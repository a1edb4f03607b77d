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
import { Unrepresentable, compareCells, formatCell, newPrintCache } from './engine-values.js';
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
    return picked.map(({ chunk, row }) => {
      const c = chunks[chunk]!;
      return plan.outputs.map((name, i) => formatCell(cellAt(c.columns.get(name)!, row), columns[i]!.type, printed));
    });
  } catch (e) {
    if (e instanceof Unrepresentable) return null;
    throw e;
  }
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
      const x = cellAt(chunks[a.chunk]!.columns.get(k.column)!, a.row);
      const y = cellAt(chunks[b.chunk]!.columns.get(k.column)!, b.row);
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === k.nullsFirst ? -1 : 1;
      }
      const c = compareCells(x, y);
      if (c !== 0) return k.desc ? -c : c;
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
  // A numeric first key rejects most rows with one comparison against the worst kept row's value.
  const numeric = first.type === 'float64' || first.type === 'int32' || first.type === 'timestamp';
  for (let c = 0; c < chunks.length; c++) {
    const { rows, selection, columns } = chunks[c]!;
    const fast = numeric ? columns.get(first.column) as ColumnValues & { values: Float64Array | Int32Array } : null;
    let bound = NaN;
    let boundNull = false;
    const rebound = (): void => {
      const v = cellAt(chunks[heap[0]!.chunk]!.columns.get(first.column)!, heap[0]!.row);
      boundNull = v === null; bound = v === null ? NaN : (v as number);
    };
    if (fast && heap.length === n) rebound();
    for (let i = 0; i < rows; i++) {
      const row = selection ? selection[i]! : i;
      if (fast && heap.length === n) {
        if (isValid(fast.valid, row)) {
          const v = fast.values[row]!;
          // NaN sorts above every number: never rejected here (comparisons with NaN are false).
          if (!boundNull && bound === bound && (first.desc ? v < bound : v > bound)) continue;
        } else if (!boundNull && !first.nullsFirst) continue;
      }
      const ref = { chunk: c, row };
      if (heap.length < n) { heap.push(ref); up(heap.length - 1); if (fast && heap.length === n) rebound(); continue; }
      if (cmp(ref, heap[0]!) >= 0) continue;
      heap[0] = ref; down(0);
      if (fast) rebound();
    }
  }
  return heap.sort(cmp);
}
