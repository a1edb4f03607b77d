/**
 * Native and TypeScript kernels must agree on every input: random arrays
 * with NULLs, NaN, -0, ±Infinity, int64 extremes, empty and odd lengths.
 * LZ4 frames are also checked against lz4-napi (a third decoder) and
 * against corrupt input (an error, never a crash or a wild write).
 */
import fc from 'fast-check';
import { compressFrameSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { Agg, Op, kernelStatus, nativeKernels, typescriptKernels as ts } from '../../src/kernels/index.js';
import type { Kernels } from '../../src/kernels/index.js';

const native = nativeKernels();

describe('the native kernels', () => {
  it('are built by npm ci and load (STRATA_NATIVE=0 opts out of building them)', () => {
    if (process.env.STRATA_NATIVE === '0') { expect(native).toBeNull(); expect(kernelStatus().active).toBe('typescript'); return; }
    expect(native, 'native/build/Release/strata_kernels.node should be built by `npm ci`').not.toBeNull();
    expect(['avx2', 'portable']).toContain(native!.isa);
    expect(kernelStatus()).toMatchObject({ active: process.env.STRATA_KERNELS === 'typescript' ? 'typescript' : 'native' });
  });
});

const special = [NaN, -0, 0, Infinity, -Infinity, 1, -1, 0.5, 1e308, -1e308, 5e-324];
const f64 = fc.oneof(fc.double(), fc.constantFrom(...special), fc.integer({ min: -5, max: 5 }).map((x) => x));
const i64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n + 1n), fc.bigInt({ min: -3n, max: 3n }));
const i32 = fc.oneof(fc.integer(), fc.constantFrom(-2147483648, 2147483647, 0, -1, 1), fc.integer({ min: -3, max: 3 }));
const op = fc.constantFrom(Op.eq, Op.ne, Op.lt, Op.le, Op.gt, Op.ge, Op.between);
const bitmap = (n: number): fc.Arbitrary<Uint8Array | null> => fc.option(fc.uint8Array({ minLength: Math.ceil(n / 8), maxLength: Math.ceil(n / 8) }), { nil: null });

function both(run: (k: Kernels) => unknown): [unknown, unknown] {
  return [run(native!), run(ts)];
}

const runs = { numRuns: 300 };

