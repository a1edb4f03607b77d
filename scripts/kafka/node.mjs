// Starts and stops a single local Apache Kafka 4 broker (KRaft: broker and
// controller in one process, no ZooKeeper, no Docker) for tests, CI and
// development. The jars come from Maven Central through ./pom.xml; the broker
// runs from a run folder (default <repo>/.kafka, or STRATA_KAFKA_DIR) that
// holds lib/, the generated server.properties and log4j2.properties, data/,
// kafka.log and kafka.pid.
//
// Environment: STRATA_KAFKA_DIR, STRATA_KAFKA_PORT (9092; the controller
// listens on the next port), STRATA_KAFKA_HEAP (1G), STRATA_JAVA_HOME (a JDK
// 17 or newer; found under the usual JVM folders otherwise).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const POM = join(HERE, 'pom.xml');
const HOST = '127.0.0.1';

function settings({ dir, port, heap, timeoutSeconds } = {}) {
  const root = resolve(dir ?? process.env.STRATA_KAFKA_DIR ?? join(REPO, '.kafka'));
  const p = Number(port ?? process.env.STRATA_KAFKA_PORT ?? 9092);
  return {
    host: HOST, port: p, controllerPort: p + 1,
    heap: heap ?? process.env.STRATA_KAFKA_HEAP ?? '1G',
    timeoutSeconds: timeoutSeconds ?? 120,
    dir: root,
    lib: join(root, 'lib'),
    data: join(root, 'data'),
    log: join(root, 'kafka.log'),
    pidFile: join(root, 'kafka.pid'),
    config: join(root, 'server.properties'),
  };
}

function findJavaHome() {
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
  // Kafka 4 brokers need Java 17 or newer; the Cassandra JDK (17) first.
  const home = homes.find((h) => major(h) === 17) ?? homes.find((h) => major(h) > 17);
  if (!home) throw new Error('Kafka 4 needs a JDK 17 or newer; install one or set STRATA_JAVA_HOME');
  return home;
}

