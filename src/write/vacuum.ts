/**
 * Vacuum: deleting what no kept version needs. Versions committed within
 * `retainMs` (and the newest one committed before that, so every moment in
 * the window still has a version) are kept; the oldest kept is the horizon.
 * Vacuum writes a checkpoint at the horizon, then deletes
 *
 * - segments no chunk of a kept version refers to and older than `graceMs`
 *   (a segment newer than that may belong to a commit still in flight);
 * - the version records after 0 up to the horizon's own (version 0 stays: it
 *   says the dataset exists and when it was made; the horizon lives on as its
 *   checkpoint, which also says what it did) and older checkpoints.
 *
 * Time travel before the horizon then fails with STRATA_ERR_VERSION_VACUUMED.
 * Chunks stored on their own (before segments) are not deleted. A query that
 * is reading an old version while a vacuum deletes it can fail.
 */
import type { Store } from '../storage/store.js';
import type { VersionLog } from '../versions/log.js';
import { segmentTime } from './segment.js';

export interface VacuumOptions {
  /** Milliseconds of history to keep readable. */
  retainMs: number;
  /** Unreferenced segments younger than this are left (they may belong to a commit in flight). */
  graceMs: number;
}

export interface VacuumResult {
  /** The oldest version kept after 0. */
  horizon: number;
  segments: number;
  versions: number;
  checkpoints: number;
}

export async function vacuum(store: Store, log: VersionLog, dataset: string, options: VacuumOptions): Promise<VacuumResult> {
  const now = Date.now();
  const head = await log.headVersion(dataset);
  const kept = await log.horizon(dataset);
  let horizon = head;
  if (options.retainMs > 0) {
    try { horizon = Math.max(kept, await log.versionAt(dataset, now - options.retainMs)); } catch { horizon = kept; }
  }
  horizon = Math.max(horizon, kept);
  if (head === 0) return { horizon: kept, segments: 0, versions: 0, checkpoints: 0 };
  // History moves only when the horizon does; unreferenced segments (a crashed commit's) go either way.
  const moves = horizon > kept;
  if (moves) await log.checkpoint(await log.snapshot(dataset, horizon));
  // Every segment a kept version can read: the horizon's chunks and everything added after it.
  const live = new Set<string>();
  for (const c of (await log.snapshot(dataset, horizon)).chunks.values()) if (c.segment) live.add(c.segment);
  for (let v = horizon + 1; v <= head; v++) for (const c of (await log.record(dataset, v)).adds) if (c.segment) live.add(c.segment);
  const segments = (await store.listObjects(dataset, 'segment')).filter((s) => !live.has(s) && segmentTime(s) <= now - options.graceMs);
  await store.deleteObjects(dataset, 'segment', segments);

  if (!moves) return { horizon, segments: segments.length, versions: 0, checkpoints: 0 };
  const checkpoints = (await store.listObjects(dataset, 'checkpoint')).filter((n) => Number(n) < horizon);
  await store.deleteObjects(dataset, 'checkpoint', checkpoints);
  // Oldest first, the horizon's own last: a vacuum cut short leaves a history that still reads from the horizon.
  const versions = Array.from({ length: horizon - kept + 1 }, (_, i) => kept + i);
  await store.deleteVersions(dataset, versions.slice(0, -1));
  await store.deleteVersions(dataset, versions.slice(-1));
  log.vacuumed(dataset, horizon);
  return { horizon, segments: segments.length, versions: versions.length, checkpoints: checkpoints.length };
}
