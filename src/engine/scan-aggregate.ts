/**
 * An engine aggregate over one snapshot. Large scans run in the worker pool:
 * every live chunk goes to the worker its id hashes to, which reads it from
 * its own cache or decodes the blobs the main thread fetches for it, filters
 * and aggregates; the main thread merges the workers' partial states. A
 * chunk whose filter columns are read first gets its other columns fetched
 * only if the worker finds a row that passes. Small scans run on the main
 * thread (scanSnapshot, then aggregate).
 */
import type { Column } from '../schema/schema.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { AggSpec, GroupResult, KeySpec } from './aggregate.js';
import { GroupAggregator, aggregate } from './aggregate.js';
import type { AggregateBegin, WorkerChunk } from './aggregate-worker.js';
import type { ChunkReader } from './chunk-reader.js';
import type { Predicate } from './predicate.js';
import type { ScanOptions, ScanStats } from './scan.js';
import { planScan, scanSnapshot } from './scan.js';

export async function aggregateSnapshot(reader: ChunkReader, snapshot: Snapshot, wanted: readonly Column[], predicates: readonly Predicate[], keys: readonly KeySpec[], aggs: readonly AggSpec[], options: ScanOptions): Promise<{ groups: GroupResult | null; stats: ScanStats }> {
  const plan = planScan(snapshot, wanted, predicates, options);
  const { stats, live, counted, liveRows, planChunk, sortColumn } = plan;
  const useWorkers = options.workers && !options.lastBy && liveRows >= options.workers.rowsMin;
  if (!useWorkers) {
    const { chunks } = await scanSnapshot(reader, snapshot, wanted, predicates, options, plan);
    return { groups: aggregate(chunks, keys, aggs), stats };
  }
  const chunkPlans = live.map(planChunk);
  const pool = options.workers!.pool();
  stats.workers = pool.size;
  stats.workerTask = 'aggregate';
  const merged = new GroupAggregator(keys, aggs);
  for (const c of counted) merged.add(c);
  // Two plans only: mixed chunks (0) and one partition's (1).
  const plans: AggregateBegin['plans'] = [];
  const planOf = live.map((ref, i) => {
    const at = ref.mixed ? 0 : 1;
    const { read, rowPredicates, first } = chunkPlans[i]!;
    plans[at] ??= { read, rowPredicates, first };
    return at;
  });
  for (let at = 0; at < 2; at++) plans[at] ??= { read: [], rowPredicates: [], first: [] };
  const shares = Array.from({ length: pool.size }, () => [] as number[]);
  live.forEach((ref, i) => shares[pool.workerOf(ref.id)]!.push(i));
  // Every worker starts at once; each aggregates what it has cached while the main thread fetches the rest.
  const starts = await Promise.allSettled(shares.map((share, w) => {
    if (share.length === 0) return Promise.resolve(null);
    const chunks = share.map((i) => {
      const ref = live[i]!;
      // Only the metadata of the columns the worker reads: the rest would be copied for nothing.
      const columns: WorkerChunk['columns'] = {};
      for (const c of plans[planOf[i]!]!.read) if (c.name in ref.columns) columns[c.name] = ref.columns[c.name]!;
      return { ref: { id: ref.id, rows: ref.rows, mixed: ref.mixed, columns, ...(ref.mask ? { mask: ref.mask } : {}) }, plan: planOf[i]!, defer: chunkPlans[i]!.later.length > 0 };
    });
    return pool.aggregate(w, { dataset: snapshot.dataset, keys: [...keys], aggs: [...aggs], sortColumn, plans, chunks });
  }));
  const sessions = starts.map((s) => (s.status === 'fulfilled' ? s.value : null));
  let failure: unknown = starts.find((s) => s.status === 'rejected')?.reason ?? null;
  if (failure === null) {
    try {
      // Fetch what the workers lack, readsInFlightMax at a time, handing each chunk's blobs over as they arrive.
      // A chunk asked for its filter columns only answers, once filtered, with the other columns it needs (if a row passed).
      const fetches = sessions.flatMap((s, w) => (s ? s.missing.map(([chunk, names, filterOnly]) => ({ s, ref: live[shares[w]![chunk]!]!, chunk, names, filterOnly })) : []));
      const byName = new Map(snapshot.schema.columns.map((c) => [c.name, c]));
      let next = 0;
      const fetchNext = async (): Promise<void> => {
        while (next < fetches.length) {
          const f = fetches[next++]!;
          let names = f.names;
          let filterOnly = f.filterOnly;
          while (names.length > 0) {
            const t1 = performance.now();
            const blobs = await reader.fetch(snapshot.dataset, f.ref, names.map((n) => byName.get(n)!));
            stats.readMs += performance.now() - t1;
            names = await f.s.send(f.chunk, blobs, filterOnly);
            filterOnly = false;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.readsInFlightMax, fetches.length) }, fetchNext));
    } catch (e) {
      failure = e;
    }
  }
  // Every started session is ended, so no worker keeps one; the first failure is the query's.
  const done = await Promise.allSettled(sessions.map((s) => s?.end() ?? null));
  if (failure !== null) throw failure;
  for (const d of done) {
    if (d.status === 'rejected') throw d.reason;
    if (!d.value) continue;
    merged.merge(d.value.partial);
    stats.rowsSelected += d.value.rowsSelected;
    stats.filterMs += d.value.filterMs;
    // Read time, as on the main thread: fetching plus checking and decoding (here, in the workers).
    stats.readMs += d.value.decodeMs;
    stats.chunksDeferredSkipped += d.value.deferredSkipped;
  }
  stats.chunksRead += live.length;
  stats.rowsRead += liveRows;
  return { groups: merged.result(), stats };
}
