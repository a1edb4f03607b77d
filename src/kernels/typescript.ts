/**
 * The kernels in TypeScript: the same meaning as native/src, used where the
 * addon is not built, and the reference the native kernels are tested
 * against.
 */
import { StrataError } from '../core/errors.js';
import type { AggCode, Kernels, OpCode } from './kernels.js';
import { aggI64RowsMax } from './kernels.js';
import { lz4FrameDecode } from './lz4.js';

function filterNumbers(v: Float64Array | Int32Array, n: number, op: OpCode, a: number, b: number, mask: Uint8Array, nanAbove: boolean): void {
  switch (op) {
    case 0: for (let i = 0; i < n; i++) if (!(v[i]! === a)) mask[i] = 0; return;
    case 1: for (let i = 0; i < n; i++) if (!(v[i]! !== a)) mask[i] = 0; return;
    case 2: for (let i = 0; i < n; i++) if (!(v[i]! < a)) mask[i] = 0; return;
    case 3: for (let i = 0; i < n; i++) if (!(v[i]! <= a)) mask[i] = 0; return;
    case 4: for (let i = 0; i < n; i++) { const x = v[i]!; if (!(x > a || (nanAbove && x !== x))) mask[i] = 0; } return;
    case 5: for (let i = 0; i < n; i++) { const x = v[i]!; if (!(x >= a || (nanAbove && x !== x))) mask[i] = 0; } return;
    case 6: for (let i = 0; i < n; i++) { const x = v[i]!; if (!(x >= a && x <= b)) mask[i] = 0; } return;
  }
}

/** Signed 64-bit compare of row i (words hi:lo) with (ahi, alo): -1, 0, 1. */
function cmpWords(w: Int32Array, i: number, ahi: number, alo: number): number {
  const hi = w[2 * i + 1]!;
  if (hi !== ahi) return hi < ahi ? -1 : 1;
  const lo = w[2 * i]! >>> 0;
  return lo === alo ? 0 : lo < alo ? -1 : 1;
}

function words(x: bigint): [number, number] {
  return [Number(BigInt.asIntN(32, x >> 32n)), Number(BigInt.asUintN(32, x))];
}

function less(a: number, b: number): boolean { return a < b || (b !== b && a === a); }

function aggNumbers(fn: AggCode, v: Float64Array | Int32Array, valid: Uint8Array | null, sel: Uint32Array | null, groups: Int32Array, n: number, count: Float64Array, state: Float64Array, comp: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const r = sel ? sel[i]! : i;
    if (valid !== null && ((valid[r >>> 3]! >>> (r & 7)) & 1) === 0) continue;
    const g = groups[i]!;
    const x = v[r]!;
    if (fn === 0) {
      const t0 = state[g]!; const t = t0 + x;
      comp[g]! += Math.abs(t0) >= Math.abs(x) ? (t0 - t) + x : (x - t) + t0;
      state[g] = t;
    } else if (fn === 1) { if (count[g] === 0 || less(x, state[g]!)) state[g] = x; }
    else if (count[g] === 0 || less(state[g]!, x)) state[g] = x;
    count[g]! += 1;
  }
}

