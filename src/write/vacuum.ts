/**
 * Vacuum: deleting what no kept version needs. Versions committed within
 * `retainMs` (and the newest one committed before that, so every moment in
 * the window still has a version) are kept; the oldest kept is the horizon.
 * Tagged versions before the horizon are kept too, each as a checkpoint of
 * its own. In this order, so a vacuum killed at any moment never loses what
 * a kept version reads, and the next vacuum finishes its work:
 *
 * 1. the horizon's checkpoint, then the horizon marker (versions/horizon.ts):
 *    from here on readers refuse versions before it but the tagged ones;
 * 2. the tags, read after the marker (a tag made later sees the marker and
 *    refuses a version before it), and a checkpoint for each tagged version
 *    before the horizon;
 * 3. checkpoints before the horizon that no tag keeps;
 * 4. segments no kept version refers to, older than `graceMs` (a newer one
 *    may belong to a commit still in flight);
 * 5. the version records after 0 up to the horizon's own (version 0 stays:
 *    it says the dataset exists; the horizon and the tagged versions live on
 *    as checkpoints, which also say what they did); then the marker is
 *    rewritten as finished and older markers go.
 *
 * Time travel to a version gone fails with STRATA_ERR_VERSION_VACUUMED.
 * Chunks stored on their own (before segments) are not deleted. A query
 * reading an old version while a vacuum deletes it can fail.
 */
import { isStrataError } from '../core/errors.js';
import type { Store } from '../storage/store.js';
import { checkpointName } from '../versions/checkpoint.js';
import { deleteOlderMarkers, readHorizonMarker, writeHorizonMarker } from '../versions/horizon.js';
import type { VersionLog } from '../versions/log.js';
import type { Snapshot } from '../versions/snapshot.js';
import { listTags } from '../versions/tags.js';
import type { ChunkRef } from '../chunk/chunk.js';
import { segmentTime } from './segment.js';

export interface VacuumOptions {
  /** Milliseconds of history to keep readable. */
  retainMs: number;
  /** Unreferenced segments younger than this are left (they may belong to a commit in flight). */
  graceMs: number;
  /** The oldest version a registered change-feed reader acknowledged: the horizon goes no further (its later records stay). */
  holdAt?: number;
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
  const marker = await readHorizonMarker(store, dataset);
  const kept = marker?.horizon ?? (await log.horizon(dataset));
  let horizon = head;
  if (options.retainMs > 0) {
    try { horizon = Math.max(kept, await log.versionAt(dataset, now - options.retainMs)); } catch { horizon = kept; }
  }
  if (options.holdAt !== undefined) horizon = Math.min(horizon, options.holdAt);
  horizon = Math.max(horizon, kept);
  if (head === 0) return { horizon: kept, segments: 0, versions: 0, checkpoints: 0 };
  const moves = horizon > kept;
  // A vacuum cut short before its records were deleted is finished now, from where it began.
  const from = moves ? (marker?.from ?? kept) : marker && marker.from < marker.horizon ? marker.from : null;
  if (moves) {
    await log.checkpoint(await log.snapshot(dataset, horizon, { pastHorizon: true }));
    await writeHorizonMarker(store, dataset, { horizon, from: from! });
  }
  const tagged = [...new Set((await listTags(store, dataset)).map((t) => t.version))].filter((v) => v > 0 && v < horizon);
  const islands: Snapshot[] = [];
  for (const v of tagged) {
    try {
      islands.push(await log.snapshot(dataset, v, { pastHorizon: true }));
    } catch (e) {
      // A tag on a version an earlier vacuum removed (made across that vacuum): nothing left to keep.
      if (!isStrataError(e, 'STRATA_ERR_VERSION_VACUUMED') && !isStrataError(e, 'STRATA_ERR_VERSION_NOT_FOUND')) throw e;
    }
  }
  const cpsBefore = await store.listObjects(dataset, 'checkpoint');
  for (const s of islands) if (!cpsBefore.includes(checkpointName(s.version))) await log.checkpoint(s);
  const keep = new Set([horizon, ...islands.map((s) => s.version)].map(checkpointName));
  const checkpoints = cpsBefore.filter((n) => Number(n) < horizon && !keep.has(n));
  await store.deleteObjects(dataset, 'checkpoint', checkpoints);

  // Every segment a kept version can read: the horizon's and the tagged versions' chunks (and their masks),
  // everything added after the horizon, and the deleted-row lists of the deletes a revert may still undo.
  const live = new Set<string>();
  const keepRef = (c: ChunkRef): void => { if (c.segment) live.add(c.segment); if (c.mask) live.add(c.mask.segment); };
  for (const s of [await log.snapshot(dataset, horizon, { pastHorizon: true }), ...islands]) for (const c of s.chunks.values()) keepRef(c);
  for (let v = horizon + 1; v <= head; v++) {
    const r = await log.record(dataset, v);
    for (const c of r.adds) keepRef(c);
    if (r.deleted) live.add(r.deleted.segment);
  }
  const segments = (await store.listObjects(dataset, 'segment')).filter((s) => !live.has(s) && segmentTime(s) <= now - options.graceMs);
  await store.deleteObjects(dataset, 'segment', segments);

  let versions = 0;
  if (from !== null) {
    // Oldest first, the horizon's own last.
    const doomed = Array.from({ length: horizon - from + 1 }, (_, i) => from + i).filter((v) => v > 0);
    await store.deleteVersions(dataset, doomed.slice(0, -1));
    await store.deleteVersions(dataset, doomed.slice(-1));
    versions = doomed.length;
    await writeHorizonMarker(store, dataset, { horizon, from: horizon });
  }
  // The work up to the horizon is done here: older markers go (also those a vacuum killed just before this step left).
  if (marker || from !== null) await deleteOlderMarkers(store, dataset, horizon);
  log.vacuumed(dataset, horizon);
  return { horizon, segments: segments.length, versions, checkpoints: checkpoints.length };
}
