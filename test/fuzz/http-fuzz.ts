/**
 * A seeded fuzzer of a running `strata serve` (a child process, so a crash
 * is seen as one): row uploads in every format, mutated, truncated and with
 * lying Arrow metadata; SQL with Unicode whitespace, comments, smuggled
 * statements and nested AT clauses; odd headers, dataset names and routes.
 * While it runs, /health is probed every 100 ms. It reports statuses,
 * crashes, 5xx answers without a code (or with STRATA_ERR_INTERNAL), the
 * slowest /health, and any refused batch after which the dataset's version
 * or row count moved. The same seed gives the same inputs.
 */
import path from 'node:path';
import { batchMessage, concat, endOfStream, honestStream, schemaMessage } from '../helpers/arrow-forge.js';
import { seededRandom } from '../helpers/random.js';
import { startServer } from '../helpers/serve.js';

export interface FuzzReport {
  seed: number;
  inputs: number;
  statuses: Record<string, number>;
  crashes: number;
  uncoded5xx: { input: string; status: number; body: string }[];
  healthStallsOver1s: number;
  healthSlowestMs: number;
  /** Refused batches after which the dataset changed (must be none). */
  changedAfterRefusal: string[];
  seconds: number;
}


const spaces = ['\u3000', '\u00a0', '\u2003', '\ufeff', '\u2028', '\t', '\n', '\r\n', '\u200b'];
const smuggled = [
  "CREATE OR REPLACE MACRO strata_scan(x) AS TABLE SELECT 'forged' AS k", 'CREATE TABLE pwn AS SELECT 1', "COPY (SELECT 1) TO '.tmp/x.csv'",
  "ATTACH '.tmp/x.db' AS x", 'SET threads = 1', "INSTALL httpfs", "PRAGMA database_list", 'DROP TABLE t',
];

/** Characters for random text, by code point (an emoji stays whole). */
const textAlphabet = [...'abcz09_-./%\'"\\;:()[]{}, \u3000\u00e9\u4e2d\u{1f600}\u0000\n'];

