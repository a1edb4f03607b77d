import { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { examples, formatOption, withDb } from '../context.js';

export function compactCommand(): Command {
  return new Command('compact')
    .description("rewrite a dataset's mixed and small chunks into sorted chunks of their own partitions, as a new version (no answer changes)")
    .argument('<dataset>')
    .addOption(formatOption())
    .addHelpText('after', examples('strata compact weather', 'strata compact events --format json'))
    .action(async (name: string, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const r = await db.compact(name);
        if (opts.format === 'json') console.log(JSON.stringify(r));
        else if (r.version === null) console.log(`${name}: nothing to compact`);
        else console.log(`compacted ${name} as version ${r.version}: ${r.chunksIn} chunks (${r.bytesIn} bytes) into ${r.chunksOut} (${r.bytesOut} bytes), ${r.rows} rows, ${r.ms.toFixed(0)} ms`);
      });
    });
}

/** "7d", "12h", "30m", "45s", "500ms" or "0" -> milliseconds. */
export function parseDuration(text: string, what = '--retain'): number {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `${what} must be a duration like 7d, 12h, 30m, 45s or 0, got ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Number(m[1]) * unit;
}

export function vacuumCommand(): Command {
  return new Command('vacuum')
    .description('delete what no version within the retention needs (unreferenced segments, older version records); time travel before it then fails')
    .argument('<dataset>')
    .option('--retain <duration>', "history to keep readable, e.g. 7d, 12h, 0 (default: the dataset's retention, else 7 days)")
    .addOption(formatOption())
    .addHelpText('after', examples('strata vacuum weather', 'strata vacuum events --retain 1d --format json'))
    .action(async (name: string, opts: { retain?: string; format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const r = await db.vacuum(name, opts.retain !== undefined ? { retainMs: parseDuration(opts.retain) } : {});
        if (opts.format === 'json') console.log(JSON.stringify(r));
        else console.log(`vacuumed ${name}: versions from ${r.horizon} kept; deleted ${r.segments} segments, ${r.versions} version records, ${r.checkpoints} checkpoints`);
      });
    });
}

export function retentionCommand(): Command {
  return new Command('retention')
    .description("show or set how much history a dataset's vacuums keep (automatic ones in strata serve included); tagged versions are always kept")
    .argument('<dataset>')
    .argument('[duration]', "e.g. 30d, 12h, 0, or 'default' for the store-wide setting (vacuumRetainMs, 7 days)")
    .addOption(formatOption())
    .addHelpText('after', examples('strata retention events', 'strata retention events 2d', 'strata retention events default'))
    .action(async (name: string, duration: string | undefined, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const info = duration === undefined ? await db.describe(name) : await db.setRetention(name, duration === 'default' ? null : parseDuration(duration, 'the retention'));
        if (opts.format === 'json') console.log(JSON.stringify({ dataset: name, retainMs: info.retainMs, retention: info.retention }));
        else console.log(`${name} keeps ${info.retainMs} ms of history (${info.retention === 'dataset' ? 'its own setting' : 'the default'}) and every tagged version`);
      });
    });
}
