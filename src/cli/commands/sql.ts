import { Command } from 'commander';
import { examples, formatOption, outputFormat, withDb } from '../context.js';
import { printRows } from '../output.js';

export function sqlCommand(): Command {
  return new Command('sql')
    .description("run one read-only SELECT (DuckDB's dialect); datasets are tables")
    .argument('<query>')
    .addOption(formatOption())
    .addHelpText('after', examples(
      'strata sql "select location, max(temp_max) from weather group by 1 order by 1"',
      'strata sql "select count(*) from weather AT (VERSION => 1)" --format json',
      "strata sql \"select count(*) from weather AT (TIMESTAMP => TIMESTAMP '2026-11-26 10:00:00')\"",
    ))
    .action(async (query: string, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const r = await db.sql(query);
        const names = r.columns.map((c) => c.name);
        printRows(outputFormat(opts), names, r.rows, r.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]]))));
      });
    });
}
