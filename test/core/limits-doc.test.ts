/** docs/limits.md lists every limit of src/core/limits.ts, each once, and nothing else. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/index.js';

describe('docs/limits.md', () => {
  it('lists every limit exactly once', () => {
    const doc = readFileSync('docs/limits.md', 'utf8');
    const listed = [...doc.matchAll(/^\| `([a-zA-Z]+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual(Object.keys(defaultLimits).sort());
  });
});
