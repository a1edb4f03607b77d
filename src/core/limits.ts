import { availableParallelism, totalmem } from 'node:os';
import { StrataError } from './errors.js';

/**
 * Every limit in one place, units last. Each has a default and a setting:
 * the environment variable STRATA_<NAME_IN_SNAKE_CASE> (e.g. queryMsMax is
 * STRATA_QUERY_MS_MAX), or a value passed in code, which wins.
 */
export interface Limits {
  /** Rows per chunk when a dataset does not say otherwise. */
  chunkRowsDefault: number;
  /** Largest chunkRows a dataset may ask for. */
  chunkRowsMax: number;
  /** Columns a dataset may have. */
  columnsMax: number;
  /** Rows in one ingested batch. */
  batchRowsMax: number;
  /** Bytes of one ingested batch (the raw input). */
  batchBytesMax: number;
  /** Bytes of any other request body (a /sql query, a dataset definition). */
  requestBodyBytesMax: number;
  /** Milliseconds an upload may go without sending a byte before it is dropped. */
  uploadIdleMsMax: number;
  /** Milliseconds a client may take to send a whole request, body included. */
  requestMsMax: number;
  /** Rows a SQL result may return before the query fails. */
  resultRowsMax: number;
  /** Milliseconds a query may take, from arrival to the last row of its answer. */
  queryMsMax: number;
  /** Queries DuckDB runs at once (a query interrupted too late still counts until it stops). */
  queriesInFlightMax: number;
  /** Queries waiting for their turn; more are refused with 429. */
  queriesQueuedMax: number;
  /** Dataset references (FROM items naming a dataset) in one query. */
  queryDatasetRefsMax: number;
  /** DuckDB worker threads. */
  duckdbThreads: number;
  /** Memory DuckDB may use for a query's operators (hash tables, sorts); nothing spills to disk. */
  duckdbMemoryBytesMax: number;
  /** HTTP batches read and committed at once. */
  ingestInFlightMax: number;
  /** HTTP batches waiting for their turn; more are refused with 429. */
  ingestQueuedMax: number;
  /** Bytes of one segment (the chunk columns a commit writes; a larger commit writes several). */
  segmentBytesMax: number;
  /** A partition with fewer rows than this in one commit goes into the commit's mixed chunks, not a chunk of its own. */
  mixedChunkPartitionRowsMax: number;
  /** Rows one compaction run reads at most (the rest waits for the next run). */
  compactionRowsMax: number;
  /** While a stream runs, a partition's small chunks are merged once it has this many. */
  compactionTierChunks: number;
  /** Milliseconds between background compaction runs while commits keep coming. */
  compactionIntervalMs: number;
  /** Milliseconds without a commit after which a dataset is compacted fully (0: background compaction off). */
  compactionIdleMs: number;
  /** Milliseconds of history a vacuum keeps readable, unless told otherwise. */
  vacuumRetainMs: number;
  /** Unreferenced segments younger than this are left by a vacuum (they may belong to a commit in flight). */
  vacuumGraceMs: number;
  /** Milliseconds between automatic vacuums of every dataset in `strata serve` (0: none). */
  vacuumEveryMs: number;
  /** A change-feed reader silent (no acknowledgement) for longer than this no longer holds back vacuum. */
  readerHoldMsMax: number;
  /** Batches one group commit takes at most. */
  groupCommitBatchesMax: number;
  /** Times a commit re-reads the head and retries after losing the race. */
  commitRetriesMax: number;
  /** A checkpoint (the whole snapshot) is written at every version that is a multiple of this. */
  checkpointEveryVersions: number;
  /** Chunk reads one scan keeps in flight. */
  scanReadsInFlightMax: number;
  /** Bytes of decoded chunk columns kept in memory between queries. */
  chunkCacheBytesMax: number;
  /** Longest string value kept in chunk statistics (longer values get no max). */
  statsStringBytesMax: number;
  /** Scan worker threads (0: decode on the main thread). */
  scanWorkers: number;
  /** Rows a scan must decode before it uses the workers (below it, handing chunks over costs more than it saves). */
  scanWorkerRowsMin: number;
  /** Bytes of decoded chunk columns the scan workers keep for engine aggregates, split among them (besides chunkCacheBytesMax). */
  scanWorkerCacheBytesMax: number;
  /** Change feeds (SSE) open at once on a server; more are refused with 429. */
  changeFeedsMax: number;
  /** Milliseconds between looks for versions committed by other processes (one look per dataset watched). */
  feedPollMs: number;
  /** Milliseconds of silence after which a feed sends a keep-alive comment. */
  feedHeartbeatMs: number;
  /** Largest piece of a chunk column in one Cassandra cell. */
  cassandraPieceBytesMax: number;
  /** Milliseconds to connect to a Cassandra node. */
  cassandraConnectMsMax: number;
  /** Milliseconds a Cassandra request may take before it is counted as failed. */
  cassandraRequestMsMax: number;
  /** Cassandra requests in flight from one process (more wait their turn). */
  cassandraRequestsInFlightMax: number;
}

