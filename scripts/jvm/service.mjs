// What the local Cassandra node and the local Kafka broker share: finding a
// JDK, resolving a pom's jars from Maven Central into a lib folder once per
// pom, launching a detached JVM whose pid goes to a pid file, waiting for it
// to be ready, and stopping it. A pid is only ever signalled when its
// command line names the run folder's config (where /proc exists), so a
// stale pid file never leads to signalling an unrelated process.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The first JDK whose major version `accept`s, JDK 17 before others; STRATA_JAVA_HOME wins. */
export function findJavaHome(accept, need) {
  if (process.env.STRATA_JAVA_HOME) return process.env.STRATA_JAVA_HOME;
  const homes = [process.env.JAVA_HOME];
  for (const parent of ['/usr/lib/jvm', '/Library/Java/JavaVirtualMachines']) {
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent).sort()) homes.push(join(parent, name), join(parent, name, 'Contents', 'Home'));
  }
  const major = (home) => {
    if (!home || !existsSync(join(home, 'bin', 'java')) || !existsSync(join(home, 'release'))) return 0;
    return Number(readFileSync(join(home, 'release'), 'utf8').match(/^JAVA_VERSION="(?:1\.)?(\d+)/m)?.[1] ?? 0);
  };
  const home = homes.find((h) => major(h) === 17) ?? homes.find((h) => accept(major(h)));
  if (!home) throw new Error(`${need}; install one or set STRATA_JAVA_HOME`);
  return home;
}

/** Copies a pom's dependencies into lib unless they are there for this pom (a stamp holds its hash); true when it resolved. */
export function ensureJars({ name, pom, lib, javaHome }) {
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex');
  const stamp = join(lib, '.pom-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return false;
  rmSync(lib, { recursive: true, force: true });
  console.log(`${name}: resolving jars with Maven into ${lib} ...`);
  const mvn = spawnSync('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], { encoding: 'utf8', env: { ...process.env, JAVA_HOME: javaHome } });
  if (mvn.error) throw new Error(`cannot run mvn: ${mvn.error.message}`);
  if (mvn.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${mvn.status}):\n${mvn.stdout}${mvn.stderr}`);
  writeFileSync(stamp, hash);
  return true;
}

export const readPid = (pidFile) => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || null : null);

export function signal(pid, name) {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** Whether pid is alive and, where /proc exists, its command line holds `marker` (the run folder's config). */
export function isOurs(pid, marker) {
  if (!signal(pid, 0)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self')) return true;
  return existsSync(cmdline) && readFileSync(cmdline, 'utf8').includes(marker);
}

/** Starts `java args` detached in cwd, its output to log; the pid goes to pidFile. */
export function launch({ javaHome, args, cwd, log, pidFile }) {
  const out = openSync(log, 'w');
  const child = spawn(join(javaHome, 'bin', 'java'), args, { cwd, detached: true, stdio: ['ignore', out, out], env: { ...process.env, JAVA_HOME: javaHome } });
  closeSync(out);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

/**
 * Polls `ready()` (a value when the service answers) until the deadline; a
 * process that exits, or is still not ready at the end, is an error with the
 * last lines of its log (and is killed in the second case).
 */
export async function waitReady({ name, pid, marker, pidFile, deadline, ready, tail, everyMs }) {
  while (performance.now() < deadline) {
    if (!isOurs(pid, marker)) {
      rmSync(pidFile, { force: true });
      throw new Error(`${name} exited during startup; last lines of its log:\n${tail()}`);
    }
    const value = await ready();
    if (value) return value;
    await sleep(everyMs);
  }
  signal(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  throw new Error(`${name} did not start in time; last lines of its log:\n${tail()}`);
}

/** SIGTERM, then SIGKILL after ~30 s ({ kill: true }: SIGKILL at once, as when a machine dies). */
export async function stopProcess({ pidFile, marker, kill = false }) {
  const began = performance.now();
  const pid = readPid(pidFile);
  let stopped = false;
  if (pid && isOurs(pid, marker)) {
    signal(pid, kill ? 'SIGKILL' : 'SIGTERM');
    for (let i = 0; i < 300 && isOurs(pid, marker); i++) await sleep(100);
    if (isOurs(pid, marker)) signal(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isOurs(pid, marker); i++) await sleep(100);
    stopped = true;
  }
  rmSync(pidFile, { force: true });
  return { stopped, pid, seconds: Math.round((performance.now() - began) / 100) / 10 };
}
