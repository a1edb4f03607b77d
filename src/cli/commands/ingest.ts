import { constants as fsConstants, createReadStream, promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { StrataError } from '../../core/errors.js';
import type { InputFormat } from '../../ingest/parse.js';
import { formatFromName, inputFormats } from '../../ingest/parse.js';
import { examples, formatOption, parseInteger, withDb } from '../context.js';

/** The size of a file the command can read; a clear error when it cannot. */
async function readableFileSize(file: string): Promise<number> {
  try {
    await fs.access(file, fsConstants.R_OK);
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `${file} is not a file`);
    return stat.size;
  } catch (e) {
    if (e instanceof StrataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('append a file (or stdin) as one atomic batch; with --writer/--seq a retried batch is never stored twice')
    .argument('<dataset>')
    .argument('<file>', "a CSV (with header), NDJSON (or one JSON array of objects) or Arrow IPC file, or '-' for stdin")
    .addOption(new Option('--input-format <format>', 'input format (default: from the file extension, csv for stdin)').choices(inputFormats))
    .option('--writer <id>', 'writer id for idempotent appends (with --seq)')
    .option('--seq <n>', "the batch's sequence number for this writer; only a greater seq is stored again")
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addOption(formatOption())
    .addHelpText('after', examples(
      'strata ingest weather weather.csv',
      'strata ingest weather weather.csv --writer loader --seq 1 --format json',
      'cat rows.ndjson | strata ingest events - --input-format ndjson --writer agent-7 --seq 42',
    ))
    .action(async (name: string, file: string, opts: { inputFormat?: InputFormat; writer?: string; seq?: string; progress: boolean; format: string }, cmd: Command) => {
      const format = opts.inputFormat ?? (file === '-' ? 'csv' : formatFromName(file));
      if (!format) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `cannot tell the format of ${file} from its name; use --input-format ${inputFormats.join('|')}`);
      const seq = opts.seq !== undefined ? parseInteger('--seq', opts.seq) : undefined;
      let input: Readable;
      let size = 0;
      if (file === '-') {
        input = process.stdin;
      } else {
        size = await readableFileSize(file);
        input = createReadStream(file);
      }
      const bar = opts.progress && process.stderr.isTTY && size > 0
        ? new cliProgress.SingleBar({ format: 'ingest {bar} {percentage}% | {value}/{total} bytes', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
        : null;
      bar?.start(size, 0);
      try {
        await withDb(cmd, async (db) => {
          const r = await db.ingest(name, input, format, { writer: opts.writer, seq, onBytes: (n) => bar?.update(n) });
          bar?.stop();
          if (opts.format === 'json') console.log(JSON.stringify({ version: r.version, rows: r.rows, duplicate: r.duplicate }));
          else if (opts.format === 'csv') console.log(`version,rows,duplicate\n${r.version},${r.rows},${r.duplicate}`);
          else if (r.duplicate) console.log(`duplicate: ${opts.writer} seq ${String(seq)} is already in version ${r.version}; nothing written`);
          else console.log(`committed version ${r.version}: ${r.rows} rows in ${r.chunks} chunk${r.chunks === 1 ? '' : 's'}`);
        });
      } finally {
        bar?.stop();
      }
    });
}
