import { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { Strata } from '../../db/strata.js';
import type { KafkaFormat } from '../../kafka/source.js';
import { KafkaSource, lagOf } from '../../kafka/source.js';
import { examples, parseInteger, storeLocation } from '../context.js';

function parseFrom(text: string): 'earliest' | 'latest' | number {
  if (text === 'earliest' || text === 'latest') return text;
  const t = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `--from is earliest, latest, a time (ISO 8601) or ms since the epoch; got ${JSON.stringify(text)}`);
  return t;
}

export function kafkaCommand(): Command {
  return new Command('kafka')
    .description("consume a Kafka topic into a dataset until interrupted, exactly once: each partition's position is the seq of its writer kafka/<topic>/<partition>, stored with the rows")
    .argument('<dataset>')
    .requiredOption('--brokers <host:port,...>', 'bootstrap brokers')
    .requiredOption('--topic <topic>', 'the topic to consume')
    .option('--group <group>', 'consumer group (default strata-<dataset>)')
    .option('--format <format>', 'json (one object per record), csv (one row per record, columns in schema order) or arrow (an IPC stream per record)', 'json')
    .option('--batch-rows <n>', 'records per batch at most', '25000')
    .option('--linger-ms <n>', 'how long a batch waits for more records', '200')
    .option('--from <where>', 'where a partition with no stored position starts: earliest, latest or a time', 'earliest')
    .option('--session-timeout-ms <n>', 'how long the group waits for a silent consumer before others take its partitions', '10000')
    .option('--dead-letters <dataset>', 'where records that do not parse or fit go (default <dataset>_dead_letters)')
    .addHelpText('after', examples(
      'strata kafka events --brokers 127.0.0.1:9092 --topic events',
      'strata kafka events --brokers kafka:9092 --topic events --group strata-a --from 2026-11-01T00:00:00Z',
    ))
    .action(async (name: string, opts: { brokers: string; topic: string; group?: string; format: string; batchRows: string; lingerMs: string; from: string; sessionTimeoutMs: string; deadLetters?: string }, cmd: Command) => {
      if (!['json', 'csv', 'arrow'].includes(opts.format)) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `--format is json, csv or arrow, got ${opts.format}`);
      const db = await Strata.open({ store: storeLocation(cmd) });
      const source = new KafkaSource(db, {
        dataset: name, brokers: opts.brokers.split(',').map((b) => b.trim()).filter((b) => b !== ''), topic: opts.topic, format: opts.format as KafkaFormat,
        batchRows: parseInteger('--batch-rows', opts.batchRows), lingerMs: parseInteger('--linger-ms', opts.lingerMs), from: parseFrom(opts.from), sessionTimeoutMs: parseInteger('--session-timeout-ms', opts.sessionTimeoutMs),
        ...(opts.group ? { group: opts.group } : {}), ...(opts.deadLetters ? { deadLetters: opts.deadLetters } : {}),
        onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      });
      await source.start();
      process.stderr.write(`strata: consuming ${opts.topic} into ${name}\n`);
      const report = setInterval(() => {
        const s = source.stats();
        process.stderr.write(`strata: ${s.records} records in ${s.batches} batches, ${s.deadLetters} dead letters, lag ${lagOf(s)}\n`);
      }, 10_000);
      await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
      clearInterval(report);
      await source.stop();
      await db.close();
    });
}
