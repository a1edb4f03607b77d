import type { FastifyPluginAsync } from 'fastify';
import { StrataError } from '../../core/errors.js';
import { namePattern } from '../../core/names.js';
import type { Strata } from '../../db/strata.js';
import { tagPattern } from '../../versions/tags.js';
import type { Column } from '../../schema/schema.js';
import { parseColumns, parseKeyList } from '../../schema/schema.js';

interface CreateBody {
  name: string;
  /** "a:int32,b:string" or [{name, type}]. */
  schema: string | Column[];
  partitionKey?: string | string[];
  sortKey?: string | string[];
  chunkRows?: number;
}

/** GET/POST /datasets, GET/DELETE /datasets/:name, GET /datasets/:name/versions, GET/POST /datasets/:name/tags, DELETE /datasets/:name/tags/:tag, POST /datasets/:name/rollback. */
export function datasetRoutes(db: Strata): FastifyPluginAsync {
  return async (app) => {
    const read = { config: { role: 'read' as const } };
    const admin = { config: { role: 'admin' as const } };
    app.get('/datasets', read, async () => {
      const infos = await Promise.all((await db.listDatasets()).map((n) => db.describe(n)));
      return infos.map((i) => ({ name: i.name, version: i.version, rows: i.rows, chunks: i.chunks, bytes: i.bytes }));
    });

    app.post<{ Body: CreateBody }>('/datasets', {
      ...admin,
      schema: {
        body: {
          type: 'object', required: ['name', 'schema'], additionalProperties: false,
          properties: {
            name: { type: 'string', pattern: namePattern.source },
            schema: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'object', required: ['name', 'type'], properties: { name: { type: 'string' }, type: { type: 'string' } } } }] },
            partitionKey: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
            sortKey: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
            chunkRows: { type: 'integer' },
          },
        },
      },
    }, async (request, reply) => {
      const b = request.body;
      const columns = typeof b.schema === 'string' ? parseColumns(b.schema) : b.schema;
      const info = await db.createDataset(b.name, {
        columns, partitionKey: parseKeyList(b.partitionKey), sortKey: parseKeyList(b.sortKey), ...(b.chunkRows !== undefined ? { chunkRows: b.chunkRows } : {}),
      });
      return reply.status(201).send(info);
    });

    app.get<{ Params: { name: string } }>('/datasets/:name', read, async (request) => db.describe(request.params.name));

    app.delete<{ Params: { name: string } }>('/datasets/:name', { ...admin, schema: { response: { 204: { description: 'Dropped', type: 'null' } } } }, async (request, reply) => {
      await db.drop(request.params.name);
      return reply.status(204).send();
    });

    app.get<{ Params: { name: string } }>('/datasets/:name/versions', read, async (request) => db.versions(request.params.name));

    // Compaction on demand (it also runs in the background of the server).
    app.post<{ Params: { name: string } }>('/datasets/:name/compact', { config: { role: 'write' as const } }, async (request) => db.compact(request.params.name));

    app.post<{ Params: { name: string }; Body: { retainMs?: number; graceMs?: number } | undefined }>('/datasets/:name/vacuum', {
      ...admin,
      schema: { body: { type: ['object', 'null'], properties: { retainMs: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, graceMs: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } } },
    }, async (request) => db.vacuum(request.params.name, request.body ?? {}));

    // Where a streaming writer resumes: its newest committed seq at the head (404 when it has none).
    app.get<{ Params: { name: string; writer: string } }>('/datasets/:name/writers/:writer', {
      ...read,
      schema: { params: { type: 'object', required: ['name', 'writer'], properties: { name: { type: 'string', pattern: namePattern.source }, writer: { type: 'string', minLength: 1, maxLength: 128 } } } },
    }, async (request) => {
      const info = await db.writer(request.params.name, request.params.writer);
      if (!info) throw new StrataError('STRATA_ERR_WRITER_NOT_FOUND', `writer ${request.params.writer} has no seq in the history of ${request.params.name}`, { dataset: request.params.name, writer: request.params.writer });
      return info;
    });

    // How much history the dataset's vacuums keep (null: back to the default).
    app.put<{ Params: { name: string }; Body: { retainMs: number | null } }>('/datasets/:name/retention', {
      ...admin,
      schema: { body: { type: 'object', required: ['retainMs'], additionalProperties: false, properties: { retainMs: { type: ['integer', 'null'], minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } } },
    }, async (request) => {
      const info = await db.setRetention(request.params.name, request.body.retainMs);
      return { retainMs: info.retainMs, retention: info.retention };
    });

    app.get<{ Params: { name: string } }>('/datasets/:name/readers', read, async (request) => db.readers(request.params.name));

    // A change-feed reader acknowledges what it processed (its own progress: the read role may).
    app.post<{ Params: { name: string; reader: string }; Body: { version: number } }>('/datasets/:name/readers/:reader/ack', {
      ...read,
      schema: { body: { type: 'object', required: ['version'], additionalProperties: false, properties: { version: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } } },
    }, async (request) => db.ackReader(request.params.name, request.params.reader, request.body.version));

    app.delete<{ Params: { name: string; reader: string } }>('/datasets/:name/readers/:reader', { ...admin, schema: { response: { 204: { description: 'Removed', type: 'null' } } } }, async (request, reply) => {
      await db.dropReader(request.params.name, request.params.reader);
      return reply.status(204).send();
    });

    app.get<{ Params: { name: string } }>('/datasets/:name/tags', read, async (request) => db.tags(request.params.name));

    app.post<{ Params: { name: string }; Body: { name: string; version?: number } }>('/datasets/:name/tags', {
      ...admin,
      schema: { body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', pattern: tagPattern.source }, version: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } } },
    }, async (request, reply) => reply.status(201).send(await db.tag(request.params.name, request.body.name, request.body.version)));

    app.delete<{ Params: { name: string; tag: string } }>('/datasets/:name/tags/:tag', admin, async (request) => db.untag(request.params.name, request.params.tag));

    app.post<{ Params: { name: string }; Body: { to: number } }>('/datasets/:name/rollback', {
      ...admin,
      schema: { body: { type: 'object', required: ['to'], properties: { to: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } } },
    }, async (request) => {
      const { version } = await db.rollback(request.params.name, request.body.to);
      return { version, rollbackTo: request.body.to };
    });
  };
}