const gib = 1024 * 1024 * 1024;

export const defaultLimits: Limits = {
  chunkRowsDefault: 65_536,
  chunkRowsMax: 1_048_576,
  columnsMax: 1_024,
  batchRowsMax: 50_000_000,
  batchBytesMax: 4 * gib,
  requestBodyBytesMax: 1024 * 1024,
  uploadIdleMsMax: 30_000,
  requestMsMax: 600_000,
  resultRowsMax: 1_000_000,
  queryMsMax: 60_000,
  queriesInFlightMax: 4,
  queriesQueuedMax: 64,
  queryDatasetRefsMax: 64,
  duckdbThreads: Math.max(1, Math.min(8, availableParallelism())),
  // DuckDB's own default is 80% of memory; the chunk cache and ingest need room too.
  duckdbMemoryBytesMax: Math.max(gib, Math.floor(totalmem() / 4)),
  // Many small batches in flight make big group commits; the memory they hold is at most this many batches.
  ingestInFlightMax: 64,
  ingestQueuedMax: 512,
  segmentBytesMax: 64 * 1024 * 1024,
  mixedChunkPartitionRowsMax: 1_024,
  compactionRowsMax: 1_000_000,
  compactionTierChunks: 4,
  compactionIntervalMs: 1_000,
  compactionIdleMs: 2_000,
  vacuumRetainMs: 7 * 24 * 3_600_000,
  vacuumGraceMs: 3_600_000,
  vacuumEveryMs: 3_600_000,
  readerHoldMsMax: 30 * 24 * 3_600_000,
  groupCommitBatchesMax: 256,
  commitRetriesMax: 1_000,
  checkpointEveryVersions: 100,
  scanReadsInFlightMax: 16,
  // Decoded chunks are the cheapest way to make repeated scans fast (they never go stale): an eighth of memory.
  chunkCacheBytesMax: Math.max(256 * 1024 * 1024, Math.floor(totalmem() / 8)),
  statsStringBytesMax: 256,
  scanWorkers: Math.max(1, Math.min(8, availableParallelism())),
  scanWorkerRowsMin: 262_144,
  // Each worker caches the chunks it aggregates (its own share): as much again as the main thread's cache.
  scanWorkerCacheBytesMax: Math.max(256 * 1024 * 1024, Math.floor(totalmem() / 8)),
  changeFeedsMax: 1_000,
  feedPollMs: 1_000,
  feedHeartbeatMs: 15_000,
  cassandraPieceBytesMax: 256 * 1024,
  cassandraConnectMsMax: 5_000,
  cassandraRequestMsMax: 12_000,
  cassandraRequestsInFlightMax: 1_024,
};

/** Limits that may be 0. */
const zeroAllowed = new Set<keyof Limits>(['scanWorkers', 'scanWorkerCacheBytesMax', 'mixedChunkPartitionRowsMax', 'compactionIdleMs', 'vacuumRetainMs', 'vacuumGraceMs', 'vacuumEveryMs', 'readerHoldMsMax']);

/** The environment variable that sets a limit: queryMsMax -> STRATA_QUERY_MS_MAX. */
export function limitEnvName(key: keyof Limits): string {
  return `STRATA_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Defaults, overridden by STRATA_* environment variables, overridden by `given`. */
export function resolveLimits(given: Partial<Limits> = {}, env: NodeJS.ProcessEnv = process.env): Limits {
  const limits: Limits = { ...defaultLimits };
  for (const key of Object.keys(defaultLimits) as (keyof Limits)[]) {
    const name = limitEnvName(key);
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0 || (n === 0 && !zeroAllowed.has(key))) {
      throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `${name} must be a positive integer, got ${JSON.stringify(raw)}`, { limit: key });
    }
    limits[key] = n;
  }
  return { ...limits, ...given };
}
