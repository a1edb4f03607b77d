/** `strata tail` prints each version as it commits, from another process's writes. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

describe('strata tail', () => {
  it('prints new versions with their continuous-query answers until interrupted', async () => {
    const store = path.join(mkdtempSync(path.join(tmpdir(), 'strata-tail-')), 'store');
    const db = await Strata.open({ store });
    try {
      await db.createDataset('t', { columns: parseColumns('k:string,v:int32') });
      const child = spawn(process.execPath, [path.resolve('bin/strata'), '--store', store, 'tail', 't', '--from', '1', '--sql', 'select sum(v) as s from t'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      let buffer = '';
      child.stdout.on('data', (d: Buffer) => { buffer += d.toString(); const parts = buffer.split('\n'); buffer = parts.pop()!; lines.push(...parts); });
      await db.ingest('t', 'k,v\na,1\nb,2\n', 'csv');
      await db.ingest('t', 'k,v\nc,10\n', 'csv');
      for (let i = 0; i < 100 && lines.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      const code = await new Promise((r) => child.on('exit', r));
      const events = lines.map((l) => JSON.parse(l) as { version: number; result: { rows: unknown[][] } });
      expect(events.map((e) => [e.version, e.result.rows])).toEqual([[1, [[3]]], [2, [[10]]]]);
      expect(code).toBe(0);
    } finally {
      await db.close();
    }
  });
});
