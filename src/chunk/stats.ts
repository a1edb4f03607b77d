import type { ColumnValues } from './column.js';
import { isValid, nullCount } from './column.js';

/** JSON-safe statistic: numbers for numeric and timestamp (ms) columns, strings for int64 and text. */
export type StatValue = number | string | boolean | null;

export interface ColumnStats {
  nulls: number;
  /** Smallest non-null value; null when the column holds no comparable value. */
  min: StatValue;
  /** Largest non-null value; null when unknown (all null, or a string too long to keep). */
  max: StatValue;
}

function finiteOrName(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

export function columnStats(c: ColumnValues, stringBytesMax: number): ColumnStats {
  const nulls = nullCount(c.valid, c.length);
  if (nulls === c.length) return { nulls, min: null, max: null };
  switch (c.type) {
    case 'float64': case 'timestamp': case 'int32': {
      let min = Infinity; let max = -Infinity; let any = false;
      for (let i = 0; i < c.length; i++) {
        if (!isValid(c.valid, i)) continue;
        const v = c.values[i]!;
        if (Number.isNaN(v)) continue; // NaN sorts above everything in DuckDB; pruning must not rely on it
        any = true;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      return any ? { nulls, min: finiteOrName(min), max: finiteOrName(max) } : { nulls, min: null, max: null };
    }
    case 'int64': {
      let min: bigint | null = null; let max: bigint | null = null;
      for (let i = 0; i < c.length; i++) {
        if (!isValid(c.valid, i)) continue;
        const v = c.values[i]!;
        if (min === null || v < min) min = v;
        if (max === null || v > max) max = v;
      }
      return { nulls, min: min === null ? null : min.toString(), max: max === null ? null : max.toString() };
    }
    case 'bool': {
      let sawTrue = false; let sawFalse = false;
      for (let i = 0; i < c.length; i++) {
        if (!isValid(c.valid, i)) continue;
        if (c.values[i]) sawTrue = true; else sawFalse = true;
      }
      return { nulls, min: !sawFalse, max: sawTrue };
    }
    case 'string': {
      const used = new Uint8Array(c.dict.length);
      for (let i = 0; i < c.length; i++) if (isValid(c.valid, i)) used[c.codes[i]!] = 1;
      let min: string | null = null; let max: string | null = null;
      for (let k = 0; k < c.dict.length; k++) {
        if (!used[k]) continue;
        const s = c.dict[k]!;
        if (min === null || s < min) min = s;
        if (max === null || s > max) max = s;
      }
      // A truncated prefix is still a lower bound; it is not an upper bound, so an over-long max is dropped.
      if (min !== null && min.length > stringBytesMax) min = min.slice(0, stringBytesMax);
      if (max !== null && max.length > stringBytesMax) max = null;
      return { nulls, min, max };
    }
  }
}