describe.runIf(native !== null)('native and TypeScript kernels agree', () => {
  it('filterF64', () => {
    fc.assert(fc.property(fc.array(f64, { maxLength: 70 }), op, f64.filter((x) => !Number.isNaN(x)), f64.filter((x) => !Number.isNaN(x)), (vals, o, a, b) => {
      const v = Float64Array.from(vals);
      const [x, y] = both((k) => { const m = new Uint8Array(v.length).fill(1); k.filterF64(v, v.length, o, a, b, m); return m; });
      expect(x).toEqual(y);
    }), runs);
  });

  it('filterI32 (integer and fractional constants)', () => {
    fc.assert(fc.property(fc.array(i32, { maxLength: 70 }), op, fc.oneof(i32, fc.double({ noNaN: true })), fc.oneof(i32, fc.double({ noNaN: true })), (vals, o, a, b) => {
      const v = Int32Array.from(vals);
      const [x, y] = both((k) => { const m = new Uint8Array(v.length).fill(1); k.filterI32(v, v.length, o, a, b, m); return m; });
      expect(x).toEqual(y);
    }), runs);
  });

  it('filterI64 (exact at the extremes)', () => {
    fc.assert(fc.property(fc.array(i64, { maxLength: 70 }), op, i64, i64, (vals, o, a, b) => {
      const v = BigInt64Array.from(vals);
      const [x, y] = both((k) => { const m = new Uint8Array(v.length).fill(1); k.filterI64(v, v.length, o, a, b, m); return m; });
      expect(x).toEqual(y);
      // And both equal BigInt's own comparison.
      const want = vals.map((z) => Number([z === a, z !== a, z < a, z <= a, z > a, z >= a, z >= a && z <= b][o]));
      expect(Array.from(x as Uint8Array)).toEqual(want);
    }), runs);
  });

  it('filterCodes, filterValid, maskSelect', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -2, max: 9 }), { maxLength: 70 }), fc.uint8Array({ maxLength: 8, max: 1 }), fc.integer({ min: 0, max: 1 }), (codes, ok, want) => {
      const c = Int32Array.from(codes);
      const n = c.length;
      fc.pre(true);
      const valid = new Uint8Array(Math.ceil(n / 8)).map((_, i) => (i * 37) & 0xff);
      const [x, y] = both((k) => {
        const m = new Uint8Array(n).fill(1);
        k.filterCodes(c, n, ok, m);
        const m2 = new Uint8Array(n).fill(1);
        k.filterCodes(Uint8Array.from(codes.map((z) => z & 0xff)), n, ok, m2);
        k.filterValid(valid, n, want as 0 | 1, m);
        const out = new Uint32Array(n);
        const kept = k.maskSelect(m, n, out);
        return [Array.from(m), Array.from(m2), Array.from(out.subarray(0, kept))];
      });
      expect(x).toEqual(y);
    }), runs);
  });

  const groupsOf = (n: number): fc.Arbitrary<{ groups: Int32Array; sel: Uint32Array | null; rows: number }> =>
    fc.record({ g: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }), useSel: fc.boolean() }).map(({ g, useSel }) => {
      if (!useSel) return { groups: Int32Array.from(g), sel: null, rows: n };
      const sel = Uint32Array.from(g.map((_, i) => i).filter((i) => i % 3 !== 1));
      return { groups: Int32Array.from(sel, (r) => g[r]!), sel, rows: n };
    });

  it('aggCount, aggF64, aggI32 (sum, min, max with NaN, -0, infinities)', () => {
    const input = fc.array(f64, { maxLength: 60 }).chain((vals) => fc.tuple(fc.constant(vals), groupsOf(vals.length), bitmap(vals.length), fc.constantFrom(Agg.sum, Agg.min, Agg.max)));
    fc.assert(fc.property(input, ([vals, { groups, sel, rows }, valid, fn]) => {
      const n = sel ? sel.length : rows;
      const v = Float64Array.from(vals);
      const iv = Int32Array.from(vals, (z) => (Number.isFinite(z) ? Math.trunc(z) | 0 : 7));
      const [x, y] = both((k) => {
        const s = () => [new Float64Array(5), new Float64Array(5), new Float64Array(5)] as const;
        const [c1, s1, p1] = s(); k.aggF64(fn, v, valid, sel, groups, n, c1, s1, p1);
        const [c2, s2, p2] = s(); k.aggI32(fn, iv, valid, sel, groups, n, c2, s2, p2);
        const c3 = new Float64Array(5); k.aggCount(valid, sel, groups, n, rows, c3);
        return [c1, s1, p1, c2, s2, p2, c3].map((a) => Array.from(a, (z) => (Object.is(z, -0) ? '-0' : z)));
      });
      expect(x).toEqual(y);
    }), runs);
  });

  it('aggI64 sums exactly and orders min/max like BigInt', () => {
    const input = fc.array(i64, { maxLength: 60 }).chain((vals) => fc.tuple(fc.constant(vals), groupsOf(vals.length), bitmap(vals.length), fc.constantFrom(Agg.sum, Agg.min, Agg.max)));
    fc.assert(fc.property(input, ([vals, { groups, sel, rows }, valid, fn]) => {
      const n = sel ? sel.length : rows;
      const v = BigInt64Array.from(vals);
      const [x, y] = both((k) => {
        const count = new Float64Array(5); const hi = new Float64Array(5); const lo = new Float64Array(5); const mm = new BigInt64Array(5);
        k.aggI64(fn, v, valid, sel, groups, n, count, hi, lo, mm);
        return { count: Array.from(count), total: Array.from(hi, (h, g) => BigInt(h) * 2n ** 32n + BigInt(lo[g]!)), mm: Array.from(mm) };
      });
      expect(x).toEqual(y);
      // Against BigInt arithmetic on the same rows.
      const want = { count: [0, 0, 0, 0, 0], total: [0n, 0n, 0n, 0n, 0n], mm: [0n, 0n, 0n, 0n, 0n] };
      for (let i = 0; i < n; i++) {
        const r = sel ? sel[i]! : i;
        if (valid && ((valid[r >>> 3]! >>> (r & 7)) & 1) === 0) continue;
        const g = groups[i]!; const z = vals[r]!;
        if (fn === Agg.sum) want.total[g]! += z;
        else if (want.count[g] === 0 || (fn === Agg.min ? z < want.mm[g]! : z > want.mm[g]!)) want.mm[g] = z;
        want.count[g]!++;
      }
      expect((x as typeof want).count).toEqual(want.count);
      if (fn === Agg.sum) expect((x as typeof want).total).toEqual(want.total);
      else expect((x as typeof want).mm.filter((_, g) => want.count[g]! > 0)).toEqual(want.mm.filter((_, g) => want.count[g]! > 0));
    }), runs);
  });

  it('bucketRuns and fillRuns', () => {
    const input = fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }).map((m) => 1.7e12 + m * 60_000), fc.constant(1.7e12)), { maxLength: 80 })
      .chain((vals) => fc.tuple(fc.constant(vals.sort((x, y) => x - y)), bitmap(vals.length), fc.boolean(), fc.integer({ min: 1, max: 90 })));
    fc.assert(fc.property(input, ([vals, valid, useSel, max]) => {
      const v = Float64Array.from(vals);
      const sel = useSel ? Uint32Array.from(vals.map((_, i) => i).filter((i) => i % 4 !== 2)) : null;
      const n = sel ? sel.length : v.length;
      const [x, y] = both((k) => {
        const starts = new Int32Array(max); const values = new Float64Array(max);
        const runs = k.bucketRuns(v, valid, sel, n, 300_000, 0, starts, values);
        const out = new Int32Array(n);
        if (runs >= 0) k.fillRuns(starts, Int32Array.from({ length: runs }, (_, r) => r * 3), runs, n, out);
        return { runs, starts: Array.from(starts.subarray(0, Math.max(runs, 0))), values: Array.from(values.subarray(0, Math.max(runs, 0)), String), out: Array.from(out) };
      });
      expect(x).toEqual(y);
    }), runs);
  });

  it('remapGroups, stopping at each id not yet in the table', () => {
    const input = fc.integer({ min: 1, max: 12 }).chain((size) => fc.tuple(
      fc.array(fc.integer({ min: 0, max: size - 1 }), { maxLength: 70 }),
      fc.array(fc.integer({ min: -1, max: 50 }), { minLength: size, maxLength: size }),
    ));
    fc.assert(fc.property(input, ([idList, tableList]) => {
      const [x, y] = both((k) => {
        const ids = Int32Array.from(idList); const table = Int32Array.from(tableList);
        const stops: number[] = [];
        // As the engine calls it: at each stop the id gets a group, and the scan resumes after it.
        for (let i = k.remapGroups(ids, 0, ids.length, table); i < ids.length; i = k.remapGroups(ids, i + 1, ids.length, table)) {
          stops.push(i);
          table[ids[i]!] = 100 + i;
          ids[i] = 100 + i;
        }
        return { stops, ids: Array.from(ids) };
      });
      expect(x).toEqual(y);
    }), runs);
  });

  it('refuse rows and groups outside the arrays they were given', () => {
    expect(() => native!.remapGroups(Int32Array.of(0, 3), 0, 2, Int32Array.of(5, 6))).toThrow(/outside/);
    expect(() => native!.remapGroups(Int32Array.of(0, -1), 0, 2, Int32Array.of(5, 6))).toThrow(/outside/);
    const v = new Float64Array(8); const count = new Float64Array(2);
    expect(() => native!.aggF64(0, v, null, null, Int32Array.of(0, 1, 2), 3, count, new Float64Array(2), new Float64Array(2))).toThrow(/outside/);
    expect(() => native!.aggF64(0, v, null, Uint32Array.of(9), Int32Array.of(0), 1, count, new Float64Array(2), new Float64Array(2))).toThrow(/outside/);
    expect(() => native!.aggCount(null, null, Int32Array.of(-1), 1, 1, count)).toThrow(/outside/);
    expect(() => native!.fillRuns(Int32Array.of(0, 5), Int32Array.of(0, 1), 2, 3, new Int32Array(3))).toThrow(/starts/);
  });

  it('bucketF64 and hashStrings', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.double({ min: -1e13, max: 1e13, noNaN: true }), fc.integer({ min: -1e9, max: 1e9 })), { maxLength: 50 }), fc.constantFrom(1000, 60_000, 3_600_000, 86_400_000, 7 * 86_400_000, 0.5), fc.constantFrom(0, Date.UTC(2000, 0, 3), -3 * 86_400_000), fc.array(fc.string({ unit: 'binary' }), { maxLength: 20 }), (vals, width, origin, strings) => {
      const v = Float64Array.from(vals);
      const enc = strings.map((s) => new TextEncoder().encode(s));
      const offsets = new Int32Array(enc.length + 1);
      enc.forEach((b, i) => { offsets[i + 1] = offsets[i]! + b.length; });
      const bytes = new Uint8Array(offsets[enc.length]!);
      enc.forEach((b, i) => bytes.set(b, offsets[i]!));
      const [x, y] = both((k) => {
        const out = new Float64Array(v.length); k.bucketF64(v, null, v.length, width, origin, out);
        const h = new Uint32Array(2 * enc.length); k.hashStrings(bytes, offsets, enc.length, h);
        return [Array.from(out), Array.from(h)];
      });
      expect(x).toEqual(y);
    }), runs);
  });
});

