/**
 * The HTTP API, built by a function and separate from listen(), so tests
 * drive it through inject() and a real port alike. Route groups are plugins.
 */
import { kernelStatus } from '../kernels/index.js';
import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { namePattern } from '../core/names.js';
import { StrataError, isStrataError } from '../core/errors.js';
import type { Strata } from '../db/strata.js';
import { installAuth, parseTokens } from './auth.js';
import { httpStatus } from './http-errors.js';
import { Metrics } from './metrics.js';
import { changeRoutes } from './routes/changes.js';
import { consoleRoutes } from './routes/console.js';
import { datasetRoutes } from './routes/datasets.js';
import { rowRoutes } from './routes/rows.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import type { KafkaSourceStats } from '../kafka/source.js';
import { lagOf } from '../kafka/source.js';
import { sqlRoutes } from './routes/sql.js';

export interface AppOptions {
  /** Structured request logs (pino, through fastify). */
  logger?: boolean;
  /** Bearer tokens, "token:role,..." (default $STRATA_TOKENS); none means no authentication. */
  tokens?: string;
  /** Streams the server consumes (Kafka sources), listed in /health and /metrics. */
  sources?: () => KafkaSourceStats[];
}

/** A schema validation failure about a dataset name (a `:name` in the path, or `name` in a body). */
function isNameError(error: { validation?: unknown; validationContext?: string }): boolean {
  const issues = error.validation as { instancePath?: string }[] | undefined;
  return Array.isArray(issues) && issues.some((i) => i.instancePath === '/name') && (error.validationContext === 'params' || error.validationContext === 'body');
}

const errorBody = {
  type: 'object', required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], additionalProperties: true, properties: { code: { type: 'string' }, message: { type: 'string' } } } },
};

/**
 * What every route's schema says beyond its own: a `:name` is a dataset name
 * (so the OpenAPI document, and a client generated from it, know the rule),
 * and errors answer {error: {code, message, ...}} with a 4xx or 5xx status.
 */
function describeRoute(route: RouteOptions): void {
  if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
  const schema = (route.schema ??= {}) as Record<string, unknown>;
  if (route.url.includes(':name') && !schema.params) {
    schema.params = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: namePattern.source } } };
  }
  schema.response = { '2xx': { description: 'The answer (see the route)' }, '4xx': errorBody, '5xx': errorBody, ...(schema.response as object | undefined) };
}

export async function buildApp(db: Strata, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // Row uploads are streams with their own limit (batchBytesMax); this bounds every other body.
    bodyLimit: db.limits.requestBodyBytesMax,
    // The whole request, body included, must arrive within requestMsMax (slow-drip uploads end there).
    requestTimeout: db.limits.requestMsMax,
  });

  app.setErrorHandler((caught, request, reply) => {
    const error = caught as Error & { code?: string; statusCode?: number; validation?: unknown; validationContext?: string };
    let e: StrataError;
    if (isStrataError(error)) e = error;
    else if (isNameError(error)) {
      e = new StrataError('STRATA_ERR_INVALID_NAME', `${request.method} ${request.url}: a dataset name matches [a-z][a-z0-9_]{0,62}`);
    } else if (error.validation) e = new StrataError('STRATA_ERR_INVALID_ARGUMENT', error.message);
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new StrataError('STRATA_ERR_UNSUPPORTED_MEDIA_TYPE', `${request.method} ${request.url} does not read ${String(request.headers['content-type'])}`);
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      e = new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the request body is larger than requestBodyBytesMax = ${db.limits.requestBodyBytesMax} bytes`, { limit: 'requestBodyBytesMax' });
    }
    else if (error.statusCode !== undefined && error.statusCode < 500) e = new StrataError('STRATA_ERR_INVALID_ARGUMENT', error.message);
    else {
      request.log.error(error);
      e = new StrataError('STRATA_ERR_INTERNAL', error.message);
    }
    void reply.status(httpStatus(e)).send({ error: e.toJSON() });
  });
  // A path served for other methods answers 405 with Allow, as HTTP asks; anything else 404.
  const routes: { pattern: RegExp; method: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ pattern: new RegExp(`^${route.url.replace(/:[a-z]+/gi, '[^/]+')}$`), method });
    describeRoute(route);
  });
  app.setNotFoundHandler({ preHandler: async () => {} }, (request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (allowed.length > 0) {
      void reply.status(405).header('allow', allowed.join(', ')).send({ error: { code: 'STRATA_ERR_METHOD_NOT_ALLOWED', message: `${path} answers ${allowed.join(', ')}, not ${request.method}` } });
      return;
    }
    void reply.status(404).send({ error: { code: 'STRATA_ERR_NOT_FOUND', message: `no route for ${request.method} ${request.url}` } });
  });

  installAuth(app, parseTokens(options.tokens ?? process.env.STRATA_TOKENS));
  // The OpenAPI document is generated from the route schemas, so it cannot drift from the routes.
  await app.register(swagger, { openapi: { info: { title: 'Strata HTTP API', version: '0.1.0' } } });
  app.get('/docs/json', { config: { role: 'public' }, schema: { hide: true } }, async () => app.swagger());
  const sources = options.sources ?? (() => []);
  const metrics = new Metrics(db, sources);
  // Public, so it says nothing about the deployment (not even where the store is); sources say only what they consume and how far behind they are.
  app.get('/health', { config: { role: 'public' } }, async () => {
    const list = sources().map((s) => ({ dataset: s.dataset, topic: s.topic, records: s.records, deadLetters: s.deadLetters, lag: lagOf(s) }));
    return { status: 'ok', kernels: kernelStatus().active, ...(list.length > 0 ? { sources: list } : {}) };
  });
  app.get('/metrics', { config: { role: 'read' }, schema: { produces: ['text/plain'] } }, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  await app.register(datasetRoutes(db));
  await app.register(rowRoutes(db, metrics));
  await app.register(lifecycleRoutes(db));
  await app.register(sqlRoutes(db, metrics));
  await app.register(changeRoutes(db));
  await app.register(consoleRoutes());
  return app;
}
