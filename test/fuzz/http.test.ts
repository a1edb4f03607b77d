/**
 * The HTTP fuzzer (http-fuzz.ts), a seeded slice of 1,000 inputs in every
 * test run. `npm run fuzz` runs 10,000 (STRATA_FUZZ_INPUTS, STRATA_FUZZ_SEED)
 * and writes bench/results/fuzz.md; a failing input is named with its seed.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fuzzHttp, renderReport } from './http-fuzz.js';

const inputs = Number(process.env.STRATA_FUZZ_INPUTS ?? 1000);
const seed = Number(process.env.STRATA_FUZZ_SEED ?? 20261126);

describe('HTTP fuzzer', () => {
  it(`survives ${inputs} hostile inputs (seed ${seed}) with coded errors and nothing written by a refusal`, async () => {
    const report = await fuzzHttp({ seed, inputs, ...(process.env.STRATA_FUZZ_BIN ? { bin: process.env.STRATA_FUZZ_BIN } : {}), log: (l) => console.log(l) });
    const text = renderReport(report, process.env.STRATA_FUZZ_TITLE ?? `HTTP fuzzer, ${new Date().toISOString().slice(0, 10)}`);
    if (process.env.STRATA_FUZZ_REPORT) writeFileSync(process.env.STRATA_FUZZ_REPORT, `${text}\n`);
    expect(report.inputs).toBe(inputs);
    expect(report.crashes, text).toBe(0);
    expect(report.uncoded5xx, text).toEqual([]);
    expect(report.changedAfterRefusal, text).toEqual([]);
    expect(report.healthStallsOver1s, text).toBe(0);
  }, 3_600_000);
});
