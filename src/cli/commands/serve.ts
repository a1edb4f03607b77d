import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { Strata } from '../../db/strata.js';
import { buildApp } from '../../server/app.js';
import { StrataError } from '../../core/errors.js';
import { KafkaSource } from '../../kafka/source.js';
import { examples, parseInteger, storeLocation } from '../context.js';

const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the HTTP API (SQL, datasets, versions, idempotent row ingest) until interrupted')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8080')
    .option('--log', 'structured request logs on stdout')
    .option('--tokens-file <path>', 'bearer tokens, one token:role per line (instead of STRATA_TOKENS)')
    .option('--kafka <dataset=topic[@group]>', 'consume a Kafka topic into a dataset while serving (repeatable; see strata kafka)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--kafka-brokers <host:port,...>', 'the brokers of every --kafka source')
    .addHelpText('after', '\nAuthentication: set STRATA_TOKENS="token:role,..." (roles read, write, admin; tokens of 16+ characters).')
    .addHelpText('after', examples(
      'strata serve',
      'strata serve --port 9000 --store ./strata-data',
      'curl -s localhost:8080/sql -H "content-type: application/json" -d \'{"sql":"select 42 as answer"}\'',
    ))
    .action(async (opts: { host: string; port: string; log?: boolean; tokensFile?: string; kafka: string[]; kafkaBrokers?: string }, cmd: Command) => {
      const tokens = opts.tokensFile ? await readFile(opts.tokensFile, 'utf8') : process.env.STRATA_TOKENS;
      if (opts.kafka.length > 0 && !opts.kafkaBrokers) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', '--kafka needs --kafka-brokers');
      const specs = opts.kafka.map((k) => {
        const m = /^([a-z][a-z0-9_]*)=([A-Za-z0-9._-]+)(?:@([A-Za-z0-9._-]+))?$/.exec(k);
        if (!m) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `--kafka is dataset=topic or dataset=topic@group, got ${JSON.stringify(k)}`);
        return { dataset: m[1]!, topic: m[2]!, ...(m[3] ? { group: m[3] } : {}) };
      });
      const db = await Strata.open({ store: storeLocation(cmd) });
      const sources = specs.map((s) => new KafkaSource(db, { ...s, brokers: opts.kafkaBrokers!.split(',').map((b) => b.trim()).filter((b) => b !== ''), onWarning: (m) => process.stderr.write(`warning: ${m}\n`) }));
      const app = await buildApp(db, { logger: opts.log ?? false, ...(tokens !== undefined ? { tokens } : {}), sources: () => sources.map((s) => s.stats()) });
      for (const s of sources) await s.start();
      db.startAutoVacuum();
      if (!loopback.test(opts.host) && !tokens) process.stderr.write(`warning: listening on ${opts.host} with no authentication: anyone who can reach it can read, write and drop data\n`);
      const address = await app.listen({ host: opts.host, port: parseInteger('--port', opts.port) });
      process.stderr.write(`strata: serving ${db.store.location} on ${address}\n`);
      // Finish in-flight requests (commits included), then release the store.
      await new Promise<void>((resolve) => {
        const stop = (): void => { resolve(); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await app.close();
      for (const s of sources) await s.stop();
      await db.close();
    });
}
