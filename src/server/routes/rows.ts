import type { FastifyPluginAsync } from 'fastify';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { Admission } from '../../core/admission.js';
import { StrataError, isStrataError } from '../../core/errors.js';
import type { Strata } from '../../db/strata.js';
import type { InputFormat } from '../../ingest/parse.js';
import type { Metrics } from '../metrics.js';

const formatByType: Record<string, InputFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/vnd.apache.arrow.stream': 'arrow',
};

export function seqHeader(raw: string | string[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw[0]! : raw;
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `Strata-Seq must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * The request body as the ingest path reads it. A client that disconnects
 * mid-upload fails the read (so its ingest slot is freed), and one that
 * sends nothing for `idleMs` fails it with a 408 (`onIdle` marks the
 * connection to be closed, since the rest of its body will never be read).
 */
function uploadBody(raw: Readable, idleMs: number, onIdle: () => void): { stream: Readable; alive: () => void; done: () => void } {
  const stream = new PassThrough();
  const cut = (e: Error): void => { raw.unpipe(stream); stream.destroy(e); };
  raw.on('error', cut);
  raw.on('close', () => { if (!raw.readableEnded) cut(new StrataError('STRATA_ERR_BAD_FORMAT', 'the client closed the connection before the whole body arrived; nothing was written')); });
  raw.pipe(stream);
  const idle = setTimeout(() => {
    onIdle();
    cut(new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the upload sent no bytes for uploadIdleMsMax = ${idleMs} ms and was dropped; nothing was written`, { limit: 'uploadIdleMsMax' }));
  }, idleMs);
  // Once the body is in, the commit may take its time.
  raw.once('end', () => clearTimeout(idle));
  return { stream, alive: () => idle.refresh(), done: () => clearTimeout(idle) };
}

/**
 * POST /datasets/:name/rows: a CSV, NDJSON or Arrow IPC body (by
 * Content-Type), read as a stream and appended as one atomic batch.
 * Strata-Writer and Strata-Seq make it exactly-once: a retry answers
 * duplicate: true with the version that holds it.
 *
 * An admitted upload that goes uploadIdleMsMax without a byte is dropped, and a batch waits for admission at most that long
 * before it is refused with 429: a stalled client can hold a slot only so long.
 */
export function rowRoutes(db: Strata, metrics: Metrics): FastifyPluginAsync {
  return async (app) => {
    const admission = new Admission(db.limits.ingestInFlightMax, db.limits.ingestQueuedMax, 'ingest', 'ingestQueuedMax');
    metrics.observeQueue(() => admission.depth);
    // Bodies stay streams: the ingest path reads, counts and validates them itself (batchBytesMax).
    app.addContentTypeParser(Object.keys(formatByType), (_request, payload, done) => done(null, payload));

    app.post<{ Params: { name: string } }>('/datasets/:name/rows', { config: { role: 'write' } }, async (request, reply) => {
      const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const format = formatByType[type];
      if (!format) throw new StrataError('STRATA_ERR_UNSUPPORTED_MEDIA_TYPE', `rows are sent as ${Object.keys(formatByType).join(', ')}; got ${type || 'no Content-Type'}`);
      const writer = request.headers['strata-writer'];
      const seq = seqHeader(request.headers['strata-seq']);
      let release: () => void;
      try {
        release = await admission.enter(db.limits.uploadIdleMsMax);
      } catch (e) {
        metrics.rejected.inc({ code: isStrataError(e) ? e.code : 'STRATA_ERR_INTERNAL' });
        void reply.header('retry-after', '1');
        throw e;
      }
      const body = uploadBody(request.raw, db.limits.uploadIdleMsMax, () => { void reply.header('connection', 'close'); });
      let r;
      let bytes = 0;
      try {
        r = await db.ingest(request.params.name, body.stream, format, {
          ...(writer !== undefined ? { writer: String(writer) } : {}), ...(seq !== undefined ? { seq } : {}), onBytes: (n) => { bytes = n; body.alive(); },
        });
      } catch (e) {
        metrics.rejected.inc({ code: isStrataError(e) ? e.code : 'STRATA_ERR_INTERNAL' });
        throw e;
      } finally {
        body.done();
        release();
      }
      if (r.duplicate) metrics.duplicates.inc();
      else { metrics.commits.inc(); metrics.rowsIngested.inc(r.rows); metrics.bytesIngested.inc(bytes); }
      return { version: r.version, rows: r.rows, duplicate: r.duplicate };
    });
  };
}
