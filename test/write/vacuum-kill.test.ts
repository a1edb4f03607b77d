/**
 * Vacuum killed with SIGKILL at random moments, 20 times, while the history
 * grows between kills: after each kill a new process reads back every kept
 * version (the head, the horizon on, and every tagged one) and gets exactly
 * the answer that version gave when it was made; a version no longer kept
 * is refused as vacuumed. A last vacuum leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Strata, isStrataError, openStore, parseColumns } from '../../src/index.js';
import { seededRandom } from '../helpers/random.js';

const child = fileURLToPath(new URL('../fixtures/vacuum-child.mjs', import.meta.url));
const q = 'select k, count(*), sum(x) from v group by k order by k';

/** Starts the vacuum process, lets it run `ms` after it is ready, then kills it with SIGKILL. */
async function vacuumThenKill(store: string, ms: number): Promise<void> {
  const p = spawn(process.execPath, [child, JSON.stringify({ store })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => p.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => { if (d.toString().includes('READY')) resolve(); });
    p.on('exit', (code) => reject(new Error(`vacuum child exited early (${code})`)));
  });
  await new Promise((r) => setTimeout(r, ms));
  p.kill('SIGKILL');
  await exited;
}

describe('vacuum under kill -9', () => {
  it('never loses a kept version, and a last vacuum cleans up', async () => {
    const store = path.join(mkdtempSync(path.join(tmpdir(), 'strata-vacuum-kill-')), 'store');
    const rand = seededRandom(5);
    const answers = new Map<number, unknown>();
    const tagged = new Map<string, number>();
    const writer = await Strata.open({ store, limits: { compactionIdleMs: 0, checkpointEveryVersions: 4 } });
    await writer.createDataset('v', { columns: parseColumns('k:string,ts:timestamp,x:int32'), partitionKey: ['k'], sortKey: ['ts'] });
    let seq = 0;
    const grow = async (): Promise<void> => {
      for (let b = 0; b < 3; b++) {
        seq++;
        const rows = Array.from({ length: 1 + Math.floor(rand() * 6) }, (_, i) => `{"k":"h${Math.floor(rand() * 4)}","ts":${seq * 100 + i},"x":${seq}}`).join('\n');
        const { version } = await writer.ingest('v', rows, 'ndjson', { writer: 'w', seq });
        answers.set(version, (await writer.sql(q)).rows);
      }
      if (rand() < 0.4) {
        const v = await writer.headVersion('v');
        const name = `t${tagged.size}`;
        await writer.tag('v', name, v);
        tagged.set(name, v);
      }
      if (rand() < 0.5) {
        const r = await writer.compact('v');
        if (r.version !== null) answers.set(r.version, (await writer.sql(q)).rows);
      }
    };

    for (let round = 0; round < 20; round++) {
      await grow();
      await vacuumThenKill(store, Math.floor(rand() * 40));
      const reader = await Strata.open({ store: await openStore(store), limits: { compactionIdleMs: 0 } });
      try {
        const head = await reader.headVersion('v');
        expect((await reader.sql(q)).rows, `round ${round}: head ${head}`).toEqual(answers.get(head));
        for (const [name, v] of tagged) {
          expect((await reader.sql(q.replace('from v', `from v AT (VERSION => '${name}')`))).rows, `round ${round}: tag ${name} (version ${v})`).toEqual(answers.get(v));
        }
        // What `versions` lists as kept answers.
        for (const { version: v } of (await reader.versions('v')).filter((x) => x.version > 0)) {
          expect((await reader.sql(q.replace('from v', `from v AT (VERSION => ${v})`))).rows, `round ${round}: listed version ${v}`).toEqual(answers.get(v));
        }
        // Every version made is either answered as it was or refused as vacuumed: never a wrong answer, never a missing chunk.
        for (const [v, want] of answers) {
          try {
            expect((await reader.sql(q.replace('from v', `from v AT (VERSION => ${v})`))).rows, `round ${round}: version ${v}`).toEqual(want);
          } catch (e) {
            if (!isStrataError(e, 'STRATA_ERR_VERSION_VACUUMED')) throw e;
          }
        }
      } finally {
        await reader.close();
      }
    }

    // A vacuum that finishes: only the horizon's and the tagged versions' checkpoints, one marker.
    await writer.vacuum('v', { retainMs: 0, graceMs: 0 });
    const s = await openStore(store);
    const horizon = await writer.headVersion('v');
    expect((await s.listObjects('v', 'checkpoint')).map(Number)).toEqual([...new Set([...tagged.values(), horizon])].sort((a, b) => a - b));
    expect(await s.listObjects('v', 'horizon')).toHaveLength(1);
    await writer.close();
  }, 240_000);
});
