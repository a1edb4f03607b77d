import { once } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';
import { StrataError, isStrataError } from '../../core/errors.js';
import { changeFeed } from '../../db/change-feed.js';
import type { Strata } from '../../db/strata.js';
import { httpStatus } from '../http-errors.js';

/**
 * GET /datasets/:name/changes?from=V[&sql=...]: Server-Sent Events, one
 * `version` event per version from V on (id = the version, so a client that
 * reconnects with Last-Event-ID resumes after it without loss). A rollback's
 * event lists the versions whose rows it withdrew. With `sql`, each event
 * also carries that query's answer over the rows the version added (a
 * continuous query).
 *
 * Headers go out at once, idle feeds cost no work (they wake when the
 * dataset moves), a keep-alive comment goes out every feedHeartbeatMs of
 * silence, a slow reader holds back its own feed only, and at most
 * changeFeedsMax feeds are open at once (429 beyond).
 */
export function changeRoutes(db: Strata): FastifyPluginAsync {
  return async (app) => {
    // Open feeds end when the server closes, so a graceful shutdown is not held up by them.
    const closing = new AbortController();
    app.addHook('onClose', async () => { closing.abort(); });
    let open = 0;
    app.get<{ Params: { name: string }; Querystring: { from?: number; sql?: string } }>('/datasets/:name/changes', {
      config: { role: 'read' },
      schema: {
        querystring: { type: 'object', properties: { from: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, sql: { type: 'string', minLength: 1 } } },
        produces: ['text/event-stream'],
      },
    }, async (request, reply) => {
      if (open >= db.limits.changeFeedsMax) {
        void reply.header('retry-after', '5');
        throw new StrataError('STRATA_ERR_OVERLOADED', `${db.limits.changeFeedsMax} change feeds are open (changeFeedsMax); retry later`, { retryable: true, limit: 'changeFeedsMax' });
      }
      const { name } = request.params;
      const lastId = request.headers['last-event-id'];
      const next = lastId !== undefined && /^\d+$/.test(String(lastId)) ? Number(lastId) + 1 : (request.query.from ?? (await db.headVersion(name)) + 1);
      const sql = request.query.sql;
      if (sql) await db.sql(sql, { delta: { dataset: name, version: 0 } }); // refuse a bad query before the stream opens
      open++;
      reply.hijack();
      const out = reply.raw;
      const gone = new AbortController();
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      request.raw.on('close', () => gone.abort());
      out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      out.write(': connected\n\n');
      let lastWrite = Date.now();
      const send = async (text: string): Promise<void> => {
        lastWrite = Date.now();
        if (!out.write(text) && !signal.aborted) await once(out, 'drain', { signal }).catch(() => {});
      };
      const heartbeat = setInterval(() => { if (Date.now() - lastWrite >= db.limits.feedHeartbeatMs) void send(': keep-alive\n\n'); }, Math.min(1_000, db.limits.feedHeartbeatMs));
      try {
        for await (const e of changeFeed(db, name, next, { ...(sql ? { sql } : {}), signal })) {
          await send(`id: ${e.version}\nevent: version\ndata: ${JSON.stringify(e.result ? { ...e.change, result: e.result } : e.change)}\n\n`);
        }
      } catch (e) {
        const err = isStrataError(e) ? e : new StrataError('STRATA_ERR_INTERNAL', (e as Error).message);
        if (!signal.aborted) out.write(`event: error\ndata: ${JSON.stringify({ status: httpStatus(err), error: err.toJSON() })}\n\n`);
      } finally {
        clearInterval(heartbeat);
        open--;
        out.end();
      }
    });
  };
}
