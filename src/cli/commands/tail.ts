import { Command } from 'commander';
import { examples, parseInteger, withDb } from '../context.js';

const pollMs = 200;

export function tailCommand(): Command {
  return new Command('tail')
    .description('print each new version of a dataset as it commits (one JSON line per version), until interrupted')
    .argument('<dataset>')
    .option('--from <version>', 'start at this version (default: the next one to commit)')
    .option('--sql <query>', "also print this query's answer over each version's added rows")
    .addHelpText('after', examples('strata tail weather', 'strata tail weather --from 1', 'strata tail events --sql "select count(*), max(v) from events"'))
    .action(async (name: string, opts: { from?: string; sql?: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        let next = opts.from !== undefined ? parseInteger('--from', opts.from) : (await db.headVersion(name)) + 1;
        let running = true;
        const stop = (): void => { running = false; };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        while (running) {
          const head = await db.headVersion(name);
          for (; next <= head && running; next++) {
            const change = await db.change(name, next);
            const result = opts.sql ? await db.sql(opts.sql, { delta: { dataset: name, version: next } }) : null;
            console.log(JSON.stringify(result ? { ...change, result: { columns: result.columns, rows: result.rows } } : change));
          }
          await new Promise((r) => setTimeout(r, pollMs));
        }
      });
    });
}
