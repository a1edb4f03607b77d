/**
 * Helpers for tests that run writers in child processes
 * (`test/fixtures/append-child.mjs`, which imports the built `dist/`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const childScript = fileURLToPath(new URL('../fixtures/append-child.mjs', import.meta.url));
const built = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npx tsc -p .` before these tests');
}

export interface ChildConfig {
  store: string;
  writer: string;
  from: number;
  to?: number;
  /** Wait for "go" on stdin after READY, so several children can start together. */
  wait?: boolean;
}

export interface Ack { version: number; seq: number; duplicate: boolean }

export interface AppendChild {
  readonly process: ChildProcess;
  /** Acknowledged appends, in the order printed. */
  readonly acks: Ack[];
  readonly ready: Promise<void>;
  /** Resolves once `n` appends are acknowledged (or the process is gone). */
  acked(n: number): Promise<void>;
  /** Exit code and signal, once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Children not yet exited, so a failed or timed-out test can still stop them. */
const running = new Set<ChildProcess>();

/** SIGKILLs every child still running; call in afterAll. */
export function killAllChildren(): void {
  for (const c of running) c.kill('SIGKILL');
}

export function startAppendChild(config: ChildConfig): AppendChild {
  // No background compaction: these tests count the versions the writers make.
  const child = spawn(process.execPath, [childScript, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, STRATA_COMPACTION_IDLE_MS: '0' } });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const acks: Ack[] = [];
  let err = '';
  let pending = '';
  let gone = false;
  const waiters: { n: number; resolve: () => void }[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) {
      if (gone || acks.length >= w.n) w.resolve(); else waiters.push(w);
    }
  };
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => { onReady = resolve; });
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const [word, ...rest] = line.trim().split(' ');
      if (word === 'READY') onReady();
      if (word === 'ACK') {
        acks.push({ version: Number(rest[0]), seq: Number(rest[1]), duplicate: rest[2] === '1' });
        wake();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => { err += text; });
  // 'close', not 'exit': it comes after the last of stdout is read, so no ACK is missed.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  // A child that dies early must not leave a test waiting forever.
  void exited.then(() => { gone = true; onReady(); wake(); });
  const acked = (n: number): Promise<void> => new Promise((resolve) => { waiters.push({ n, resolve }); wake(); });
  return { process: child, acks, ready, acked, exited, stderr: () => err };
}

export { seededRandom } from '../helpers/random.js';

/** STRATA_TEST_SEED when given (to replay a failure), else a fresh one. */
export function testSeed(): number {
  const given = process.env.STRATA_TEST_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}
