import { availableParallelism, totalmem } from 'node:os';
import { StrataError } from './errors.js';

/**
 * Every limit in one place, units last. Each has a default; the settings that
 * a user may change are read by `resolveLimits` from environment variables or
 * passed in code.
 */
export interface Limits {
  /** Rows per chunk when a dataset does not say otherwise. */
  chunkRowsDefault: number;
  /** Largest chunkRows a dataset may ask for. */
  chunkRowsMax: number;
  /** Rows in one ingested batch. */
  batchRowsMax: number;
  /** Bytes of one ingested batch (the raw input). */
  batchBytesMax: number;
  /** Rows a SQL result may return before the query fails. */
  resultRowsMax: number;
  /** Milliseconds a query may run before it is interrupted. */
  queryMsMax: number;
  /** HTTP batches read and committed at once. */
  ingestInFlightMax: number;
  /** HTTP batches waiting for their turn; more are refused with 429. */
  ingestQueuedMax: number;
  /** Times a commit re-reads the head and retries after losing the race. */
  commitRetriesMax: number;
  /** Bytes of decoded chunk columns kept in memory between queries. */
  chunkCacheBytesMax: number;
  /** Longest string value kept in chunk statistics (longer values get no max). */
  statsStringBytesMax: number;
  /** Scan worker threads (0: decode on the main thread). */
  scanWorkers: number;
  /** Rows a scan must decode before it uses the workers (below it, handing chunks over costs more than it saves). */
  scanWorkerRowsMin: number;
}

export const defaultLimits: Limits = {
  chunkRowsDefault: 65_536,
  chunkRowsMax: 1_048_576,
  batchRowsMax: 50_000_000,
  batchBytesMax: 4 * 1024 * 1024 * 1024,
  resultRowsMax: 1_000_000,
  queryMsMax: 60_000,
  ingestInFlightMax: 8,
  ingestQueuedMax: 64,
  commitRetriesMax: 1_000,
  // Decoded chunks are the cheapest way to make repeated scans fast (they never go stale): an eighth of memory.
  chunkCacheBytesMax: Math.max(256 * 1024 * 1024, Math.floor(totalmem() / 8)),
  statsStringBytesMax: 256,
  scanWorkers: Math.max(1, Math.min(8, availableParallelism())),
  scanWorkerRowsMin: 262_144,
};

const envNames: Partial<Record<keyof Limits, string>> = {
  batchRowsMax: 'STRATA_BATCH_ROWS_MAX',
  batchBytesMax: 'STRATA_BATCH_BYTES_MAX',
  resultRowsMax: 'STRATA_RESULT_ROWS_MAX',
  queryMsMax: 'STRATA_QUERY_MS_MAX',
  ingestInFlightMax: 'STRATA_INGEST_IN_FLIGHT_MAX',
  ingestQueuedMax: 'STRATA_INGEST_QUEUED_MAX',
  chunkCacheBytesMax: 'STRATA_CHUNK_CACHE_BYTES_MAX',
  scanWorkers: 'STRATA_SCAN_WORKERS',
};

/** Defaults, overridden by STRATA_* environment variables, overridden by `given`. */
export function resolveLimits(given: Partial<Limits> = {}, env: NodeJS.ProcessEnv = process.env): Limits {
  const limits: Limits = { ...defaultLimits };
  for (const [key, name] of Object.entries(envNames) as [keyof Limits, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0 || (n === 0 && key !== 'scanWorkers')) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `${name} must be a positive integer, got ${JSON.stringify(raw)}`, { limit: key });
    limits[key] = n;
  }
  return { ...limits, ...given };
}