describe('LZ4 frame decoding', () => {
  const decoders = [['typescript', ts], ...(native ? [['native', native] as const] : [])] as const;
  const payloads = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 300_000 }).map((a) => Uint8Array.from(a)),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 40_000 })).map(([p, k]) => { const out = new Uint8Array(p.length * k); for (let i = 0; i < out.length; i++) out[i] = p[i % p.length]!; return out; }),
  );

  for (const [name, k] of decoders) {
    it(`${name}: decodes lz4-napi's frames into an exactly sized buffer`, () => {
      fc.assert(fc.property(payloads, (data) => {
        const frame = compressFrameSync(Buffer.from(data));
        const dst = new Uint8Array(data.length);
        expect(k.lz4FrameDecode(frame, dst)).toBe(data.length);
        expect(Buffer.compare(Buffer.from(dst), Buffer.from(data))).toBe(0);
        if (data.length > 0) expect(() => k.lz4FrameDecode(frame, new Uint8Array(data.length - 1))).toThrow(/LZ4 frame/);
      }), { numRuns: 60 });
    });

    it(`${name}: corrupt frames are errors, never crashes`, () => {
      const data = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) % 13);
      const frame = new Uint8Array(compressFrameSync(Buffer.from(data)));
      fc.assert(fc.property(fc.integer({ min: 0, max: frame.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: frame.length }), (at, flip, cut) => {
        const bad = frame.slice(0, cut);
        if (at < bad.length) bad[at]! ^= flip;
        const dst = new Uint8Array(data.length);
        try { k.lz4FrameDecode(bad, dst); } catch (e) { expect((e as { code?: string }).code ?? 'STRATA_ERR_CHUNK_CORRUPT').toBe('STRATA_ERR_CHUNK_CORRUPT'); }
      }), { numRuns: 500 });
    });
  }
});
