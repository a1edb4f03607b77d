/**
 * A dataset's retention: how much history its vacuums keep when not told
 * otherwise (automatic vacuum in `strata serve` included). One object in the
 * store, so every process and backend sees the same setting; not a version,
 * since it changes no answer.
 */
import { StrataError } from '../core/errors.js';
import type { Store } from '../storage/store.js';

const retentionObject = Buffer.from('retention').toString('hex');

/** The dataset's own retention in ms, or null when it has none (the default applies). */
export async function readRetention(store: Store, dataset: string): Promise<number | null> {
  const bytes = await store.readObject(dataset, 'setting', retentionObject);
  if (!bytes) return null;
  let v: unknown;
  try { v = (JSON.parse(Buffer.from(bytes[0]!).toString('utf8')) as { retainMs?: unknown }).retainMs; } catch { v = undefined; }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new StrataError('STRATA_ERR_VERSION_CORRUPT', `the retention setting of ${dataset} is damaged; set it again`, { dataset });
  return v;
}

/** Sets (a number of ms) or clears (null) the dataset's retention. */
export async function writeRetention(store: Store, dataset: string, retainMs: number | null): Promise<void> {
  if (retainMs === null) { await store.deleteObjects(dataset, 'setting', [retentionObject]); return; }
  if (!Number.isSafeInteger(retainMs) || retainMs < 0) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `retention must be a whole number of milliseconds >= 0, got ${String(retainMs)}`, { dataset });
  await store.putObject(dataset, 'setting', retentionObject, Buffer.from(JSON.stringify({ retainMs })));
}
