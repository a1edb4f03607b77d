import { Command } from 'commander';
import { examples, formatOption, outputFormat, parseInteger, withDb } from '../context.js';
import { printRows } from '../output.js';
import type { VersionInfo } from '../../db/strata.js';

function note(v: VersionInfo): string | null {
  if (v.rollbackTo !== null) return `to version ${v.rollbackTo}`;
  if (v.revertOf !== null) return `of version ${v.revertOf}`;
  if (v.where !== null) return `where ${v.where}`;
  return null;
}

export function versionCommands(): Command[] {
  const versions = new Command('versions')
    .description('list every version of a dataset: kind, time, rows added and removed, writer and seq')
    .argument('<dataset>')
    .addOption(formatOption())
    .addHelpText('after', examples('strata versions weather', 'strata versions weather --format json'))
    .action(async (name: string, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const vs = await db.versions(name);
        printRows(outputFormat(opts), ['version', 'kind', 'time', 'rows_added', 'rows_removed', 'writer', 'seq', 'tags', 'note'],
          vs.map((v) => [v.version, v.kind, v.time, v.rowsAdded, v.rowsRemoved, v.writer, v.seq, v.tags.length > 0 ? v.tags.join(' ') : null, note(v)]), vs);
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

  // The version is an argument: --version is the program's own (it prints Strata's version anywhere on the line).
  const tag = new Command('tag')
    .description('name a version (the head when left out); a tagged version is never vacuumed and is queried with AT (VERSION => \'name\')')
    .argument('<dataset>')
    .argument('<name>', 'letters, digits, . _ - (up to 64)')
    .argument('[version]', 'the version to name (default: the head)')
    .addOption(formatOption())
    .addHelpText('after', examples('strata tag weather before-backfill', 'strata tag weather v1 3', "strata sql \"select count(*) from weather AT (VERSION => 'v1')\""))
    .action(async (name: string, tagName: string, version: string | undefined, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const t = await db.tag(name, tagName, version === undefined ? undefined : parseInteger('version', version));
        if (opts.format === 'json') console.log(JSON.stringify(t));
        else console.log(`tagged version ${t.version} of ${name} as ${t.name}`);
      });
    });

  const untag = new Command('untag')
    .description('remove a tag (the version it named is vacuumed like any other from then on)')
    .argument('<dataset>')
    .argument('<name>')
    .addOption(formatOption())
    .addHelpText('after', examples('strata untag weather before-backfill'))
    .action(async (name: string, tagName: string, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const t = await db.untag(name, tagName);
        if (opts.format === 'json') console.log(JSON.stringify(t));
        else console.log(`removed tag ${t.name} (version ${t.version}) of ${name}`);
      });
    });

  return [versions, rollback, tag, untag];
}