/** Copies the broker's jars into lib/ unless they are there for the current pom (a stamp holds its hash). */
function ensureJars(s, javaHome) {
  const hash = createHash('sha256').update(readFileSync(POM)).digest('hex');
  const stamp = join(s.lib, '.pom-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  rmSync(s.lib, { recursive: true, force: true });
  console.log(`kafka: resolving jars with Maven into ${s.lib} ...`);
  const mvn = spawnSync('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${s.lib}`], { encoding: 'utf8', env: { ...process.env, JAVA_HOME: javaHome } });
  if (mvn.error) throw new Error(`cannot run mvn: ${mvn.error.message}`);
  if (mvn.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${mvn.status}):\n${mvn.stdout}${mvn.stderr}`);
  writeFileSync(stamp, hash);
}

function writeConfig(s) {
  mkdirSync(s.data, { recursive: true });
  writeFileSync(s.config, `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${s.controllerPort}
listeners=PLAINTEXT://${HOST}:${s.port},CONTROLLER://${HOST}:${s.controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${s.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${s.data}
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=false
log.retention.hours=-1
`);
  writeFileSync(join(s.dir, 'log4j2.properties'), `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
`);
}

function java(s, javaHome, mainClass, args, extra = {}) {
  return {
    cmd: join(javaHome, 'bin', 'java'),
    args: [`-Xms${s.heap}`, `-Xmx${s.heap}`, '-XX:+ExitOnOutOfMemoryError', '-Djava.net.preferIPv4Stack=true',
      `-Dlog4j2.configurationFile=${join(s.dir, 'log4j2.properties')}`, `-Dkafka.logs.dir=${s.dir}`, '-cp', `${s.lib}/*`, mainClass, ...args],
    env: { ...process.env, JAVA_HOME: javaHome, ...extra },
  };
}

/** Formats the data folder once (KRaft needs a cluster id written before the first start). */
function ensureFormatted(s, javaHome) {
  if (existsSync(join(s.data, 'meta.properties'))) return;
  const id = randomBytes(16).toString('base64url').slice(0, 22);
  const j = java(s, javaHome, 'kafka.tools.StorageTool', ['format', '-t', id, '-c', s.config, '--ignore-formatted'], {});
  const r = spawnSync(j.cmd, j.args.map((a) => (a.startsWith('-Xm') ? a.replace(s.heap, '256m') : a)), { encoding: 'utf8', env: j.env });
  if (r.status !== 0) throw new Error(`kafka storage format failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

const readPid = (s) => (existsSync(s.pidFile) ? Number(readFileSync(s.pidFile, 'utf8').trim()) || null : null);
const signal = (pid, name) => { try { process.kill(pid, name); return true; } catch { return false; } };

function isBroker(s, pid) {
  if (!signal(pid, 0)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self')) return true;
  return existsSync(cmdline) && readFileSync(cmdline, 'utf8').includes(s.config);
}

/** Whether something accepts connections on the broker's port. */
function listening(s) {
  return new Promise((done) => {
    const c = connect({ host: s.host, port: s.port });
    c.setTimeout(1000, () => { c.destroy(); done(false); });
    c.once('connect', () => { c.destroy(); done(true); });
    c.once('error', () => done(false));
  });
}

const serving = (s) => existsSync(s.log) && /Kafka Server started/.test(readFileSync(s.log, 'utf8'));

function logTail(s, count = 40) {
  if (!existsSync(s.log)) return '(no log)';
  return readFileSync(s.log, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Starts a broker unless ours already serves on the port, and waits until it
 * says it started and accepts connections. Resolves to { started, host, port, seconds, pid, dir }.
 */
export async function startKafka(options) {
  const s = settings(options);
  const began = performance.now();
  const seconds = () => Math.round((performance.now() - began) / 100) / 10;
  const info = (extra) => ({ host: s.host, port: s.port, dir: s.dir, pid: readPid(s), brokers: `${s.host}:${s.port}`, ...extra });
  mkdirSync(s.dir, { recursive: true });
  let pid = readPid(s);
  if (pid && isBroker(s, pid) && serving(s) && await listening(s)) return info({ started: false, seconds: 0 });
  if (await listening(s)) throw new Error(`something else listens on ${s.host}:${s.port}; set STRATA_KAFKA_PORT`);
  let started = false;
  if (!pid || !isBroker(s, pid)) {
    const javaHome = findJavaHome();
    ensureJars(s, javaHome);
    writeConfig(s);
    ensureFormatted(s, javaHome);
    const log = openSync(s.log, 'w');
    const j = java(s, javaHome, 'kafka.Kafka', [s.config]);
    const child = spawn(j.cmd, j.args, { cwd: s.dir, detached: true, stdio: ['ignore', log, log], env: j.env });
    closeSync(log);
    child.unref();
    pid = child.pid;
    writeFileSync(s.pidFile, `${pid}\n`);
    started = true;
  }
  const deadline = began + s.timeoutSeconds * 1000;
  while (performance.now() < deadline) {
    if (!isBroker(s, pid)) {
      rmSync(s.pidFile, { force: true });
      throw new Error(`Kafka exited during startup; last lines of ${s.log}:\n${logTail(s)}`);
    }
    if (serving(s) && await listening(s)) return info({ started, seconds: seconds() });
    await sleep(200);
  }
  signal(pid, 'SIGKILL');
  rmSync(s.pidFile, { force: true });
  throw new Error(`Kafka did not start within ${s.timeoutSeconds} s; last lines of ${s.log}:\n${logTail(s)}`);
}

/** Stops the broker: SIGTERM, then SIGKILL after ~30 s ({ kill: true }: SIGKILL at once). { clean: true } removes its data. */
export async function stopKafka({ clean = false, kill = false, ...options } = {}) {
  const s = settings(options);
  const began = performance.now();
  const pid = readPid(s);
  let stopped = false;
  if (pid && isBroker(s, pid)) {
    signal(pid, kill ? 'SIGKILL' : 'SIGTERM');
    for (let i = 0; i < 300 && isBroker(s, pid); i++) await sleep(100);
    if (isBroker(s, pid)) signal(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isBroker(s, pid); i++) await sleep(100);
    stopped = true;
  }
  rmSync(s.pidFile, { force: true });
  if (clean) rmSync(s.data, { recursive: true, force: true });
  return { stopped, pid, seconds: Math.round((performance.now() - began) / 100) / 10 };
}
