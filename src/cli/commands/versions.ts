import { Command } from 'commander';
import { examples, formatOption, outputFormat, parseInteger, withDb } from '../context.js';
import { printRows } from '../output.js';

export function versionCommands(): Command[] {
  const versions = new Command('versions')
    .description('list every version of a dataset: kind, time, rows added and removed, writer and seq')
    .argument('<dataset>')
    .addOption(formatOption())
    .addHelpText('after', examples('strata versions weather', 'strata versions weather --format json'))
    .action(async (name: string, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const vs = await db.versions(name);
        printRows(outputFormat(opts), ['version', 'kind', 'time', 'rows_added', 'rows_removed', 'writer', 'seq', 'note'],
          vs.map((v) => [v.version, v.kind, v.time, v.rowsAdded, v.rowsRemoved, v.writer, v.seq, v.rollbackTo !== null ? `to version ${v.rollbackTo}` : null]), vs);
      });
    });

  const rollback = new Command('rollback')
    .description('make a new version whose data, schema and writer positions equal an earlier version (history is kept)')
    .argument('<dataset>')
    .requiredOption('--to <version>', 'the version to return to')
    .addOption(formatOption())
    .addHelpText('after', examples('strata rollback weather --to 1', 'strata rollback weather --to 3   # undo the rollback above, if it made version 3'))
    .action(async (name: string, opts: { to: string; format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const to = parseInteger('--to', opts.to);
        const { version } = await db.rollback(name, to);
        if (opts.format === 'json') console.log(JSON.stringify({ version, rollbackTo: to }));
        else console.log(`rolled back ${name} to version ${to} as version ${version}`);
      });
    });

  return [versions, rollback];
}
