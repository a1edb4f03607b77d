// benny micro-benchmarks of the hot kernels, each beside its plain baseline:
// decode (Arrow IPC + LZ4 -> typed array) vs a raw lz4 frame decompress of the
// same bytes; the row filter vs a bare typed-array loop; stats-driven pruning.
import b from 'benny';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { decodeColumn, encodeColumn } from '../dist/chunk/codec.js';
import { filterRows } from '../dist/engine/predicate.js';

const rows = 65_536;
const values = new Float64Array(rows);
for (let i = 0; i < rows; i++) values[i] = Math.round(Math.sin(i / 100) * 10_000) / 100;
const col = { type: 'float64', length: rows, values, valid: null };
const encoded = encodeColumn('v', col);
const rawFrame = compressFrameSync(Buffer.from(values.buffer));
const mask = new Uint8Array(rows);

export async function benchKernels() {
  const results = {};
  const cycle = (name) => b.complete((summary) => {
    results[name] = summary.results.map((r) => ({ name: r.name, opsPerSec: r.ops, margin: r.margin, rowsPerSec: r.ops * rows }));
  });
  await b.suite('decode 65,536 float64 rows',
    b.add('strata decodeColumn (Arrow IPC + LZ4 frame)', () => { decodeColumn(encoded, 'float64', rows, 'bench'); }),
    b.add('baseline: lz4-napi decompress of the raw column', () => { decompressFrameSync(rawFrame); }),
    b.cycle(), cycle('decode'));
  await b.suite('filter 65,536 float64 rows (v > 50)',
    b.add('strata filterRows', () => { mask.fill(1); filterRows({ column: 'v', op: 'gt', value: 50 }, col, mask); }),
    b.add('baseline: bare loop', () => { for (let i = 0; i < rows; i++) mask[i] = values[i] > 50 ? 1 : 0; }),
    b.cycle(), cycle('filter'));
  return results;
}
