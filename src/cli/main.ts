/** The `strata` command line. */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { isStrataError } from '../core/errors.js';
import { compactCommand, retentionCommand, vacuumCommand } from './commands/maintenance.js';
import { deleteCommand, revertCommand } from './commands/lifecycle.js';
import { kafkaCommand } from './commands/kafka.js';
import { datasetCommands } from './commands/datasets.js';
import { ingestCommand } from './commands/ingest.js';
import { serveCommand } from './commands/serve.js';
import { sqlCommand } from './commands/sql.js';
import { tailCommand } from './commands/tail.js';
import { versionCommands } from './commands/versions.js';

export function buildProgram(): Command {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const program = new Command('strata')
    .description('Strata: a versioned columnar store for streaming data, queried with SQL')
    .version(version, '-V, --version', 'print the version')
    // Usage errors carry a code like every other failure.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'error [STRATA_ERR_INVALID_ARGUMENT]: ')) })
    .option('--store <location>', 'a folder, memory: or cassandra://host/keyspace (default: $STRATA_STORE or ./strata-data)')
    .showHelpAfterError()
    .exitOverride();
  for (const c of [...datasetCommands(), ingestCommand(), ...versionCommands(), deleteCommand(), revertCommand(), compactCommand(), vacuumCommand(), retentionCommand(), sqlCommand(), tailCommand(), kafkaCommand(), serveCommand()]) {
    program.addCommand(c.exitOverride().configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'error [STRATA_ERR_INVALID_ARGUMENT]: ')) }));
  }
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
    // Anything else is a bug: its message with a code, and the stack only when asked for (STRATA_DEBUG=1).
    process.stderr.write(`error [STRATA_ERR_INTERNAL]: ${(e as Error).message ?? String(e)}\n`);
    if (process.env.STRATA_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}
