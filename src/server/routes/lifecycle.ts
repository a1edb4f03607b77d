import type { FastifyPluginAsync } from 'fastify';
import { StrataError } from '../../core/errors.js';
import type { Strata } from '../../db/strata.js';
import { seqHeader } from './rows.js';

/**
 * POST /datasets/:name/delete {where, rewrite?} (role write; Strata-Writer
 * and Strata-Seq make it idempotent, as for rows) and POST
 * /datasets/:name/revert {version} (role admin, as for rollback).
 */
export function lifecycleRoutes(db: Strata): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Params: { name: string }; Body: { where: string; rewrite?: boolean } }>('/datasets/:name/delete', {
      config: { role: 'write' },
      schema: { body: { type: 'object', required: ['where'], additionalProperties: false, properties: { where: { type: 'string', maxLength: 65_536 }, rewrite: { type: 'boolean' } } } },
    }, async (request) => {
      const writer = request.headers['strata-writer'];
      const seq = seqHeader(request.headers['strata-seq']);
      if (Array.isArray(writer)) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', 'send one Strata-Writer header');
      return db.delete(request.params.name, request.body.where, { ...(writer !== undefined || seq !== undefined ? { writer, seq } : {}), ...(request.body.rewrite ? { rewrite: true } : {}) });
    });

    app.post<{ Params: { name: string }; Body: { version: number } }>('/datasets/:name/revert', {
      config: { role: 'admin' },
      schema: { body: { type: 'object', required: ['version'], additionalProperties: false, properties: { version: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } } },
    }, async (request) => db.revert(request.params.name, request.body.version));
  };
}