class Inputs {
  constructor(private readonly r: () => number) {}
  int(n: number): number { return Math.floor(this.r() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.r() < p; }

  text(max = 12): string {
    return Array.from({ length: this.int(max) }, () => this.pick(textAlphabet)).join('');
  }

  number(): string {
    return this.pick(['0', '-1', '1.5', '1e400', '-1e400', 'NaN', 'Infinity', '9223372036854775808', '-9223372036854775809', '2147483648', '0x10', '1_000', '', ' 7 ', '١٢']);
  }

  timestamp(): string {
    return this.pick(['2026-01-01', '2026-01-01T00:00:00Z', '2026-02-30', '2026-01-01T25:00:00', '2026-01-01T00:00:00+99:99', '1700000000000', '-99999999999999999', 'yesterday', '']);
  }

  row(): Record<string, unknown> {
    const r: Record<string, unknown> = {};
    if (this.chance(0.9)) r.k = this.pick(['a', 'b', this.text(), null, 7]);
    if (this.chance(0.8)) r.ts = this.chance(0.7) ? '2026-01-01T00:00:00Z' : this.timestamp();
    if (this.chance(0.8)) r.v = this.chance(0.6) ? this.r() * 100 : this.pick([this.number(), null, true, [1], { x: 1 }]);
    if (this.chance(0.3)) r.n = this.pick([1, -1, '9223372036854775807', '9223372036854775808', 1.5, 2 ** 60]);
    if (this.chance(0.2)) r.b = this.pick([true, false, 'yes', 'maybe', 0, 2]);
    if (this.chance(0.05)) r[this.text(6)] = 1;
    return r;
  }

  mutate(bytes: Uint8Array): Uint8Array {
    const out = Uint8Array.from(bytes);
    switch (this.int(5)) {
      case 0: return out;
      case 1: return out.subarray(0, this.int(out.length + 1)); // truncated
      case 2: for (let i = 0, n = 1 + this.int(8); i < n && out.length > 0; i++) out[this.int(out.length)] = this.int(256); return out; // flipped bytes
      case 3: return concat(out, out); // doubled
      default: { // a random slice inserted
        const at = this.int(out.length + 1);
        return concat(out.subarray(0, at), new TextEncoder().encode(this.text(20)), out.subarray(at));
      }
    }
  }

  rowsBody(): { type: string; body: Uint8Array } {
    const rows = Array.from({ length: this.int(6) }, () => this.row());
    const enc = new TextEncoder();
    switch (this.int(4)) {
      case 0: {
        const cols = this.chance(0.9) ? ['k', 'ts', 'v'] : [this.text(5), 'k'];
        const csv = [cols.join(','), ...rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c]))).join(','))].join(this.pick(['\n', '\r\n']));
        return { type: 'text/csv', body: this.mutate(enc.encode(csv)) };
      }
      case 1: return { type: 'application/x-ndjson', body: this.mutate(enc.encode(rows.map((r) => JSON.stringify(r)).join('\n'))) };
      case 2: return { type: 'application/vnd.apache.arrow.stream', body: this.mutate(honestStream('v', rows.map(() => this.r()))) };
      default: return { type: 'application/vnd.apache.arrow.stream', body: this.lyingArrow() };
    }
  }

  lyingArrow(): Uint8Array {
    const rows = this.pick([0, 1, 3, 2 ** 20, 50_000_000, 2 ** 31 - 1, 2 ** 40]);
    const fields = this.pick([1, 1, 2, 0x7ffffff0, 1000]);
    const body = new Uint8Array(this.pick([0, 8, 16, 64]));
    const buffers = this.pick([
      [{ offset: 0, length: 0 }, { offset: 0, length: body.length }],
      [{ offset: 0, length: 0 }, { offset: 0, length: 1 << 30 }],
      [{ offset: 2 ** 40, length: 8 }, { offset: 0, length: 8 }],
      [{ offset: 0, length: 8 }],
    ]);
    const parts = [schemaMessage(['v'], fields), batchMessage(rows, buffers, body)];
    if (this.chance(0.7)) parts.push(endOfStream);
    return concat(...parts);
  }

  sql(): string {
    let q = this.pick([
      'select count(*) from t', 'select k, sum(v), avg(v) from t group by k order by k', 'select * from t where v > 1 and k = \'a\'',
      'describe t', 'show t', 'summarize t', 'select * from t AT (VERSION => 1)', "select * from t AT (TIMESTAMP => now())",
      'select * from t AT (VERSION => NULL)', 'select * from t AT (VERSION => (select 1))', 'select * from t AT (VERSION => -1)',
      'select * from t a AT (VERSION => 0) join s b on a.k = b.s', 'with t as (select 1 as x) select * from t', "select * from read_csv('/etc/passwd')",
      'select * from nope', "select * from strata_scan('00')", 'select 1; select 2', 'select length(repeat(\'x\', 100000000))',
      'select * from t AT (VERSION => 1) AT (VERSION => 2)', 'select * from t AT (TIMESTAMP => (select max(ts) from t AT (VERSION => 1)))',
    ]);
    for (let i = 0, n = this.int(4); i < n; i++) {
      const at = this.int(q.length + 1);
      const piece = this.pick([this.pick(spaces).repeat(1 + this.int(60)), `/*${this.pick(spaces)}*/`, `-- ${this.text(5)}\n`, `; ${this.pick(smuggled)}; `,
        `/*z AT (VERSION => length(E'\\'')) AS BIGINT); ${this.pick(smuggled)}; SELECT CAST(((1 --'\n))*/`, this.text(6), "'", '"', ')', '(']);
      q = q.slice(0, at) + piece + q.slice(at);
    }
    return q;
  }

  name(): string {
    return this.pick(['t', 's', 'nope', 'T', '../t', '..%2Ft', '%00', 'a'.repeat(64), 'a'.repeat(300), '\u00e9', 'pg_type', encodeURIComponent(this.text(8))]);
  }
}

