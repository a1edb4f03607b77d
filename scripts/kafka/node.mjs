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
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureJars, findJavaHome, isOurs, launch, readPid, stopProcess, waitReady } from '../jvm/service.mjs';

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

function javaArgs(s, mainClass, args, heap = s.heap) {
  return [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+ExitOnOutOfMemoryError', '-Djava.net.preferIPv4Stack=true',
    `-Dlog4j2.configurationFile=${join(s.dir, 'log4j2.properties')}`, `-Dkafka.logs.dir=${s.dir}`, '-cp', `${s.lib}/*`, mainClass, ...args];
}

/** Formats the data folder once (KRaft needs a cluster id written before the first start). */
function ensureFormatted(s, javaHome) {
  if (existsSync(join(s.data, 'meta.properties'))) return;
  const id = randomBytes(16).toString('base64url').slice(0, 22);
  const r = spawnSync(join(javaHome, 'bin', 'java'), javaArgs(s, 'kafka.tools.StorageTool', ['format', '-t', id, '-c', s.config, '--ignore-formatted'], '256m'), { encoding: 'utf8', env: { ...process.env, JAVA_HOME: javaHome } });
  if (r.status !== 0) throw new Error(`kafka storage format failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

// The broker of this run folder is the JVM whose command line names its server.properties.
const marker = (s) => s.config;

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
  const info = (extra) => ({ host: s.host, port: s.port, dir: s.dir, pid: readPid(s.pidFile), brokers: `${s.host}:${s.port}`, ...extra });
  mkdirSync(s.dir, { recursive: true });
  let pid = readPid(s.pidFile);
  if (pid && isOurs(pid, marker(s)) && serving(s) && await listening(s)) return info({ started: false, seconds: 0 });
  if (await listening(s)) throw new Error(`something else listens on ${s.host}:${s.port}; set STRATA_KAFKA_PORT`);
  let started = false;
  if (!pid || !isOurs(pid, marker(s))) {
    const javaHome = findJavaHome((major) => major > 17, 'Kafka 4 needs a JDK 17 or newer');
    ensureJars({ name: 'kafka', pom: POM, lib: s.lib, javaHome });
    writeConfig(s);
    ensureFormatted(s, javaHome);
    pid = launch({ javaHome, args: javaArgs(s, 'kafka.Kafka', [s.config]), cwd: s.dir, log: s.log, pidFile: s.pidFile });
    started = true;
  }
  await waitReady({
    name: 'Kafka', pid, marker: marker(s), pidFile: s.pidFile, deadline: began + s.timeoutSeconds * 1000, everyMs: 200,
    ready: async () => serving(s) && await listening(s), tail: () => logTail(s),
  });
  return info({ started, seconds: seconds() });
}

/** Stops the broker: SIGTERM, then SIGKILL after ~30 s ({ kill: true }: SIGKILL at once). { clean: true } removes its data. */
export async function stopKafka({ clean = false, kill = false, ...options } = {}) {
  const s = settings(options);
  const result = await stopProcess({ pidFile: s.pidFile, marker: marker(s), kill });
  if (clean) rmSync(s.data, { recursive: true, force: true });
  return result;
}