export const typescriptKernels: Kernels = {
  name: 'typescript',
  isa: 'js',
  lz4FrameDecode,
  filterF64: (v, n, op, a, b, mask) => filterNumbers(v, n, op, a, b, mask, true),
  filterI32: (v, n, op, a, b, mask) => filterNumbers(v, n, op, a, b, mask, false),
  filterI64(v, n, op, a, b, mask) {
    const w = new Int32Array(v.buffer, v.byteOffset, n * 2);
    const [ahi, alo] = words(a); const [bhi, blo] = words(b);
    for (let i = 0; i < n; i++) {
      const c = cmpWords(w, i, ahi, alo);
      let ok: boolean;
      switch (op) {
        case 0: ok = c === 0; break;
        case 1: ok = c !== 0; break;
        case 2: ok = c < 0; break;
        case 3: ok = c <= 0; break;
        case 4: ok = c > 0; break;
        case 5: ok = c >= 0; break;
        default: ok = c >= 0 && cmpWords(w, i, bhi, blo) <= 0;
      }
      if (!ok) mask[i] = 0;
    }
  },
  filterCodes(codes, n, ok, mask) {
    for (let i = 0; i < n; i++) if (ok[codes[i]!] !== 1) mask[i] = 0;
  },
  filterValid(valid, n, want, mask) {
    for (let i = 0; i < n; i++) if (((valid[i >>> 3]! >>> (i & 7)) & 1) !== want) mask[i] = 0;
  },
  maskSelect(mask, n, out) {
    let k = 0;
    for (let i = 0; i < n; i++) if (mask[i]) out[k++] = i;
    return k;
  },
  aggCount(valid, sel, groups, n, _rows, count) {
    if (valid === null) { for (let i = 0; i < n; i++) count[groups[i]!]! += 1; return; }
    for (let i = 0; i < n; i++) { const r = sel ? sel[i]! : i; count[groups[i]!]! += (valid[r >>> 3]! >>> (r & 7)) & 1; }
  },
  aggF64: aggNumbers,
  aggI32: aggNumbers,
  aggI64(fn, v, valid, sel, groups, n, count, hi, lo, mm) {
    if (n > aggI64RowsMax) throw new StrataError('STRATA_ERR_INTERNAL', `aggI64 takes at most ${aggI64RowsMax} rows at once`);
    const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    const m = new Int32Array(mm.buffer, mm.byteOffset, mm.length * 2);
    for (let i = 0; i < n; i++) {
      const r = sel ? sel[i]! : i;
      if (valid !== null && ((valid[r >>> 3]! >>> (r & 7)) & 1) === 0) continue;
      const g = groups[i]!;
      const xhi = w[2 * r + 1]!; const xlo = w[2 * r]! >>> 0;
      if (fn === 0) { hi[g]! += xhi; lo[g]! += xlo; }
      else {
        const c = count[g] === 0 ? 0 : cmpWords(m, g, xhi, xlo); // sign of mm[g] - x
        if (count[g] === 0 || (fn === 1 ? c > 0 : c < 0)) { m[2 * g + 1] = xhi; m[2 * g] = xlo | 0; }
      }
      count[g]! += 1;
    }
  },
  bucketF64(v, sel, n, width, origin, out) {
    for (let i = 0; i < n; i++) out[i] = origin + Math.floor((v[sel ? sel[i]! : i]! - origin) / width) * width;
  },
  bucketRuns(v, valid, sel, n, width, origin, starts, runValues) {
    const max = Math.min(starts.length, runValues.length);
    let runs = 0; let last = 0; let lastNull = -1;
    for (let i = 0; i < n; i++) {
      const r = sel ? sel[i]! : i;
      const isNull = valid !== null && ((valid[r >>> 3]! >>> (r & 7)) & 1) === 0 ? 1 : 0;
      const b = isNull ? 0 : origin + Math.floor((v[r]! - origin) / width) * width;
      if (i > 0 && isNull === lastNull && (isNull === 1 || b === last)) continue;
      if (runs === max) return -1;
      starts[runs] = i;
      runValues[runs] = isNull ? NaN : b;
      runs++;
      last = b; lastNull = isNull;
    }
    return runs;
  },
  fillRuns(starts, groups, runs, n, out) {
    for (let k = 0; k < runs; k++) out.fill(groups[k]!, starts[k]!, k + 1 < runs ? starts[k + 1]! : n);
  },
  remapGroups(ids, from, n, table) {
    for (let i = from; i < n; i++) {
      const g = table[ids[i]!]!;
      if (g < 0) return i;
      ids[i] = g;
    }
    return n;
  },
  hashStrings(bytes, offsets, count, out) {
    for (let i = 0; i < count; i++) {
      let h1 = 2166136261; let h2 = (0x811c9dc5 ^ 0x5bd1e995) >>> 0;
      for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
        h1 = Math.imul(h1 ^ bytes[j]!, 16777619) >>> 0;
        h2 = Math.imul(h2 ^ bytes[j]!, 16777619) >>> 0;
      }
      out[2 * i] = h1;
      out[2 * i + 1] = (h2 ^ (h2 >>> 15)) >>> 0;
    }
  },
};
