import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { Strata } from '../../db/strata.js';
import { csvLine } from '../../core/csv.js';
import type { ResultBatch } from '../../sql/query.js';
import type { TimedCursor } from '../../sql/runner.js';
import { ArrowResultWriter } from '../arrow-result.js';
import type { Metrics } from '../metrics.js';

type Format = 'json' | 'ndjson' | 'csv' | 'arrow';

const contentTypes: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.stream',
};

function formatOf(accept: string): Format {
  if (accept.includes('application/x-ndjson')) return 'ndjson';
  if (accept.includes('text/csv')) return 'csv';
  if (accept.includes('application/vnd.apache.arrow.stream')) return 'arrow';
  return 'json';
}

/** The answer's bytes, one piece per batch, in the chosen format. */
async function* encode(format: Format, cursor: TimedCursor, first: ResultBatch | null, explain: boolean): AsyncGenerator<string | Uint8Array> {
  const names = cursor.columns.map((c) => c.name);
  const arrow = format === 'arrow' ? new ArrowResultWriter(names, cursor.types) : null;
  let rowsSent = 0;
  if (format === 'json') yield `{"columns":${JSON.stringify(cursor.columns)},"rows":[`;
  if (format === 'csv') yield `${csvLine(names)}\n`;
  if (arrow) yield arrow.start();
  for (let b = first; b; b = await cursor.next()) {
    switch (format) {
      case 'json': yield b.rows.map((r, i) => `${rowsSent + i === 0 ? '' : ','}${JSON.stringify(r)}`).join(''); break;
      case 'ndjson': yield b.rows.map((row) => `${JSON.stringify(Object.fromEntries(names.map((n, i) => [n, row[i]])))}\n`).join(''); break;
      case 'csv': yield b.rows.map((r) => `${csvLine(r)}\n`).join(''); break;
      case 'arrow': yield arrow!.batch(b); break;
    }
    rowsSent += b.rows.length;
  }
  // The plan is known in full once the last rows are out: it closes the answer.
  if (format === 'json') yield explain ? `],"explain":${JSON.stringify(cursor.explain)}}` : ']}';
  if (arrow) yield arrow.end();
}

/**
 * POST /sql {sql, explain?}: one read-only SELECT. The answer's form follows Accept:
 * application/json (default) {columns, rows} (and `explain`, the plan, when asked), application/x-ndjson one row
 * object per line, text/csv with a header line, application/vnd.apache.arrow.stream.
 *
 * Answers stream: each DuckDB vector is encoded and sent when the client is
 * ready for it (a slow reader holds back the query, not the server's memory).
 * An error found before the first rows are ready gets its own status; one
 * found later (queryMsMax passing while a slow client reads, resultRowsMax)
 * cuts the response off unfinished, so a client can never take a partial
 * answer for a whole one.
 */
export function sqlRoutes(db: Strata, metrics: Metrics): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: { sql: string; explain?: boolean } }>('/sql', {
      config: { role: 'read' },
      schema: { body: { type: 'object', required: ['sql'], properties: { sql: { type: 'string', minLength: 1 }, explain: { type: 'boolean', description: 'JSON answers end with the plan: path, scans (chunks pruned, rows read), times' } } } },
    }, async (request, reply) => {
      const t0 = performance.now();
      const cursor = await db.query(request.body.sql);
      let first: ResultBatch | null;
      try {
        first = await cursor.next();
      } catch (e) {
        cursor.close();
        throw e;
      }
      const format = formatOf(String(request.headers.accept ?? ''));
      const body = Readable.from(encode(format, cursor, first, request.body.explain === true), { objectMode: false });
      // At the deadline the answer is cut off: the stream and the connection end unfinished.
      const stop = (): void => { body.destroy(); reply.raw.destroy(); };
      cursor.signal.addEventListener('abort', stop, { once: true });
      // A client that goes away releases the query at once, not at its deadline.
      reply.raw.once('close', () => body.destroy());
      body.once('close', () => {
        cursor.signal.removeEventListener('abort', stop);
        cursor.close();
        metrics.querySeconds.observe({ path: cursor.explain.path }, (performance.now() - t0) / 1000);
      });
      return reply.type(contentTypes[format]).send(body);
    });
  };
}
