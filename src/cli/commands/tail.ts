import { Command } from 'commander';
import { changeFeed } from '../../db/change-feed.js';
import { examples, parseInteger, withDb } from '../context.js';

export function tailCommand(): Command {
  return new Command('tail')
    .description('print each new version of a dataset as it commits (one JSON line per version), until interrupted')
    .argument('<dataset>')
    .option('--from <version>', 'start at this version (default: the next one to commit)')
    .option('--sql <query>', "also print this query's answer over each version's added rows")
    .addHelpText('after', examples('strata tail weather', 'strata tail weather --from 1', 'strata tail events --sql "select count(*), max(v) from events"'))
    .action(async (name: string, opts: { from?: string; sql?: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const from = opts.from !== undefined ? parseInteger('--from', opts.from) : (await db.headVersion(name)) + 1;
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
        for await (const e of changeFeed(db, name, from, { ...(opts.sql ? { sql: opts.sql } : {}), signal: stop.signal })) {
          console.log(JSON.stringify(e.result ? { ...e.change, result: e.result } : e.change));
        }
      });
    });
}
