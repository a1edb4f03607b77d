/**
 * Prometheus metrics (prom-client): what operators graph and alert on.
 * One registry per app, so two apps in a process never mix their counts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Strata } from '../db/strata.js';
import type { KafkaSourceStats } from '../kafka/source.js';

export class Metrics {
  readonly registry = new Registry();
  readonly rowsIngested = new Counter({ name: 'strata_rows_ingested_total', help: 'Rows committed by appends', registers: [this.registry] });
  readonly bytesIngested = new Counter({ name: 'strata_bytes_ingested_total', help: 'Request body bytes of committed appends', registers: [this.registry] });
  readonly commits = new Counter({ name: 'strata_commits_total', help: 'Appends committed as new versions', registers: [this.registry] });
  readonly duplicates = new Counter({ name: 'strata_duplicates_total', help: 'Appends answered as duplicates (nothing written)', registers: [this.registry] });
  readonly rejected = new Counter({ name: 'strata_rejected_batches_total', help: 'Appends refused, by error code', labelNames: ['code'], registers: [this.registry] });
  readonly querySeconds = new Histogram({
    name: 'strata_query_seconds', help: 'SQL query latency by execution path', labelNames: ['path'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry],
  });

  private queueDepth: () => number = () => 0;

  /** The ingest queue reports its depth through this. */
  observeQueue(depth: () => number): void { this.queueDepth = depth; }

  constructor(db: Strata, sources: () => KafkaSourceStats[] = () => []) {
    // prom-client's names already begin process_ / nodejs_, so the prefix is strata_ alone.
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
    const registry = this.registry;
    new Gauge({
      name: 'strata_chunk_cache_hit_ratio', help: 'Decoded-chunk cache hits / lookups since start', registers: [registry],
      collect() { const s = db.cacheStats(); this.set(s.hits + s.misses === 0 ? 0 : s.hits / (s.hits + s.misses)); },
    });
    const metrics = this;
    new Gauge({
      name: 'strata_ingest_queue_depth', help: 'HTTP batches being ingested or waiting', registers: [registry],
      collect() { this.set(metrics.queueDepth()); },
    });
    new Gauge({
      name: 'strata_scan_workers_busy', help: 'Scan worker threads decoding or aggregating right now', registers: [registry],
      collect() { this.set(db.scanWorkersBusy()); },
    });
    /** Counters read at scrape time from a totals object the database keeps. */
    const totalsCounter = <T extends object>(totals: () => Readonly<T>) => (key: keyof T, name: string, help: string): void => {
      new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(totals()[key] as number); } });
    };
    const compaction = totalsCounter(() => db.compactionTotals());
    compaction('runs', 'strata_compaction_runs_total', 'Compaction runs (background and on demand), with or without work');
    compaction('commits', 'strata_compactions_total', 'Compactions committed as new versions');
    compaction('chunksIn', 'strata_compaction_chunks_in_total', 'Chunks compaction rewrote');
    compaction('chunksOut', 'strata_compaction_chunks_out_total', 'Chunks compaction wrote');
    compaction('rows', 'strata_compaction_rows_total', 'Rows compaction rewrote');
    compaction('bytesIn', 'strata_compaction_bytes_in_total', 'Stored bytes of the chunks compaction rewrote');
    compaction('bytesOut', 'strata_compaction_bytes_out_total', 'Stored bytes of the chunks compaction wrote');
    compaction('seconds', 'strata_compaction_seconds_total', 'Time spent compacting');
    compaction('failures', 'strata_compaction_failures_total', 'Background compaction runs that failed (retried at the next commit)');
    new Gauge({
      name: 'strata_reader_lag_versions', help: 'Versions committed after what each registered change-feed reader acknowledged', labelNames: ['dataset', 'reader'], registers: [registry],
      async collect() {
        this.reset();
        for (const dataset of await db.listDatasets()) {
          for (const r of await db.readers(dataset).catch(() => [])) this.set({ dataset, reader: r.name }, r.lag);
        }
      },
    });
    new Gauge({
      name: 'strata_kafka_lag_records', help: 'Records of a Kafka partition not yet stored (high watermark at the last fetch, less the stored position)', labelNames: ['dataset', 'topic', 'partition'], registers: [registry],
      collect() {
        this.reset();
        for (const s of sources()) for (const p of s.partitions) this.set({ dataset: s.dataset, topic: s.topic, partition: String(p.partition) }, Math.max(0, p.high - p.position - 1));
      },
    });
    const perSource = (key: 'records' | 'deadLetters' | 'batches' | 'moved', name: string, help: string): void => {
      new Counter({
        name, help, labelNames: ['dataset', 'topic'], registers: [registry],
        collect() { this.reset(); for (const s of sources()) this.inc({ dataset: s.dataset, topic: s.topic }, s[key]); },
      });
    };
    perSource('records', 'strata_kafka_records_total', 'Kafka records stored by the sources this server runs');
    perSource('deadLetters', 'strata_kafka_dead_letters_total', 'Kafka records sent to a dead-letter dataset (they did not parse or fit the schema)');
    perSource('batches', 'strata_kafka_batches_total', 'Batches the Kafka sources appended');
    perSource('moved', 'strata_kafka_partitions_moved_total', 'Times another consumer had stored for a partition first (the source resumed after it)');
    const vacuum = totalsCounter(() => db.vacuumTotals());
    vacuum('runs', 'strata_vacuum_runs_total', 'Automatic vacuum passes over every dataset');
    vacuum('segments', 'strata_vacuum_segments_deleted_total', 'Segments automatic vacuum deleted');
    vacuum('versions', 'strata_vacuum_versions_deleted_total', 'Version records automatic vacuum deleted');
    vacuum('checkpoints', 'strata_vacuum_checkpoints_deleted_total', 'Checkpoints automatic vacuum deleted');
    vacuum('failures', 'strata_vacuum_failures_total', 'Datasets an automatic vacuum pass failed on (tried again at the next pass)');
    new Gauge({
      name: 'strata_chunk_cache_bytes', help: 'Bytes of decoded chunk columns held in the cache', registers: [registry],
      collect() { this.set(db.cacheStats().bytes); },
    });
    new Gauge({
      name: 'strata_scan_worker_cache_hit_ratio', help: 'Scan workers\' decoded-chunk cache hits / lookups since start (engine aggregates)', registers: [registry],
      collect() { const s = db.cacheStats().workers; this.set(s.hits + s.misses === 0 ? 0 : s.hits / (s.hits + s.misses)); },
    });
    new Gauge({
      name: 'strata_scan_worker_cache_bytes', help: 'Bytes of decoded chunk columns the scan workers hold', registers: [registry],
      collect() { this.set(db.cacheStats().workers.bytes); },
    });
  }
}
