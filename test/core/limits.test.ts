import { describe, expect, it } from 'vitest';
import { defaultLimits, resolveLimits } from '../../src/index.js';

describe('limits', () => {
  it('reads settings from the environment and lets code override them', () => {
    expect(resolveLimits({}, {})).toEqual(defaultLimits);
    expect(resolveLimits({}, { STRATA_RESULT_ROWS_MAX: '10' }).resultRowsMax).toBe(10);
    expect(resolveLimits({ resultRowsMax: 5 }, { STRATA_RESULT_ROWS_MAX: '10' }).resultRowsMax).toBe(5);
  });

  it('refuses a setting that is not a positive integer', () => {
    expect(() => resolveLimits({}, { STRATA_BATCH_ROWS_MAX: '-1' })).toThrow(/STRATA_BATCH_ROWS_MAX/);
    expect(() => resolveLimits({}, { STRATA_BATCH_ROWS_MAX: 'lots' })).toThrow(/positive integer/);
  });
});
