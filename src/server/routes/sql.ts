import type { FastifyPluginAsync } from 'fastify';
import type { Strata } from '../../db/strata.js';
import { renderCsv } from '../../core/csv.js';
import { resultToArrow } from '../arrow-result.js';
import type { Metrics } from '../metrics.js';

/**
 * POST /sql {sql}: one read-only SELECT. The answer's form follows Accept:
 * application/json (default) {columns, rows}, application/x-ndjson one row
 * object per line, text/csv with a header line, application/vnd.apache.arrow.stream.
 */
export function sqlRoutes(db: Strata, metrics: Metrics): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: { sql: string } }>('/sql', {
      config: { role: 'read' },
      schema: { body: { type: 'object', required: ['sql'], properties: { sql: { type: 'string', minLength: 1 } } } },
    }, async (request, reply) => {
      const t0 = performance.now();
      const r = await db.sql(request.body.sql);
      metrics.querySeconds.observe({ path: r.explain.path }, (performance.now() - t0) / 1000);
      const accept = String(request.headers.accept ?? '');
      const names = r.columns.map((c) => c.name);
      if (accept.includes('application/x-ndjson')) {
        return reply.type('application/x-ndjson').send(r.rows.map((row) => `${JSON.stringify(Object.fromEntries(names.map((n, i) => [n, row[i]])))}\n`).join(''));
      }
      if (accept.includes('text/csv')) return reply.type('text/csv').send(`${renderCsv(names, r.rows)}\n`);
      if (accept.includes('application/vnd.apache.arrow.stream')) return reply.type('application/vnd.apache.arrow.stream').send(Buffer.from(resultToArrow(r)));
      return { columns: r.columns, rows: r.rows };
    });
  };
}
