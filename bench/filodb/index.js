// FiloDB's comparison: the same cpu rows kept two ways in one Cassandra.
// As a row table, one CQL row per record, KillrWeather style (partition by
// hostname, cluster by time), loaded with prepared, concurrent inserts and
// aggregated by paging every row through the driver; and as Strata on
// Cassandra (columnar chunks), loaded through Strata's ingest and aggregated
// by SQL. Each aggregate runs cold: the scan has no cache of its own, and
// Strata is reopened (and connected) so its decoded-chunk cache starts empty.
import cassandra from 'cassandra-driver';
import { Strata, parseColumns } from '../../dist/index.js';
import { compareRows } from '../tsbs/compare.js';
import { cpuBatches, fieldNames, startMs, stepMs, strataSchema, tagNames, tagValues } from '../tsbs/generate.js';
import { batchToIpc } from '../tsbs/load.js';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const otherTags = tagNames.filter((t) => t !== 'hostname');
const rowColumns = ['hostname', 'time', ...fieldNames, ...otherTags];

/** The batch as CQL parameter rows, in rowColumns order. */
function batchToParams(batch, values) {
  const params = [];
  for (let h = 0; h < batch.hosts; h++) {
    const tags = batch.hostTags[h].map((code, k) => values[tagNames[k]][code]);
    for (let t = 0; t < batch.intervals; t++) {
      const r = h * batch.intervals + t;
      params.push([tags[0], new Date(startMs + t * stepMs), ...batch.fields.map((f) => f[r]), ...tags.slice(1)]);
    }
  }
  return params;
}

/** avg(usage_user) and max(usage_system) per hostname, by paging through every row. */
function scanAggregate(client, keyspace) {
  const byHost = new Map();
  return new Promise((resolve, reject) => {
    client.eachRow(`SELECT hostname, usage_user, usage_system FROM ${keyspace}.cpu_rows`, [], { prepare: true, autoPage: true, fetchSize: 5000 },
      (_, row) => {
        let a = byHost.get(row.hostname);
        if (!a) byHost.set(row.hostname, (a = { sum: 0, n: 0, max: -Infinity }));
        a.sum += row.usage_user;
        a.n++;
        if (row.usage_system > a.max) a.max = row.usage_system;
      },
      (err) => (err ? reject(err) : resolve([...byHost].map(([host, a]) => [host, a.sum / a.n, a.max]).sort((x, y) => (x[0] < y[0] ? -1 : 1)))));
  });
}

const strataQuery = 'select hostname, avg(usage_user), max(usage_system) from cpu group by 1 order by 1';

