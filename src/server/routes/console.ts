/**
 * The web console: GET / is its page, GET /console/<file> its assets, all
 * built into dist/console by `npm run build` and read into memory once (a
 * handful of files). They are public: the page asks for a token itself and
 * every API call it makes is checked as any other. Assets are revalidated by
 * ETag and sent gzipped to clients that take it; the page may load nothing
 * from elsewhere (Content-Security-Policy), so it works offline.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { StrataError } from '../../core/errors.js';

interface Asset { body: Buffer; gzip: Buffer; type: string; etag: string }

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

// CodeMirror and uPlot set element styles from script, hence 'unsafe-inline' for styles only.
const policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** dist/console beside the compiled server, or dist's copy when the server runs from TypeScript sources (tests). */
export function consoleDir(): string {
  // src/console holds an index.html too, but not the bundle: app.js marks a build.
  const here = fileURLToPath(new URL('../../console/', import.meta.url));
  if (existsSync(join(here, 'app.js'))) return here;
  return here.replace(/([/\\])src([/\\])console([/\\]?)$/, '$1dist$2console$3');
}

function load(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(dir, 'app.js'))) return assets;
  for (const name of readdirSync(dir)) {
    const type = types[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, gzip: gzipSync(body, { level: 9 }), type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

export function consoleRoutes(dir = consoleDir()): FastifyPluginAsync {
  return async (app) => {
    const assets = load(dir);
    const send = (name: string, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
      const a = assets.get(name);
      if (!a) {
        if (assets.size === 0) throw new StrataError('STRATA_ERR_NOT_FOUND', 'the console is not built: run npm run build');
        throw new StrataError('STRATA_ERR_NOT_FOUND', `no console file ${name}`);
      }
      void reply.header('etag', a.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding');
      if (request.headers['if-none-match'] === a.etag) return reply.status(304).send();
      const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      if (gzip) void reply.header('content-encoding', 'gzip');
      return reply.type(a.type).send(gzip ? a.gzip : a.body);
    };
    const page = { config: { role: 'public' as const }, schema: { hide: true } };
    app.get('/', page, async (request, reply) => send('index.html', request, reply.header('content-security-policy', policy).header('referrer-policy', 'no-referrer')));
    app.get<{ Params: { file: string } }>('/console/:file', page, async (request, reply) => send(request.params.file, request, reply));
  };
}
