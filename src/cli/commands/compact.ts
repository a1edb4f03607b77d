import { Command } from 'commander';
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
