// ClickHouse beside Strata and DuckDB in the TSBS section: a clickhouse-server
// (Debian's package; `apt-get install clickhouse-server`) started by the bench
// on loopback with its data in the bench's folder, the same rows (exported by
// DuckDB as CSV and inserted over HTTP into a MergeTree ordered by hostname
// and time, as TSBS's ClickHouse loader orders its table), and the same queries
// in ClickHouse's dialect, timed over HTTP as a client sees them.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fieldNames, tagNames } from './generate.js';

/** The server binary: Debian's `clickhouse-server`, or the single `clickhouse` binary. */
function binary() {
  for (const [cmd, args] of [['clickhouse-server', []], ['clickhouse', ['server']]]) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0) return { cmd, args };
  }
  return null;
}

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** Starts a server in `dir`; null (with why) when there is none on this machine. */
export async function startClickHouse(dir, { threads = 2 } = {}) {
  const bin = binary();
  if (!bin) return { error: 'clickhouse-server is not installed (apt-get install clickhouse-server)' };
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const [http, tcp] = [await freePort(), await freePort()];
  const config = path.join(dir, 'config.xml');
  writeFileSync(config, `<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${http}</http_port><tcp_port>${tcp}</tcp_port><listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path><tmp_path>${dir}/tmp/</tmp_path><user_files_path>${dir}/files/</user_files_path>
  <format_schema_path>${dir}/schemas/</format_schema_path>
  <timezone>UTC</timezone><mark_cache_size>1073741824</mark_cache_size>
  <users_config>users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
</yandex>
`);
  writeFileSync(path.join(dir, 'users.xml'), `<yandex>
  <profiles><default><max_threads>${threads}</max_threads></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`);
  const child = spawn(bin.cmd, [...bin.args, `--config-file=${config}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const url = `http://127.0.0.1:${http}/`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) return { error: `clickhouse-server exited: ${stderr.trim().split('\n').pop()}` };
    try { if ((await fetch(`${url}ping`)).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const version = (await run(url, 'SELECT version()')).trim();
  return { url, version, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

async function run(url, sql, body) {
  const res = await fetch(body ? `${url}?query=${encodeURIComponent(sql)}` : url, body ? { method: 'POST', body, duplex: 'half' } : { method: 'POST', body: sql });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse: ${text.trim().slice(0, 500)}\n  ${sql.slice(0, 300)}`);
  return text;
}

/** Creates `cpu` (columns in the order of Strata's and DuckDB's tables) and inserts a headerless CSV of it. */
export async function loadClickHouse(ch, csvFile) {
  await run(ch.url, `CREATE TABLE cpu (time DateTime, ${tagNames.map((t) => `${t} String`).join(', ')}, ${fieldNames.map((f) => `${f} Float64`).join(', ')}) ENGINE = MergeTree() ORDER BY (hostname, time)`);
  await run(ch.url, 'INSERT INTO cpu FORMAT CSV', createReadStream(csvFile));
  await run(ch.url, 'OPTIMIZE TABLE cpu FINAL');
  return Number(await run(ch.url, 'SELECT count() FROM cpu'));
}

/** Bytes of the table's active parts (merged-away parts wait minutes to be removed, so the folder overstates it). */
export async function clickHouseBytes(ch) {
  return Number(await run(ch.url, "SELECT sum(bytes) FROM system.parts WHERE table = 'cpu' AND active"));
}

/** A TSBS query of queries.js in ClickHouse's dialect. */
export function toClickHouse(sql) {
  if (/^SELECT DISTINCT ON \(hostname\) \* FROM cpu ORDER BY hostname, time DESC$/.test(sql)) return 'SELECT * FROM cpu ORDER BY hostname, time DESC LIMIT 1 BY hostname';
  return sql
    .replace(/date_trunc\('minute', time\)/g, 'toStartOfMinute(time)')
    .replace(/date_trunc\('hour', time\)/g, 'toStartOfHour(time)')
    .replace(/TIMESTAMP '([^']*)'/g, "toDateTime('$1')");
}

/** The answer's rows as JSON values (64-bit integers come quoted; compare.js reads numeric text as numbers). */
export async function queryClickHouse(ch, sql) {
  return JSON.parse(await run(ch.url, `${toClickHouse(sql)} FORMAT JSONCompact`)).data;
}
