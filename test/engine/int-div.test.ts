/** Integer band keys: `v // d` as DuckDB computes it (toward zero), exact up to 2^52, checked against BigInt division. */
import { describe, expect, it } from 'vitest';
import { intDiv } from '../../src/engine/aggregate.js';
import { seededRandom } from '../helpers/random.js';

describe('intDiv', () => {
  it('equals BigInt division (toward zero) for values up to 2^52 and every divisor size', () => {
    const rand = seededRandom(11);
    const edges = [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 52, -(2 ** 52), 2 ** 52 - 1, -(2 ** 52) + 1];
    for (let i = 0; i < 20_000; i++) {
      const v = i < edges.length ? edges[i]! : Math.round((rand() - 0.5) * 2 ** (1 + Math.floor(rand() * 53)));
      const d = [1, 2, 3, 7, 500, 1_000_000_007, 2 ** 31 - 1][i % 7]!;
      const want = BigInt(v) / BigInt(d);
      expect(intDiv(v, d, false), `${v} // ${d}`).toBe(Number(want));
      expect(intDiv(v, d, true), `${v} // ${d} * ${d}`).toBe(Number(want * BigInt(d)));
    }
  });
});
