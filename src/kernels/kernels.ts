/**
 * The kernel seam: the hot loops of decoding, filtering and aggregating,
 * over caller-provided typed arrays, with one signature whichever
 * implementation runs. The native addon (native/, C with runtime CPU
 * dispatch) is used when it was built and loads; otherwise the TypeScript
 * kernels run. `STRATA_KERNELS=typescript` forces the TypeScript ones.
 *
 * Conventions for every kernel: `n` rows are processed; `sel` (rows to use,
 * ascending) may be null for rows 0..n-1; `valid` is an Arrow validity
 * bitmap or null (no NULLs); masks hold 0/1 per row and are only ever
 * cleared; group ids index the state arrays. Constants given to filters
 * are never NaN (callers test NaN constants value by value).
 */
export const Op = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5, between: 6 } as const;
export type OpCode = (typeof Op)[keyof typeof Op];
export const Agg = { sum: 0, min: 1, max: 2 } as const;
export type AggCode = (typeof Agg)[keyof typeof Agg];

/** Rows an aggI64 call may take at once: word sums stay exact below 2^21 rows. */
export const aggI64RowsMax = (1 << 21) - 1;

export interface Kernels {
  /** 'native' or 'typescript'. */
  readonly name: 'native' | 'typescript';
  /** The instruction set the native kernels dispatched to ('avx2', 'portable'), or 'js'. */
  readonly isa: string;
  /** LZ4 frames in src -> dst; returns bytes written. Throws STRATA_ERR_CHUNK_CORRUPT on a bad frame or one that does not fit dst. */
  lz4FrameDecode(src: Uint8Array, dst: Uint8Array): number;
  filterF64(values: Float64Array, n: number, op: OpCode, a: number, b: number, mask: Uint8Array): void;
  filterI32(values: Int32Array, n: number, op: OpCode, a: number, b: number, mask: Uint8Array): void;
  filterI64(values: BigInt64Array, n: number, op: OpCode, a: bigint, b: bigint, mask: Uint8Array): void;
  /** mask[i] &= ok[codes[i]]; a code outside ok fails. */
  filterCodes(codes: Int32Array | Uint8Array, n: number, ok: Uint8Array, mask: Uint8Array): void;
  /** Clears rows whose validity bit is not `want` (1: keep non-NULL rows). */
  filterValid(valid: Uint8Array, n: number, want: 0 | 1, mask: Uint8Array): void;
  /** Rows whose mask is set, ascending, into out (capacity n); returns how many. */
  maskSelect(mask: Uint8Array, n: number, out: Uint32Array): number;
  /** count[g] += 1 per non-NULL row (every row when valid is null); `rows` is the column's length. */
  aggCount(valid: Uint8Array | null, sel: Uint32Array | null, groups: Int32Array, n: number, rows: number, count: Float64Array): void;
  /** sum (Neumaier: state + comp), min or max, DuckDB's NaN order; count[g] += 1 per value taken. */
  aggF64(fn: AggCode, values: Float64Array, valid: Uint8Array | null, sel: Uint32Array | null, groups: Int32Array, n: number, count: Float64Array, state: Float64Array, comp: Float64Array): void;
  aggI32(fn: AggCode, values: Int32Array, valid: Uint8Array | null, sel: Uint32Array | null, groups: Int32Array, n: number, count: Float64Array, state: Float64Array, comp: Float64Array): void;
  /** sum: per-group sums of the high (signed) and low (unsigned) 32-bit words, n ≤ aggI64RowsMax; min/max into mm. */
  aggI64(fn: AggCode, values: BigInt64Array, valid: Uint8Array | null, sel: Uint32Array | null, groups: Int32Array, n: number, count: Float64Array, hi: Float64Array, lo: Float64Array, mm: BigInt64Array): void;
  /** out[i] = origin + floor((values[row] - origin) / width) * width. */
  bucketF64(values: Float64Array, sel: Uint32Array | null, n: number, width: number, origin: number, out: Float64Array): void;
  /**
   * Runs of equal time buckets over the selected rows: starts[k] is run k's first position, runValues[k] its
   * bucket (NaN for a run of NULL rows). Returns the run count, or -1 if there are more than fit the arrays.
   */
  bucketRuns(values: Float64Array, valid: Uint8Array | null, sel: Uint32Array | null, n: number, width: number, origin: number, starts: Int32Array, runValues: Float64Array): number;
  /** out[i] = groups[k] for every position i of run k (runs as bucketRuns gives them). */
  fillRuns(starts: Int32Array, groups: Int32Array, runs: number, n: number, out: Int32Array): void;
  /**
   * ids[i] = table[ids[i]] for i from `from` up to n, stopping at the first id whose table entry is
   * negative (not yet known): returns that position, or n. Local group ids become global ones.
   */
  remapGroups(ids: Int32Array, from: number, n: number, table: Int32Array): number;
  /** Two 32-bit FNV-1a hashes per string bytes[offsets[i]..offsets[i+1]) into out[2i], out[2i+1]. */
  hashStrings(bytes: Uint8Array, offsets: Int32Array, count: number, out: Uint32Array): void;
}
