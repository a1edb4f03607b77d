import type { FastifyPluginAsync } from 'fastify';
import { StrataError, isStrataError } from '../../core/errors.js';
import type { Strata } from '../../db/strata.js';
import { httpStatus } from '../http-errors.js';

/** How often an open feed looks for new versions (the store may be written by other processes). */
const pollMs = 200;
const heartbeatMs = 15_000;

/**
 * GET /datasets/:name/changes?from=V[&sql=...]: Server-Sent Events, one
 * `version` event per version from V on (id = the version, so a client that
 * reconnects with Last-Event-ID resumes after it without loss). A rollback's
 * event lists the versions whose rows it withdrew. With `sql`, each event
 * also carries that query's answer over the rows the version added (a
 * continuous query).
 */
export function changeRoutes(db: Strata): FastifyPluginAsync {
  return async (app) => {
    // Open feeds end when the server closes, so a graceful shutdown is not held up by them.
    let closing = false;
    app.addHook('onClose', async () => { closing = true; });
    app.get<{ Params: { name: string }; Querystring: { from?: number; sql?: string } }>('/datasets/:name/changes', {
      config: { role: 'read' },
      schema: { querystring: { type: 'object', properties: { from: { type: 'integer', minimum: 0 }, sql: { type: 'string', minLength: 1 } } } },
    }, async (request, reply) => {
      const { name } = request.params;
      const lastId = request.headers['last-event-id'];
      let next = lastId !== undefined && /^\d+$/.test(String(lastId)) ? Number(lastId) + 1 : (request.query.from ?? (await db.headVersion(name)) + 1);
      const sql = request.query.sql;
      if (sql) await db.sql(sql, { delta: { dataset: name, version: 0 } }); // refuse a bad query before the stream opens
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      let open = true;
      request.raw.on('close', () => { open = false; });
      const live = (): boolean => open && !closing;
      let lastWrite = Date.now();
      const send = (text: string): void => { out.write(text); lastWrite = Date.now(); };
      try {
        while (live()) {
          const head = await db.headVersion(name);
          for (; next <= head && live(); next++) {
            const change = await db.change(name, next);
            const result = sql ? await db.sql(sql, { delta: { dataset: name, version: next } }) : null;
            send(`id: ${next}\nevent: version\ndata: ${JSON.stringify(result ? { ...change, result: { columns: result.columns, rows: result.rows } } : change)}\n\n`);
          }
          if (Date.now() - lastWrite > heartbeatMs) send(': keep-alive\n\n');
          await new Promise((r) => setTimeout(r, pollMs));
        }
      } catch (e) {
        const err = isStrataError(e) ? e : new StrataError('STRATA_ERR_INTERNAL', (e as Error).message);
        if (open) send(`event: error\ndata: ${JSON.stringify({ status: httpStatus(err), error: err.toJSON() })}\n\n`);
      } finally {
        out.end();
      }
    });
  };
}
