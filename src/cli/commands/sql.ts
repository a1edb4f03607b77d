import { Command } from 'commander';
import { examples, formatOption, outputFormat, withDb } from '../context.js';
import type { QueryExplain } from '../../sql/query.js';
import { printRows, renderTable } from '../output.js';

function renderExplain(e: QueryExplain): string {
  const ms = (n: number): string => `${n.toFixed(1)} ms`;
  const lines = [`path: ${e.path} (parse ${ms(e.parseMs)}, scan ${ms(e.scanMs)}, DuckDB ${ms(e.duckdbMs)})`, `kernels: ${e.kernels}`];
  for (const s of e.scans) {
    lines.push('', `scan ${s.dataset} at version ${s.version}: columns ${s.columns.join(', ') || '(none)'}`,
      `  pushed: ${s.predicates.length ? s.predicates.join(' AND ') : '(nothing)'}`);
  }
  if (e.scans.length > 0) {
    lines.push('', renderTable(['dataset', 'chunks', 'pruned_partition', 'pruned_stats', 'counted_from_stats', 'read', 'filter_cols_only', 'rows_read', 'rows_kept', 'read_ms', 'filter_ms', 'workers'],
      e.scans.map((s) => [s.dataset, s.chunks, s.prunedByPartition, s.prunedByStats, s.countedFromStats, s.chunksRead, s.chunksDeferredSkipped, s.rowsRead, s.rowsSelected, Number(s.readMs.toFixed(1)), Number(s.filterMs.toFixed(1)), s.workerTask ? `${s.workers} (${s.workerTask})` : 0])));
  }
  return lines.join('\n');
}

export function sqlCommand(): Command {
  return new Command('sql')
    .description("run one read-only SELECT (DuckDB's dialect); datasets are tables")
    .argument('<query>')
    .addOption(formatOption())
    .option('--explain', 'also show how the query ran: pushed filters, partitions and chunks pruned and read, rows filtered, time per stage')
    .addHelpText('after', examples(
      'strata sql "select location, max(temp_max) from weather group by 1 order by 1"',
      "strata sql \"select count(*) from weather where location = 'Seattle' and date >= '2015-01-01'\" --explain",
      'strata sql "select count(*) from weather AT (VERSION => 1)" --format json',
      "strata sql \"select count(*) from weather AT (TIMESTAMP => TIMESTAMP '2026-11-26 10:00:00')\"",
    ))
    .action(async (query: string, opts: { format: string; explain?: boolean }, cmd: Command) => {
      await withDb(cmd, async (db) => {
        const r = await db.sql(query);
        const names = r.columns.map((c) => c.name);
        const objects = r.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]])));
        if (opts.explain && opts.format === 'json') { console.log(JSON.stringify({ rows: objects, explain: r.explain }, null, 2)); return; }
        printRows(outputFormat(opts), names, r.rows, objects);
        if (opts.explain) console.log(`\n${renderExplain(r.explain)}`);
      });
    });
}
