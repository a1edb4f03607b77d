import { once } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';
import { StrataError, isStrataError } from '../../core/errors.js';
import { changeFeed } from '../../db/change-feed.js';
import type { Strata } from '../../db/strata.js';
import { httpStatus } from '../http-errors.js';
import { readerPattern } from '../../versions/readers.js';

/**
 * GET /datasets/:name/changes?from=V[&sql=...]: Server-Sent Events, one
 * `version` event per version from V on (id = the version, so a client that
 * reconnects with Last-Event-ID resumes after it without loss). A rollback's
 * event lists the versions whose rows it withdrew. With `sql`, each event
 * also carries that query's answer over the rows the version added (a
 * continuous query). With `reader=<name>`, the reader is registered (a
 * durable cursor) and the feed starts after what it last acknowledged
 * (`POST /datasets/:name/readers/:reader/ack {version}`); vacuum keeps those
 * versions, and a reader that fell behind anyway gets a `behind` event
 * naming the versions it missed.
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
    app.get<{ Params: { name: string }; Querystring: { from?: number; sql?: string; reader?: string } }>('/datasets/:name/changes', {
      config: { role: 'read' },
      schema: {
        querystring: { type: 'object', properties: { from: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, sql: { type: 'string', minLength: 1 }, reader: { type: 'string', pattern: readerPattern.source } } },
        produces: ['text/event-stream'],
      },
    }, async (request, reply) => {
      if (open >= db.limits.changeFeedsMax) {
        void reply.header('retry-after', '5');
        throw new StrataError('STRATA_ERR_OVERLOADED', `${db.limits.changeFeedsMax} change feeds are open (changeFeedsMax); retry later`, { retryable: true, limit: 'changeFeedsMax' });
      }
      const { name } = request.params;
      const lastId = request.headers['last-event-id'];
      // A registered reader resumes after what it acknowledged (a Last-Event-ID, what the client already has, goes first).
      const opened = request.query.reader !== undefined ? await db.openReader(name, request.query.reader, request.query.from) : null;
      const next = lastId !== undefined && /^\d+$/.test(String(lastId)) ? Number(lastId) + 1 : (opened?.next ?? request.query.from ?? (await db.headVersion(name)) + 1);
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
        // Never a silent gap: versions vacuumed while the reader was away are named before the feed goes on.
        if (opened?.behind && next === opened.next) await send(`event: behind\ndata: ${JSON.stringify({ reader: request.query.reader, missed: opened.behind, resumeAt: opened.next })}\n\n`);
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
