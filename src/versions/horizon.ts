/**
 * The horizon marker: where a vacuum keeps history from, written before the
 * vacuum deletes anything, so a vacuum cut short at any moment leaves a
 * store whose readers already treat everything before the horizon (but the
 * tagged versions kept as checkpoints) as gone. `from` is the first record
 * the vacuum still has to delete; a finished vacuum rewrites its marker with
 * `from` = `horizon`, so the next vacuum knows whether to finish the work.
 */
import type { Store } from '../storage/store.js';

export interface HorizonMarker {
  horizon: number;
  from: number;
}

const markerName = (v: number): string => v.toString(16).padStart(16, '0');

/** Every marker's version, ascending (more than one only while a vacuum is finishing). */
async function markerVersions(store: Store, dataset: string): Promise<number[]> {
  return (await store.listObjects(dataset, 'horizon')).map((n) => parseInt(n, 16)).filter(Number.isSafeInteger).sort((a, b) => a - b);
}

/** The newest marker, or null for a dataset no vacuum has moved the horizon of. */
export async function readHorizonMarker(store: Store, dataset: string): Promise<HorizonMarker | null> {
  const versions = await markerVersions(store, dataset);
  const newest = versions[versions.length - 1];
  if (newest === undefined) return null;
  const bytes = await store.readObject(dataset, 'horizon', markerName(newest));
  // Unreadable: finish from 1, which deletes nothing a finished vacuum had not (deleting a missing record is a no-op).
  let m: Partial<HorizonMarker> | null = null;
  try { m = bytes ? (JSON.parse(Buffer.from(bytes[0]!).toString('utf8')) as Partial<HorizonMarker>) : null; } catch { m = null; }
  return { horizon: newest, from: Number.isSafeInteger(m?.from) ? m!.from! : 1 };
}

export function writeHorizonMarker(store: Store, dataset: string, m: HorizonMarker): Promise<void> {
  return store.putObject(dataset, 'horizon', markerName(m.horizon), Buffer.from(JSON.stringify(m)));
}

/** Deletes the markers older than `horizon` (once its vacuum has finished). */
export async function deleteOlderMarkers(store: Store, dataset: string, horizon: number): Promise<void> {
  await store.deleteObjects(dataset, 'horizon', (await markerVersions(store, dataset)).filter((v) => v < horizon).map(markerName));
}
