/** The `strata` command line. */
import { Command, CommanderError } from 'commander';
import { isStrataError } from '../core/errors.js';
import { datasetCommands } from './commands/datasets.js';
import { ingestCommand } from './commands/ingest.js';
import { serveCommand } from './commands/serve.js';
import { sqlCommand } from './commands/sql.js';
import { tailCommand } from './commands/tail.js';
import { versionCommands } from './commands/versions.js';

export function buildProgram(): Command {
  const program = new Command('strata')
    .description('Strata: a versioned columnar store for streaming data, queried with SQL')
    .option('--store <location>', 'a folder, memory: or cassandra://host/keyspace (default: $STRATA_STORE or ./strata-data)')
    .showHelpAfterError()
    .exitOverride();
  for (const c of [...datasetCommands(), ingestCommand(), ...versionCommands(), sqlCommand(), tailCommand(), serveCommand()]) program.addCommand(c.exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isStrataError(e)) {
      process.stderr.write(`error [${e.code}]: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
