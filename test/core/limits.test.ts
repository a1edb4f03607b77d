import { describe, expect, it } from 'vitest';
import { defaultLimits, limitEnvName, resolveLimits } from '../../src/index.js';

describe('limits', () => {
  it('reads every limit from its STRATA_ variable and lets code override them', () => {
    expect(resolveLimits({}, {})).toEqual(defaultLimits);
    for (const key of Object.keys(defaultLimits) as (keyof typeof defaultLimits)[]) {
      expect(resolveLimits({}, { [limitEnvName(key)]: '7' })[key], key).toBe(7);
    }
    expect(limitEnvName('queryMsMax')).toBe('STRATA_QUERY_MS_MAX');
    expect(resolveLimits({ resultRowsMax: 5 }, { STRATA_RESULT_ROWS_MAX: '10' }).resultRowsMax).toBe(5);
  });

  it('refuses a setting that is not a positive integer', () => {
    expect(() => resolveLimits({}, { STRATA_BATCH_ROWS_MAX: '-1' })).toThrow(/STRATA_BATCH_ROWS_MAX/);
    expect(() => resolveLimits({}, { STRATA_BATCH_ROWS_MAX: 'lots' })).toThrow(/positive integer/);
    expect(() => resolveLimits({}, { STRATA_QUERY_MS_MAX: '0' })).toThrow(/positive integer/);
    expect(resolveLimits({}, { STRATA_SCAN_WORKERS: '0' }).scanWorkers).toBe(0);
  });
});
