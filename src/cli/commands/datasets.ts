import { Command } from 'commander';
import { describeKernels, kernelStatus } from '../../kernels/index.js';
import type { DatasetInfo } from '../../db/strata.js';
import { parseColumn, parseColumns, parseKeyList } from '../../schema/schema.js';
import { examples, formatOption, outputFormat, parseInteger, withDb } from '../context.js';
import { printRows } from '../output.js';

function printInfo(format: string, info: DatasetInfo, explain = false): void {
  const s = info.schema;
  const k = kernelStatus();
  const rows: [string, unknown][] = [
    ['dataset', info.name],
    ['version', info.version],
    ['rows', info.rows],
    ['chunks', info.chunks],
    ['partitions', info.partitions],
    ['bytes', info.bytes],
    ['segments', info.segments],
    ['mixed chunks', info.mixedChunks],
    ['pending compaction', `${info.pendingCompactionChunks} chunks`],
    ['partition key', s.partitionKey.join(',') || '(none)'],
    ['sort key', s.sortKey.join(',') || '(none)'],
    ['chunk rows', s.chunkRows],
    ['created', info.createdAt],
    ['updated', info.updatedAt],
    ['retention', `${info.retainMs} ms (${info.retention === 'dataset' ? 'its own' : 'default'})`],
    ...info.readers.map((r): [string, unknown] => [`reader ${r.name}`, `acked ${r.acked}, ${r.lag} behind${r.holding ? '' : ', not holding vacuum (silent too long)'}`]),
    ...s.columns.map((c, i): [string, unknown] => [`column ${i + 1}`, `${c.name} ${c.type}`]),
    ...(explain ? [['kernels', describeKernels(k)] as [string, unknown]] : []),
  ];
  printRows(outputFormat({ format }), ['property', 'value'], rows, explain ? { ...info, kernels: k } : info);
}

export function datasetCommands(): Command[] {
  const create = new Command('create')
    .description('create a dataset with a schema, partition key and sort key')
    .argument('<dataset>', 'name: a lowercase letter, then lowercase letters, digits or _')
    .requiredOption('--schema <columns>', 'comma-separated name:type (types: bool, int32, int64, float64, string, timestamp)')
    .option('--partition-key <columns>', 'comma-separated columns; rows with equal keys share a partition')
    .option('--sort-key <columns>', 'comma-separated columns rows are sorted by inside a chunk')
    .option('--chunk-rows <n>', 'rows per chunk (default 65536)')
    .addOption(formatOption())
    .addHelpText('after', examples(
      'strata create weather --schema "location:string,date:timestamp,temp_max:float64" --partition-key location --sort-key date',
      'strata create events --schema "ts:timestamp,host:string,v:float64" --partition-key host --sort-key ts --chunk-rows 16384',
    ))
    .action(async (name: string, opts: { schema: string; partitionKey?: string; sortKey?: string; chunkRows?: string; format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const info = await db.createDataset(name, {
          columns: parseColumns(opts.schema),
          partitionKey: parseKeyList(opts.partitionKey),
          sortKey: parseKeyList(opts.sortKey),
          ...(opts.chunkRows !== undefined ? { chunkRows: parseInteger('--chunk-rows', opts.chunkRows) } : {}),
        });
        if (opts.format === 'table') console.log(`created dataset ${info.name} at version ${info.version} (${info.schema.columns.length} columns)`);
        else printInfo(opts.format, info);
      });
    });

  const datasets = new Command('datasets')
    .description('list the datasets in the store')
    .addOption(formatOption())
    .addHelpText('after', examples('strata datasets', 'strata datasets --format json'))
    .action(async (opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const infos = await Promise.all((await db.listDatasets()).map((n) => db.describe(n)));
        printRows(outputFormat(opts), ['dataset', 'version', 'rows', 'chunks', 'bytes'],
          infos.map((i) => [i.name, i.version, i.rows, i.chunks, i.bytes]),
          infos.map((i) => ({ name: i.name, version: i.version, rows: i.rows, chunks: i.chunks, bytes: i.bytes })));
      });
    });

  const describe = new Command('describe')
    .description('show a dataset: schema, keys, current version, rows, chunks and bytes')
    .argument('<dataset>')
    .addOption(formatOption())
    .option('--explain', 'also say how queries will run here: which kernels (native or TypeScript) are active')
    .addHelpText('after', examples('strata describe weather', 'strata describe weather --format json', 'strata describe weather --explain'))
    .action(async (name: string, opts: { format: string; explain?: boolean }, cmd: Command) => {
      await withDb(cmd, async (db) => printInfo(opts.format, await db.describe(name), opts.explain === true));
    });

  const drop = new Command('drop')
    .description('delete a dataset, all its versions and chunks')
    .argument('<dataset>')
    .addHelpText('after', examples('strata drop weather'))
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withDb(cmd, async (db) => {
        await db.drop(name);
        console.log(`dropped dataset ${name}`);
      });
    });

  const addColumn = new Command('add-column')
    .description('add a column (a new version); rows written before it read NULL')
    .argument('<dataset>')
    .argument('<column>', 'name:type')
    .addOption(formatOption())
    .addHelpText('after', examples('strata add-column weather humidity:float64'))
    .action(async (name: string, spec: string, opts: { format: string }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const column = parseColumn(spec);
        const { version } = await db.addColumn(name, column);
        if (opts.format === 'json') console.log(JSON.stringify({ version, column }));
        else console.log(`added column ${column.name} ${column.type} to ${name} at version ${version}`);
      });
    });

  return [create, datasets, describe, drop, addColumn];
}
