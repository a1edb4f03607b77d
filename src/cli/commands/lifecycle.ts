import { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { examples, formatOption, parseInteger, withDb } from '../context.js';

export function deleteCommand(): Command {
  return new Command('delete')
    .description('delete the rows a predicate matches, as a new version (earlier versions still read them; strata revert brings them back)')
    .argument('<dataset>')
    .requiredOption('--where <predicate>', "a boolean expression over the dataset's columns, in DuckDB's dialect")
    .option('--writer <name>', 'with --seq: a retry of the same delete is answered, not applied twice')
    .option('--seq <n>', "the writer's sequence number for this delete")
    .option('--rewrite', 'copy the chunks it touches without the rows, instead of masking the rows (deletion vectors)')
    .addOption(formatOption())
    .addHelpText('after', examples(
      "strata delete weather --where \"location = 'Seattle' and date < timestamp '2012-02-01'\"",
      'strata delete events --where "user_id in (17, 42)" --writer gdpr --seq 7',
    ))
    .action(async (name: string, opts: { where: string; writer?: string; seq?: string; rewrite?: boolean; format: string }, cmd: Command) => {
      if ((opts.writer === undefined) !== (opts.seq === undefined)) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', '--writer and --seq go together');
      await withDb(cmd, async (db) => {
        const r = await db.delete(name, opts.where, {
          ...(opts.writer !== undefined ? { writer: opts.writer, seq: parseInteger('--seq', opts.seq!) } : {}), ...(opts.rewrite ? { rewrite: true } : {}),
        });
        if (opts.format === 'json') console.log(JSON.stringify(r));
        else if (r.duplicate) console.log(`already done: version ${r.version} deleted ${r.rows ?? 'an unknown number of (vacuumed)'} rows of ${name}`);
        else console.log(`deleted ${r.rows} rows of ${name} as version ${r.version}`);
      });
    });
}

export function revertCommand(): Command {
  return new Command('revert')
    .description('withdraw exactly what one version did, keeping every later version: its rows go (an append), come back (a delete), its column goes (add-column); a revert of a revert restores')
    .argument('<dataset>')
    .argument('<version>', 'the version to withdraw')
    .addOption(formatOption())
    .addHelpText('after', examples('strata revert events 41   # a bad batch in the middle of a stream', 'strata revert events 57   # if 57 was the revert above, batch 41 is back'))
    .action(async (name: string, version: string, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const r = await db.revert(name, parseInteger('version', version));
        if (opts.format === 'json') console.log(JSON.stringify(r));
        else {
          const also = [...r.off.filter((v) => v !== r.revertOf).map((v) => `${v} withdrawn`), ...r.on.map((v) => `${v} back in effect`)];
          console.log(`reverted version ${r.revertOf} of ${name} as version ${r.version}: ${r.rowsRemoved} rows withdrawn, ${r.rowsAdded} rows back${also.length > 0 ? ` (also: ${also.join(', ')})` : ''}`);
        }
      });
    });
}
