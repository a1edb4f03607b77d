/**
 * Optional bearer tokens with roles. With tokens configured, every route but
 * /health needs `Authorization: Bearer <token>`; a role allows its own
 * operations and those of the roles below it: read (query, list, describe),
 * write (+ append rows), admin (+ create, drop, roll back). Tokens are
 * compared by their SHA-256, so lookups take the same time whatever matches.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StrataError } from '../core/errors.js';

export const roles = ['read', 'write', 'admin'] as const;
export type Role = (typeof roles)[number];

/** Route config: the role a route needs ('public' for none). Routes without one need admin. */
export interface RouteAuth { role?: Role | 'public' }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** See RouteAuth. */
    role?: Role | 'public';
  }
}

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** "token:role,token:role" (STRATA_TOKENS, or a file with one item per line) -> token digests to roles. */
export function parseTokens(spec: string | undefined): Map<string, Role> {
  const out = new Map<string, Role>();
  for (const item of (spec ?? '').split(/[,\n]/).map((s) => s.trim()).filter((s) => s !== '' && !s.startsWith('#'))) {
    const i = item.lastIndexOf(':');
    const token = item.slice(0, i); const role = item.slice(i + 1) as Role;
    if (i <= 0 || !roles.includes(role) || token.length < 16) {
      throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `STRATA_TOKENS: each item is token:role with a token of 16+ characters and a role of ${roles.join(', ')}`);
    }
    out.set(digest(token), role);
  }
  return out;
}

/** The role of the request's bearer token, if it has a valid one. */
function roleOf(request: FastifyRequest, tokens: Map<string, Role>): Role | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''));
  return m ? tokens.get(digest(m[1]!)) : undefined;
}

export function installAuth(app: FastifyInstance, tokens: Map<string, Role>): void {
  // GET /whoami: what the caller may do (the console shows admin actions to admins only). Without tokens, everyone is admin.
  app.get('/whoami', { config: { role: 'read' }, schema: { response: { 200: { type: 'object', properties: { auth: { type: 'boolean' }, role: { type: 'string', enum: [...roles] } } } } } },
    async (request) => ({ auth: tokens.size > 0, role: tokens.size > 0 ? roleOf(request, tokens) : 'admin' }));
  if (tokens.size === 0) return;
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const needed = (request.routeOptions.config as RouteAuth | undefined)?.role ?? 'admin';
    if (needed === 'public') return;
    const role = roleOf(request, tokens);
    if (!role) throw new StrataError('STRATA_ERR_UNAUTHORIZED', 'a valid bearer token is required (Authorization: Bearer <token>)');
    if (roles.indexOf(role) < roles.indexOf(needed)) {
      throw new StrataError('STRATA_ERR_FORBIDDEN', `${request.method} ${request.routeOptions.url ?? request.url} needs the ${needed} role; this token has ${role}`);
    }
  });
}
