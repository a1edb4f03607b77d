/**
 * Durable change-feed readers: a named cursor per reader holding the
 * newest version it acknowledged as processed. Vacuum keeps every version
 * after it (write/vacuum.ts) until the reader has been silent for
 * readerHoldMsMax; past that it no longer holds history back, and its feed
 * opens with a `behind` event naming the versions it can no longer get.
 * One object per reader in the store (named by the SHA-256 of its name).
 */
import { StrataError } from '../core/errors.js';
import type { Store } from '../storage/store.js';
import { namedObjects } from './named-objects.js';

export interface ReaderCursor {
  name: string;
  /** The newest version the reader acknowledged (its feed resumes after it). */
  acked: number;
  /** When it last acknowledged (or registered), ms since the epoch. */
  time: number;
}

/** Reader names: a path segment and a query parameter without escaping. */
export const readerPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function validateReader(name: string, dataset: string): string {
  if (typeof name !== 'string' || !readerPattern.test(name)) {
    throw new StrataError('STRATA_ERR_INVALID_NAME', `invalid reader name ${JSON.stringify(name)}: a letter or digit, then up to 127 letters, digits or . _ : -`, { dataset, reader: String(name) });
  }
  return name;
}

const cursors = namedObjects<ReaderCursor>('reader', (json, dataset) => {
  const c = json as Partial<ReaderCursor> | null;
  if (!c || typeof c.name !== 'string' || !Number.isSafeInteger(c.acked) || !Number.isFinite(c.time)) {
    throw new StrataError('STRATA_ERR_VERSION_CORRUPT', `a reader cursor of ${dataset} is damaged`, { dataset });
  }
  return { name: c.name, acked: c.acked!, time: c.time! };
});

export const readReader = (store: Store, dataset: string, name: string): Promise<ReaderCursor | undefined> => cursors.read(store, dataset, name);
export const listReaders = (store: Store, dataset: string): Promise<ReaderCursor[]> => cursors.list(store, dataset);
export const writeReader = (store: Store, dataset: string, c: ReaderCursor): Promise<void> => cursors.write(store, dataset, c);
export const deleteReader = (store: Store, dataset: string, name: string): Promise<void> => cursors.remove(store, dataset, name);
