// benny micro-benchmarks of the kernels, each beside its baseline in the same
// run: decoding a chunk column (Strata's reader, the bare LZ4 decoders, and
// lz4-napi), a row filter and a grouped sum (native kernel, TypeScript kernel,
// and a plain C loop compiled with the same flags). One op = 65,536 rows.
import b from 'benny';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { decodeColumn, encodeColumn } from '../dist/chunk/codec.js';
import { filterRows } from '../dist/engine/predicate.js';
import { kernelStatus, nativeKernels, typescriptKernels as ts } from '../dist/kernels/index.js';

const rows = 65_536;
const values = new Float64Array(rows);
for (let i = 0; i < rows; i++) values[i] = Math.round(Math.sin(i / 100) * 10_000) / 100;
const col = { type: 'float64', length: rows, values, valid: null };
const encoded = encodeColumn('v', col);
const rawFrame = compressFrameSync(Buffer.from(values.buffer));
const dst = new Uint8Array(rows * 8);
const mask = new Uint8Array(rows);
const groups = Int32Array.from({ length: rows }, (_, i) => (i >>> 6) % 64);
const state = () => ({ count: new Float64Array(64), sum: new Float64Array(64), comp: new Float64Array(64) });
const s = state();
const native = nativeKernels();

export async function benchKernels() {
  const results = {};
  const cycle = (name) => b.complete((summary) => {
    results[name] = summary.results.map((r) => ({ name: r.name, opsPerSec: r.ops, margin: r.margin, rowsPerSec: r.ops * rows, bytesPerSec: name === 'decode' ? r.ops * rows * 8 : undefined }));
  });
  await b.suite('decode 65,536 float64 rows (512 KiB)',
    b.add(`strata decodeColumn (${kernelStatus().active} kernels)`, () => { decodeColumn(encoded, 'float64', rows, 'bench'); }),
    ...(native ? [b.add('native lz4FrameDecode into a preallocated buffer', () => { native.lz4FrameDecode(rawFrame, dst); })] : []),
    b.add('typescript lz4FrameDecode into a preallocated buffer', () => { ts.lz4FrameDecode(rawFrame, dst); }),
    b.add('baseline: lz4-napi decompressFrameSync (allocates)', () => { decompressFrameSync(rawFrame); }),
    b.cycle(), cycle('decode'));
  await b.suite('filter 65,536 float64 rows (v > 50)',
    b.add('strata filterRows (NULL-aware, through the seam)', () => { mask.fill(1); filterRows({ column: 'v', op: 'gt', value: 50 }, col, mask); }),
    ...(native ? [b.add('native filterF64', () => { native.filterF64(values, rows, 4, 50, 50, mask); }),
      b.add('baseline: plain C loop', () => { native.baselineFilterGt(values, 50, mask); })] : []),
    b.add('typescript filterF64', () => { ts.filterF64(values, rows, 4, 50, 50, mask); }),
    b.cycle(), cycle('filter'));
  await b.suite('grouped sum of 65,536 float64 rows into 64 groups',
    ...(native ? [b.add('native aggF64 (compensated sum, NULL-aware)', () => { native.aggF64(0, values, null, null, groups, rows, s.count, s.sum, s.comp); }),
      b.add('baseline: plain C loop (plain sum)', () => { native.baselineGroupSum(values, groups, s.sum); })] : []),
    b.add('typescript aggF64', () => { ts.aggF64(0, values, null, null, groups, rows, s.count, s.sum, s.comp); }),
    b.cycle(), cycle('aggregate'));
  return results;
}

/** Markdown rows, with each kernel's time beside its plain C baseline. */
export function kernelsMarkdown(results) {
  const byName = (suite, prefix) => results[suite]?.find((r) => r.name.startsWith(prefix));
  const ratio = (suite, kernel, base) => { const k = byName(suite, kernel); const c = byName(suite, base); return k && c ? (c.opsPerSec / k.opsPerSec).toFixed(2) : 'n/a'; };
  return [
    `## Kernels (benny; one op = 65,536 rows; active: ${kernelStatus().active}${kernelStatus().active === 'native' ? ` (${kernelStatus().isa})` : ''})`,
    '',
    '| suite | kernel | ops/s | M rows/s | GB/s | ± % |',
    '|---|---|---:|---:|---:|---:|',
    ...Object.entries(results).flatMap(([suite, rs]) => rs.map((r) => `| ${suite} | ${r.name} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${(r.rowsPerSec / 1e6).toFixed(0)} | ${r.bytesPerSec ? (r.bytesPerSec / 1e9).toFixed(2) : ''} | ${r.margin.toFixed(1)} |`)),
    '',
    `Time of the native kernel / the plain C loop: filter ${ratio('filter', 'native filterF64', 'baseline')}x, grouped sum ${ratio('aggregate', 'native aggF64', 'baseline')}x (target: within 1.5x).`,
    '',
  ];
}