export async function fuzzHttp(options: { seed: number; inputs: number; bin?: string; log?: (line: string) => void }): Promise<FuzzReport> {
  const t0 = Date.now();
  const bin = options.bin ?? path.resolve('bin/strata');
  // No background compaction: it makes versions of its own, and the check is that a refusal makes none.
  const env = { STRATA_QUERY_MS_MAX: '3000', STRATA_UPLOAD_IDLE_MS_MAX: '2000', STRATA_CHANGE_FEEDS_MAX: '20', STRATA_COMPACTION_IDLE_MS: '0' };
  let server = await startServer(bin, env);
  const report: FuzzReport = { seed: options.seed, inputs: 0, statuses: {}, crashes: 0, uncoded5xx: [], healthStallsOver1s: 0, healthSlowestMs: 0, changedAfterRefusal: [], seconds: 0 };
  const g = new Inputs(seededRandom(options.seed));
  const json = { 'content-type': 'application/json' };

  const setup = async (): Promise<void> => {
    for (const [name, schema] of [['t', 'k:string,ts:timestamp,v:float64,n:int64,b:bool'], ['s', 's:string']]) {
      await fetch(`${server.base}/datasets`, { method: 'POST', headers: json, body: JSON.stringify({ name, schema, partitionKey: name === 't' ? 'k' : undefined }) });
    }
    await fetch(`${server.base}/datasets/t/rows`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'k,ts,v\na,2026-01-01,1\nb,2026-01-02,2\n' });
  };
  await setup();

  let probing = true;
  const probe = (async () => {
    while (probing) {
      const p0 = Date.now();
      const ok = await fetch(`${server.base}/health`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.ok, () => false);
      const ms = Date.now() - p0;
      if (ok || !server.exited()) {
        report.healthSlowestMs = Math.max(report.healthSlowestMs, ms);
        if (ms > 1000) report.healthStallsOver1s++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const state = async (): Promise<string> => {
    const r = await fetch(`${server.base}/datasets/t`).then((x) => x.json() as Promise<{ version?: number; rows?: number }>, () => ({ version: undefined, rows: undefined }));
    return `${String(r.version)}/${String(r.rows)}`;
  };
  let known = await state();

  for (let i = 0; i < options.inputs; i++) {
    const kind = g.int(10);
    let label = '';
    let request: () => Promise<Response>;
    let isRows = false;
    if (kind < 4) {
      const { type, body } = g.rowsBody();
      const headers: Record<string, string> = { 'content-type': g.chance(0.95) ? type : g.pick(['text/plain', 'application/json', 'text/csv; charset=latin1', '']) };
      if (g.chance(0.5)) { headers['strata-writer'] = g.pick(['w', 'w2', 'a'.repeat(300), 'x y', '']); headers['strata-seq'] = g.pick([String(g.int(20)), '-1', 'x', '1e3', '99999999999999999999', '']); }
      const name = g.chance(0.85) ? 't' : g.name();
      label = `POST /datasets/${name}/rows ${headers['content-type']} (${body.length} bytes)`;
      isRows = name === 't';
      request = () => fetch(`${server.base}/datasets/${name}/rows`, { method: 'POST', headers, body });
    } else if (kind < 8) {
      const sql = g.sql();
      const accept = g.pick(['application/json', 'application/x-ndjson', 'text/csv', 'application/vnd.apache.arrow.stream', '*/*', 'text/html']);
      label = `POST /sql ${accept} ${JSON.stringify(sql).slice(0, 200)}`;
      request = () => fetch(`${server.base}/sql`, { method: 'POST', headers: { ...json, accept }, body: g.chance(0.95) ? JSON.stringify({ sql }) : g.pick(['{', '{"sql":1}', '[]', 'null', `{"sql":"${'x'.repeat(2 << 20)}"}`]) });
    } else {
      const name = g.name();
      const route = g.pick([
        ['GET', `/datasets/${name}`], ['GET', `/datasets/${name}/versions`], ['POST', `/datasets/${name}/rollback`], ['GET', `/datasets/${name}/changes?from=${g.pick(['0', '-1', 'x', '1'])}&sql=${encodeURIComponent(g.sql())}`],
        // Deletes aim anywhere but at the two datasets the run watches.
        ['DELETE', `/datasets/${['t', 's'].includes(name) ? 'zz' : name}`], ['GET', `/${g.text(10)}`], ['POST', '/datasets'],
      ] as const);
      label = `${route[0]} ${route[1].slice(0, 200)}`;
      const body = route[0] === 'POST' ? (route[1] === '/datasets' ? JSON.stringify({ name: g.name(), schema: g.pick(['a:int32', 'a:decimal', '', 'a:int32,a:int32']) }) : JSON.stringify({ to: g.pick([0, 1, -1, 1e20, 'x']) })) : undefined;
      const feed = route[1].includes('/changes');
      request = async () => {
        const controller = new AbortController();
        const r = await fetch(`${server.base}${route[1]}`, { method: route[0], headers: body ? json : {}, body, signal: controller.signal });
        if (feed) controller.abort();
        return r;
      };
      if (route[0] === 'POST' && route[1].includes('rollback') && name === 't') isRows = true;
    }

    let status = 0;
    let text = '';
    try {
      const r = await request();
      status = r.status;
      text = status === 200 && label.includes('/changes') ? '' : await r.text().catch(() => '');
    } catch {
      status = 0; // refused by the client (an invalid header) or the connection was cut: counted, not judged
    }
    report.inputs++;
    report.statuses[String(status)] = (report.statuses[String(status)] ?? 0) + 1;
    if (server.exited()) {
      report.crashes++;
      options.log?.(`crash after: ${label}`);
      server = await startServer(bin, env);
      await setup();
      known = await state();
      continue;
    }
    if (status >= 500) {
      let code = '';
      try { code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? ''; } catch { /* not JSON */ }
      if (!code || code === 'STRATA_ERR_INTERNAL') report.uncoded5xx.push({ input: label, status, body: text.slice(0, 300) });
    }
    if (isRows) {
      const now = await state();
      if ((status === 0 || status >= 400) && now !== known) report.changedAfterRefusal.push(`${label}: ${known} -> ${now}`);
      known = now;
    }
    if (options.log && (i + 1) % 1000 === 0) options.log(`${i + 1} inputs, ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  probing = false;
  await probe;
  server.child.kill('SIGTERM');
  report.seconds = Math.round((Date.now() - t0) / 100) / 10;
  return report;
}

export function renderReport(r: FuzzReport, title: string): string {
  const statuses = Object.entries(r.statuses).sort(([a], [b]) => Number(a) - Number(b)).map(([s, n]) => `${s}: ${n}`).join(', ');
  return [
    `## ${title}`, '',
    `seed ${r.seed}, ${r.inputs} inputs in ${r.seconds} s`, '',
    '| measure | value |', '|---|---:|',
    `| crashes | ${r.crashes} |`,
    `| 5xx without a code, or STRATA_ERR_INTERNAL | ${r.uncoded5xx.length} |`,
    `| refused batches that changed the dataset | ${r.changedAfterRefusal.length} |`,
    `| /health answers over 1 s | ${r.healthStallsOver1s} |`,
    `| slowest /health | ${r.healthSlowestMs} ms |`, '',
    `Statuses (0: the client refused the input or the connection was cut): ${statuses}`, '',
    ...r.uncoded5xx.slice(0, 10).map((u) => `- ${u.status} ${u.input}: ${u.body}`),
    ...r.changedAfterRefusal.slice(0, 10).map((c) => `- changed: ${c}`),
  ].join('\n');
}
