// TSBS's cpu-only query types in DuckDB's SQL, shaped as TSBS's TimescaleDB
// and ClickHouse templates shape them (date_trunc per minute or hour, a
// hostname list and a random time window), with TSBS's windows: 1 or 12 h
// for single-groupby, 8 h for cpu-max-all, 12 h for double-groupby and
// high-cpu, the end of a random hour for groupby-orderby-limit.
import { fieldNames } from './generate.js';

export const queryTypes = [
  'single-groupby-1-1-1', 'single-groupby-1-1-12', 'single-groupby-1-8-1',
  'single-groupby-5-1-1', 'single-groupby-5-1-12', 'single-groupby-5-8-1',
  'cpu-max-all-1', 'cpu-max-all-8',
  'double-groupby-1', 'double-groupby-5', 'double-groupby-all',
  'high-cpu-1', 'high-cpu-all',
  'groupby-orderby-limit', 'lastpoint',
];

const hourMs = 3_600_000;
const timestamp = (ms) => `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)}'`;

/**
 * One query of `type` with parameters drawn from `rand`, over data in
 * [firstMs, endMs) from `hosts` hosts. `ordered`: the query fixes its row order.
 */
export function makeQuery(type, { rand, hosts, firstMs, endMs }) {
  /** [start, end) of a random window of `hours` (whole seconds) inside the data. */
  const randomWindow = (hours) => {
    const span = Math.min(hours * hourMs, endMs - firstMs);
    const start = firstMs + Math.floor((rand() * (endMs - firstMs - span)) / 1000) * 1000;
    return [start, start + span];
  };
  const window = (hours) => {
    const [start, end] = randomWindow(hours);
    return `time >= ${timestamp(start)} AND time < ${timestamp(end)}`;
  };
  /** `n` distinct random hosts as a hostname IN (...) list. */
  const hostIn = (n) => {
    const ids = new Set();
    while (ids.size < Math.min(n, hosts)) ids.add(Math.floor(rand() * hosts));
    return `hostname IN (${[...ids].map((i) => `'host_${i}'`).join(', ')})`;
  };
  const aggs = (agg, n, prefix = agg) => fieldNames.slice(0, n).map((f) => `${agg}(${f}) AS ${prefix}_${f}`).join(', ');

  let m;
  if ((m = /^single-groupby-(\d+)-(\d+)-(\d+)$/.exec(type))) {
    const [metrics, nHosts, hours] = m.slice(1).map(Number);
    return { ordered: true, sql: `SELECT date_trunc('minute', time) AS minute, ${aggs('max', metrics)} FROM cpu WHERE ${hostIn(nHosts)} AND ${window(hours)} GROUP BY minute ORDER BY minute` };
  }
  if ((m = /^cpu-max-all-(\d+)$/.exec(type))) {
    return { ordered: true, sql: `SELECT date_trunc('hour', time) AS hour, ${aggs('max', fieldNames.length)} FROM cpu WHERE ${hostIn(Number(m[1]))} AND ${window(8)} GROUP BY hour ORDER BY hour` };
  }
  if ((m = /^double-groupby-(\d+|all)$/.exec(type))) {
    const metrics = m[1] === 'all' ? fieldNames.length : Number(m[1]);
    return { ordered: true, sql: `SELECT date_trunc('hour', time) AS hour, hostname, ${aggs('avg', metrics, 'mean')} FROM cpu WHERE ${window(12)} GROUP BY hour, hostname ORDER BY hour, hostname` };
  }
  if ((m = /^high-cpu-(\d+|all)$/.exec(type))) {
    const hostsClause = m[1] === 'all' ? '' : ` AND ${hostIn(Number(m[1]))}`;
    return { ordered: false, sql: `SELECT * FROM cpu WHERE usage_user > 90.0 AND ${window(12)}${hostsClause}` };
  }
  if (type === 'groupby-orderby-limit') {
    return { ordered: true, sql: `SELECT date_trunc('minute', time) AS minute, max(usage_user) FROM cpu WHERE time < ${timestamp(randomWindow(1)[1])} GROUP BY minute ORDER BY minute DESC LIMIT 5` };
  }
  if (type === 'lastpoint') {
    return { ordered: true, sql: 'SELECT DISTINCT ON (hostname) * FROM cpu ORDER BY hostname, time DESC' };
  }
  throw new Error(`unknown TSBS query type ${type}`);
}
