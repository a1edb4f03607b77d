/** docs/errors.md and src/core/errors.ts list the same codes, each once. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/index.js';

describe('docs/errors.md', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  const documented = [...doc.matchAll(/^\| `(STRATA_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);

  it('lists every error code exactly once', () => {
    expect([...documented].sort()).toEqual(Object.keys(errorCodes).sort());
  });

  it('mentions no code the program does not have', () => {
    const mentioned = new Set(doc.match(/STRATA_ERR_[A-Z_]+/g));
    for (const code of mentioned) expect(Object.keys(errorCodes)).toContain(code);
  });
});
