/**
 * Durability of the local store, checked on the system calls it really
 * makes (strace): every folder it creates is flushed into its parent, and
 * every file a version refers to is flushed, with its folder, before the
 * version record is linked into place (the commit point). Otherwise a power
 * loss could leave an acknowledged version pointing at a file whose folder
 * entry never reached the disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve('bin/strata');

interface Call { name: string; args: string; result: number }

/** strace -f output as whole calls in order (an "unfinished" call joined with its "resumed" end). */
function calls(trace: string): Call[] {
  const pending = new Map<string, string>();
  const out: Call[] = [];
  for (const raw of trace.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const [, pid, rest] = m as unknown as [string, string, string];
    let line = rest;
    if (line.endsWith('<unfinished ...>')) { pending.set(pid, line.replace(' <unfinished ...>', '')); continue; }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (resumed) { line = (pending.get(pid) ?? '') + resumed[1]; pending.delete(pid); }
    const c = /^(\w+)\((.*)\)\s+=\s+(-?\d+)/.exec(line);
    if (c) out.push({ name: c[1]!, args: c[2]!, result: Number(c[3]) });
  }
  return out;
}

function strace(args: string[], input?: string): Call[] {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'strata-strace-')), 'trace');
  execFileSync('strace', ['-f', '-e', 'trace=mkdir,mkdirat,open,openat,close,fsync,fdatasync,rename,renameat,renameat2,link,linkat', '-o', file, process.execPath, bin, ...args],
    { input: input ?? '', env: { ...process.env, STRATA_COMPACTION_IDLE_MS: '0' } });
  return calls(readFileSync(file, 'utf8'));
}

/** Checks the order of durability: returns what is wrong, or nothing. */
function problems(log: Call[], store: string): string[] {
  const fdPath = new Map<number, string>();
  const flushed = new Set<string>();
  const madeDirs: string[] = [];
  const published: string[] = [];
  const out: string[] = [];
  const quoted = (args: string, n: number): string => [...args.matchAll(/"([^"]*)"/g)].map((m) => m[1]!)[n] ?? '';
  for (const c of log) {
    if ((c.name === 'open' || c.name === 'openat') && c.result >= 0) fdPath.set(c.result, quoted(c.args, 0));
    else if (c.name === 'close') fdPath.delete(Number(c.args));
    else if ((c.name === 'fsync' || c.name === 'fdatasync') && c.result === 0) { const p = fdPath.get(Number(c.args)); if (p) flushed.add(p); }
    else if ((c.name === 'mkdir' || c.name === 'mkdirat') && c.result === 0) {
      const dir = quoted(c.args, 0);
      if (dir.startsWith(store)) madeDirs.push(dir);
    } else if ((c.name === 'rename' || c.name === 'renameat' || c.name === 'renameat2') && c.result === 0) {
      const to = quoted(c.args, 1);
      if (to.startsWith(store)) { if (!flushed.has(quoted(c.args, 0))) out.push(`${to} renamed into place unflushed`); published.push(to); }
    } else if ((c.name === 'link' || c.name === 'linkat') && c.result === 0) {
      const version = quoted(c.args, 1);
      if (!version.startsWith(store)) continue;
      // The commit point: every folder made so far is in its parent, every file so far is in its folder.
      for (const d of madeDirs) if (!flushed.has(path.dirname(d))) out.push(`${version} linked before ${d} was flushed into ${path.dirname(d)}`);
      for (const f of published) if (!flushed.has(path.dirname(f))) out.push(`${version} linked before ${path.dirname(f)} (holding ${path.basename(f)}) was flushed`);
      if (!flushed.has(quoted(c.args, 0))) out.push(`${version} linked from an unflushed file`);
    }
  }
  // And after the last commit point, the versions folder itself.
  const lastVersion = [...log].reverse().find((c) => (c.name === 'link' || c.name === 'linkat') && c.result === 0);
  if (lastVersion && !flushed.has(path.dirname(quoted(lastVersion.args, 1)))) out.push('the versions folder was not flushed after the last link');
  return out;
}

describe('local store durability (strace)', () => {
  it('flushes every new folder into its parent and every published file before the version that refers to it', () => {
    const store = path.join(mkdtempSync(path.join(tmpdir(), 'strata-fsync-')), 'store');
    const trace = [
      ...strace(['--store', store, 'create', 't', '--schema', 'k:string,v:int32', '--partition-key', 'k']),
      ...strace(['--store', store, 'ingest', 't', '-', '--input-format', 'csv'], 'k,v\na,1\nb,2\n'),
      ...strace(['--store', store, 'ingest', 't', '-', '--input-format', 'csv'], `k,v\n${Array.from({ length: 3000 }, (_, i) => `p${i % 3},${i}`).join('\n')}\n`),
      ...strace(['--store', store, 'compact', 't']),
    ];
    const mkdirs = trace.filter((c) => c.name.startsWith('mkdir') && c.result === 0 && c.args.includes(store));
    expect(mkdirs.length, 'the store, the dataset, its versions and segments folders were made').toBeGreaterThanOrEqual(4);
    expect(trace.filter((c) => c.name.startsWith('link') && c.result === 0 && c.args.includes(store))).toHaveLength(4);
    expect(problems(trace, store)).toEqual([]);
  });
});
