// Starts and stops a single local Apache Cassandra 5.0 node (no Docker) for tests,
// CI and development. The jars come from Maven Central through ./pom.xml; the node
// runs from a run folder (default <repo>/.cassandra, or STRATA_CASSANDRA_DIR) that
// holds lib/, the generated cassandra.yaml and logback.xml, data/, cassandra.log
// and cassandra.pid.
//
// Environment: STRATA_CASSANDRA_DIR, STRATA_CASSANDRA_PORT (9042),
// STRATA_CASSANDRA_HEAP (2G: every test keyspace costs heap), STRATA_JAVA_HOME (a JDK 17 or 11; found under the
// usual JVM folders otherwise).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureJars, findJavaHome, isOurs, launch, readPid, stopProcess, waitReady } from '../jvm/service.mjs';
import { releaseVersion } from './cql.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const POM = join(HERE, 'pom.xml');
const HOST = '127.0.0.1';

function settings({ dir, port, storagePort, heap, timeoutSeconds, lib, unsafeSystem, commitlogSync } = {}) {
  const root = resolve(dir ?? process.env.STRATA_CASSANDRA_DIR ?? join(REPO, '.cassandra'));
  return {
    host: HOST,
    port: Number(port ?? process.env.STRATA_CASSANDRA_PORT ?? 9042),
    // A second node on one machine (fault tests) needs its own internode port.
    storagePort: Number(storagePort ?? process.env.STRATA_CASSANDRA_STORAGE_PORT ?? 7000),
    heap: heap ?? process.env.STRATA_CASSANDRA_HEAP ?? '2G',
    // Faster start, but system tables (the schema too) skip the commit log: a killed node forgets them.
    unsafeSystem: unsafeSystem ?? true,
    // 'periodic' acknowledges writes before the commit log is synced (a killed node may lose the last
    // seconds); 'batch' syncs before acknowledging.
    commitlogSync: commitlogSync ?? 'periodic',
    timeoutSeconds: timeoutSeconds ?? 180,
    dir: root,
    // Jars may be shared between run folders.
    lib: resolve(lib ?? join(root, 'lib')),
    data: join(root, 'data'),
    log: join(root, 'cassandra.log'),
    pidFile: join(root, 'cassandra.pid'),
  };
}

function writeConfig(s) {
  const dirs = Object.fromEntries(
    ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw'].map((d) => [d, join(s.data, d)]),
  );
  for (const d of [...Object.values(dirs), join(s.dir, 'tmp')]) mkdirSync(d, { recursive: true });
  // Every key must be one Cassandra 5.0 knows: unknown keys stop the node.
  const yaml = `cluster_name: strata-dev
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${HOST}:${s.storagePort}"
listen_address: ${HOST}
rpc_address: ${HOST}
storage_port: ${s.storagePort}
native_transport_port: ${s.port}
start_native_transport: true
storage_compatibility_mode: NONE
data_file_directories:
  - ${dirs.data}
commitlog_directory: ${dirs.commitlog}
saved_caches_directory: ${dirs.saved_caches}
hints_directory: ${dirs.hints}
cdc_raw_directory: ${dirs.cdc_raw}
${s.commitlogSync === 'batch' ? 'commitlog_sync: batch' : 'commitlog_sync: periodic\ncommitlog_sync_period: 10000ms'}
auto_snapshot: false
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
key_cache_size: 16MiB
prepared_statements_cache_size: 16MiB
concurrent_compactors: 1
read_request_timeout: 10000ms
range_request_timeout: 20000ms
write_request_timeout: 5000ms
cas_contention_timeout: 5000ms
materialized_views_enabled: true
sasi_indexes_enabled: true
user_defined_functions_enabled: true
`;
  const logback = `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`;
  writeFileSync(join(s.dir, 'cassandra.yaml'), yaml);
  writeFileSync(join(s.dir, 'logback.xml'), logback);
}

// Module access Cassandra needs on Java 17 (as in Cassandra 5.0's conf/jvm17-server.options).
const EXPORTS = [
  'java.base/jdk.internal.misc', 'java.base/java.lang.ref', 'java.management.rmi/com.sun.jmx.remote.internal.rmi',
  'java.rmi/sun.rmi.registry', 'java.rmi/sun.rmi.server', 'java.sql/java.sql', 'jdk.unsupported/sun.misc',
  'jdk.compiler/com.sun.tools.javac.file', 'jdk.attach/sun.tools.attach',
];
const OPENS = [
  'java.base/java.io', 'java.base/java.lang', 'java.base/java.lang.module', 'java.base/java.lang.reflect',
  'java.base/java.util', 'java.base/jdk.internal.loader', 'java.base/jdk.internal.math', 'java.base/jdk.internal.module',
  'java.base/jdk.internal.ref', 'java.base/jdk.internal.reflect', 'java.base/jdk.internal.util.jar',
  'java.base/sun.nio.ch', 'jdk.compiler/com.sun.tools.javac', 'jdk.management/com.sun.management.internal',
];

