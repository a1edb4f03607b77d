/**
 * The README's promises, run: every ```sh block, in order, in a fresh folder
 * (the project's bin, dist and node_modules linked in, so `./strata-data` is
 * new), as a user would type them. The quick start's `npm start` runs in the
 * background on a free port (the blocks' localhost:8080 is pointed at it);
 * its `npm ci` and `npm test` are what CI and this suite already are. The
 * Cassandra example runs against the test Cassandra.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cassandraUrl } from '../helpers/cassandra.js';

const run = promisify(execFile);
const root = path.resolve('.');

function shellBlocks(): string[] {
  const text = readFileSync(path.join(root, 'README.md'), 'utf8');
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

describe('README', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'strata-readme-'));
  for (const name of ['bin', 'dist', 'node_modules', 'package.json']) symlinkSync(path.join(root, name), path.join(work, name));
  let server: ChildProcess | null = null;
  // npm runs the server as its child: the whole process group is stopped.
  afterAll(() => { if (server?.pid) process.kill(-server.pid, 'SIGTERM'); });

  it('runs every command block, in order, on a fresh store', async () => {
    const port = await freePort();
    const cassandra = cassandraUrl('strata_readme');
    const outputs: string[] = [];
    const env = { ...process.env };
    delete env.STRATA_STORE;
    for (const block of shellBlocks()) {
      if (/^npm ci && npm start/m.test(block)) {
        // npm ci and npm test are what CI and this suite are; npm start serves until stopped.
        server = spawn('npm', ['start', '--', '--port', String(port)], { cwd: work, env, stdio: 'ignore', detached: true });
        let up = false;
        for (let i = 0; i < 100 && !up; i++) {
          up = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
          if (!up) await new Promise((r) => setTimeout(r, 100));
        }
        expect(up, 'npm start serves /health').toBe(true);
        continue;
      }
      const script = block.replaceAll('localhost:8080', `127.0.0.1:${port}`).replaceAll('cassandra://127.0.0.1:9042/strata', cassandra);
      const { stdout } = await run('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: work, env, maxBuffer: 1 << 24 }).catch((e: { stderr: string; stdout: string }) => {
        throw new Error(`README block failed:\n${block}\nstderr: ${e.stderr}\nstdout: ${e.stdout}`);
      });
      outputs.push(stdout);
    }
    const all = outputs.join('\n');
    // What the README says the commands print.
    expect(all).toContain('{"version":1,"rows":2922,"duplicate":false}');
    expect(all).toMatch(/New York\s+\d/);
    expect(all).toMatch(/"rows":\[\[2922\]\]/);
    expect(all).toMatch(/\{"version":\d+,"rows":1,"duplicate":false\}/);
    expect(all).toContain('Strata demo');
  }, 300_000);
});
