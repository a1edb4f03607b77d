/**
 * A chunk's rows that pass its row predicates, as a selection vector: a
 * chunk of one partition is sorted by the sort key, so comparisons on that
 * column select a range by binary search; the other predicates run as
 * vectorized filters into a mask. Shared by the main thread and the scan
 * workers, so both select exactly the same rows.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { kernels } from '../kernels/index.js';
import type { Predicate } from './predicate.js';
import { filterRows } from './predicate.js';
import { narrowSorted, rangeSelection } from './sorted-range.js';

/** Rows kept (0: none) and their selection (null: every row). */
export interface ChunkSelection { kept: number; selection: Uint32Array | null }

/** Scratch for `transient` calls, grown to the largest chunk seen. */
let scratchMask = new Uint8Array(0);
let scratchRows = new Uint32Array(0);

/**
 * `transient`: the caller is done with the selection before its next call
 * (the workers aggregate each chunk at once), so it may live in scratch
 * buffers instead of two fresh, zeroed ones per chunk.
 */
export function selectChunkRows(ref: Pick<ChunkRef, 'rows' | 'mixed' | 'columns'>, columns: ReadonlyMap<string, ColumnValues>, rowPredicates: readonly Predicate[], sortColumn: string | undefined, transient = false): ChunkSelection {
  if (rowPredicates.length === 0) return { kept: ref.rows, selection: null };
  const range = { lo: 0, hi: ref.rows };
  const sorted = sortColumn && !ref.mixed && ref.columns[sortColumn]?.nulls === 0 ? columns.get(sortColumn) : undefined;
  const rest = sorted && (sorted.type === 'timestamp' || sorted.type === 'int32') ? narrowSorted(rowPredicates, sortColumn!, sorted.values, range) : rowPredicates;
  let kept = range.hi - range.lo;
  if (rest.length === 0) return { kept, selection: kept > 0 && kept < ref.rows ? rangeSelection(range.lo, range.hi) : null };
  if (kept === 0) return { kept, selection: null };
  if (transient && scratchMask.length < ref.rows) { scratchMask = new Uint8Array(ref.rows); scratchRows = new Uint32Array(ref.rows); }
  const mask = transient ? scratchMask.subarray(0, ref.rows) : new Uint8Array(ref.rows);
  if (transient) mask.fill(0, 0, range.lo).fill(0, range.hi);
  mask.fill(1, range.lo, range.hi);
  for (const p of rest) filterRows(p, columns.get(p.column)!, mask);
  const rows = transient ? scratchRows : new Uint32Array(ref.rows);
  kept = kernels().maskSelect(mask, ref.rows, rows);
  if (kept === ref.rows) return { kept, selection: null };
  if (transient) return { kept, selection: rows.subarray(0, kept) };
  // A small selection gets its own buffer rather than pinning one of the chunk's size.
  return { kept, selection: kept < ref.rows >>> 2 ? rows.slice(0, kept) : rows.subarray(0, kept) };
}