function jvmArgs(s) {
  const jamm = readdirSync(s.lib).find((f) => /^jamm-.*\.jar$/.test(f));
  return [
    `-Xms${s.heap}`, `-Xmx${s.heap}`, '-XX:+ExitOnOutOfMemoryError',
    ...EXPORTS.map((m) => `--add-exports=${m}=ALL-UNNAMED`),
    ...OPENS.map((m) => `--add-opens=${m}=ALL-UNNAMED`),
    ...(jamm ? [`-javaagent:${join(s.lib, jamm)}`] : []),
    '-Djdk.attach.allowAttachSelf=true',
    '-Dio.netty.tryReflectionSetAccessible=true',
    '-Djava.net.preferIPv4Stack=true',
    `-Djava.io.tmpdir=${join(s.dir, 'tmp')}`,
    `-Dcassandra.config=file://${join(s.dir, 'cassandra.yaml')}`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.storagedir=${s.data}`,
    `-Dcassandra.logdir=${s.dir}`,
    `-Dlogback.configurationFile=${join(s.dir, 'logback.xml')}`,
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    ...(s.unsafeSystem ? ['-Dcassandra.unsafesystem=true'] : []),
    '-cp', `${s.lib}/*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

// The node of this run folder is the JVM whose command line names its cassandra.yaml.
const marker = (s) => join(s.dir, 'cassandra.yaml');

// The last lines of the node's log, preceded by its first ERROR (and the next
// line) when that is further up, since a failed start ends with shutdown noise.
function logTail(s, count = 40) {
  if (!existsSync(s.log)) return '(no log)';
  const lines = readFileSync(s.log, 'utf8').trimEnd().split('\n');
  const tail = lines.slice(-count);
  const error = lines.findIndex((line) => line.startsWith('ERROR'));
  const head = error >= 0 && error < lines.length - count ? [...lines.slice(error, error + 2), '...'] : [];
  return [...head, ...tail].join('\n');
}

/**
 * Starts a node unless one already answers CQL on 127.0.0.1:port, then waits
 * until `SELECT release_version FROM system.local` answers.
 * Resolves to { started, host, port, version, seconds, pid, dir }.
 */
export async function startCassandra(options) {
  const s = settings(options);
  const began = performance.now();
  const seconds = () => Math.round((performance.now() - began) / 100) / 10;
  const info = (extra) => ({ host: s.host, port: s.port, dir: s.dir, pid: readPid(s.pidFile), ...extra });

  const running = await releaseVersion(s.host, s.port, { timeoutMs: 2000 });
  if (running) return info({ started: false, version: running, seconds: 0 });

  mkdirSync(s.dir, { recursive: true });
  let pid = readPid(s.pidFile);
  let started = false;
  if (!pid || !isOurs(pid, marker(s))) {
    // Nothing of ours is starting up already: launch a new node (Cassandra 5.0 runs on Java 11 and 17 only).
    const javaHome = findJavaHome((major) => major === 11, 'Cassandra 5.0 needs a JDK 17 (or 11)');
    ensureJars({ name: 'cassandra', pom: POM, lib: s.lib, javaHome });
    writeConfig(s);
    pid = launch({ javaHome, args: jvmArgs(s), cwd: s.dir, log: s.log, pidFile: s.pidFile });
    started = true;
  }
  const version = await waitReady({
    name: 'Cassandra', pid, marker: marker(s), pidFile: s.pidFile, deadline: began + s.timeoutSeconds * 1000, everyMs: 500,
    ready: () => releaseVersion(s.host, s.port, { timeoutMs: 5000 }), tail: () => logTail(s),
  });
  return info({ started, version, seconds: seconds() });
}

/**
 * Stops the node recorded in the pid file: SIGTERM, then SIGKILL after ~30 s.
 * With { clean: true } the data folder is removed too; { kill: true } sends SIGKILL at once.
 * Resolves to { stopped, seconds }.
 */
export async function stopCassandra({ clean = false, kill = false, ...options } = {}) {
  const s = settings(options);
  const result = await stopProcess({ pidFile: s.pidFile, marker: marker(s), kill });
  if (clean) rmSync(s.data, { recursive: true, force: true });
  return result;
}