export async function benchFilodb({ contactPoint, hosts = 100, rows = 1_000_000, runs = 3, seed = 1, hostsPerBatch = 10, concurrency = 128, log = () => {} }) {
  const intervals = Math.ceil(rows / hosts);
  const total = hosts * intervals;
  const values = tagValues(hosts);
  const suffix = `${Date.now()}`;
  const rowKeyspace = `filodb_rows_${suffix}`;
  const strataUrl = `cassandra://${contactPoint}/filodb_strata_${suffix}`;
  const client = new cassandra.Client({
    contactPoints: [contactPoint], localDataCenter: 'datacenter1',
    queryOptions: { consistency: cassandra.types.consistencies.localQuorum },
    socketOptions: { readTimeout: 60_000 },
  });
  await client.connect();
  try {
    await client.execute(`CREATE KEYSPACE ${rowKeyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}`);
    await client.execute(`CREATE TABLE ${rowKeyspace}.cpu_rows (hostname text, time timestamp, ${fieldNames.map((f) => `${f} double`).join(', ')}, ${otherTags.map((t) => `${t} text`).join(', ')}, PRIMARY KEY ((hostname), time))`);
    const insert = `INSERT INTO ${rowKeyspace}.cpu_rows (${rowColumns.join(', ')}) VALUES (${rowColumns.map(() => '?').join(', ')})`;

    const db = await Strata.open({ store: strataUrl });
    await db.createDataset('cpu', { columns: parseColumns(strataSchema), partitionKey: ['hostname'], sortKey: ['time'] });
    const load = { rowTableMs: 0, strataMs: 0, seq: 0 };
    for (const batch of cpuBatches({ hosts, intervals, hostsPerBatch, seed })) {
      const params = batchToParams(batch, values);
      const ipc = batchToIpc(batch, values);
      let t = performance.now();
      await cassandra.concurrent.executeConcurrent(client, insert, params, { concurrencyLevel: concurrency });
      load.rowTableMs += performance.now() - t;
      t = performance.now();
      await db.ingest('cpu', ipc, 'arrow', { writer: 'filodb', seq: ++load.seq });
      load.strataMs += performance.now() - t;
      log(`filodb: loaded ${Math.min(load.seq * hostsPerBatch, hosts)}/${hosts} hosts`);
    }
    await db.close();

    // Aggregates, alternating, after one warm-up of each (prepared statements, JIT, Cassandra's own caches).
    const rowTableMs = []; const strataMs = []; let mismatch = null;
    for (let i = 0; i <= runs; i++) {
      let t = performance.now();
      const scanned = await scanAggregate(client, rowKeyspace);
      const scanMs = performance.now() - t;
      const cold = await Strata.open({ store: strataUrl });
      await cold.listDatasets(); // connected, like the driver's client, before the clock starts
      t = performance.now();
      const { rows: answer } = await cold.sql(strataQuery);
      const sqlMs = performance.now() - t;
      await cold.close();
      if (i === 0) {
        mismatch = compareRows(answer, scanned, { ordered: true });
        if (mismatch) log(`filodb: MISMATCH ${mismatch}`);
      } else {
        rowTableMs.push(scanMs);
        strataMs.push(sqlMs);
      }
      log(`filodb: aggregate run ${i}: row table ${scanMs.toFixed(0)} ms, Strata ${sqlMs.toFixed(0)} ms`);
    }
    const result = {
      rows: total, hosts, intervals, batches: load.seq, concurrency, runs,
      load: {
        rowTable: { ms: load.rowTableMs, rowsPerSec: total / (load.rowTableMs / 1000) },
        strata: { ms: load.strataMs, rowsPerSec: total / (load.strataMs / 1000) },
      },
      aggregate: { query: strataQuery, rowTableMs: median(rowTableMs), strataMs: median(strataMs), runs: { rowTableMs, strataMs }, mismatch },
    };
    result.aggregate.ratio = result.aggregate.rowTableMs / result.aggregate.strataMs;
    return result;
  } finally {
    for (const ks of [rowKeyspace, strataUrl.split('/').pop()]) await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`).catch(() => {});
    await client.shutdown();
  }
}

const f0 = (n) => Math.round(n).toLocaleString('en-US');

/** The results as a markdown section. */
export function filodbMarkdown(r) {
  const a = r.aggregate;
  return [
    `## FiloDB's comparison: Cassandra row table vs Strata on Cassandra (${f0(r.rows)} TSBS cpu rows, ${f0(r.hosts)} hosts)`,
    '',
    `Aggregate: avg(usage_user), max(usage_system) per hostname over all rows; median of ${r.runs} cold runs after a warm-up.`,
    '',
    '| system | load | load (ms) | load rows/s | aggregate | aggregate (ms) |',
    '|---|---|---:|---:|---|---:|',
    `| Cassandra row table, one CQL row per record | prepared INSERTs, executeConcurrent x ${r.concurrency} | ${f0(r.load.rowTable.ms)} | ${f0(r.load.rowTable.rowsPerSec)} | paged SELECT (eachRow), aggregated in JS | ${f0(a.rowTableMs)} |`,
    `| Strata on Cassandra | ${r.batches} Arrow IPC batches | ${f0(r.load.strata.ms)} | ${f0(r.load.strata.rowsPerSec)} | SQL, decoded-chunk cache empty | ${f0(a.strataMs)} |`,
    '',
    `Row table / Strata: aggregate **${a.ratio.toFixed(1)}x**, load ${(r.load.rowTable.ms / r.load.strata.ms).toFixed(1)}x. Answers: ${a.mismatch ? `**MISMATCH**: ${a.mismatch}` : 'same'}.`,
    '',
  ].join('\n');
}
