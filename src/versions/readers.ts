/**
 * Durable change-feed readers: a named cursor per reader holding the
 * newest version it acknowledged as processed. Vacuum keeps every version
 * after it (write/vacuum.ts) until the reader has been silent for
 * readerHoldMsMax; past that it no longer holds history back, and its feed
 * opens with a `behind` event naming the versions it can no longer get.
 * One object per reader in the store (named by the SHA-256 of its name).
 */
import { createHash } from 'node:crypto';
import { StrataError } from '../core/errors.js';
import type { Store } from '../storage/store.js';

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

const objectName = (name: string): string => createHash('sha256').update(name).digest('hex');

function decode(bytes: Uint8Array, dataset: string): ReaderCursor {
  let c: ReaderCursor | null = null;
  try { c = JSON.parse(Buffer.from(bytes).toString('utf8')) as ReaderCursor; } catch { /* reported below */ }
  if (!c || typeof c.name !== 'string' || !Number.isSafeInteger(c.acked) || !Number.isFinite(c.time)) {
    throw new StrataError('STRATA_ERR_VERSION_CORRUPT', `a reader cursor of ${dataset} is damaged`, { dataset });
  }
  return { name: c.name, acked: c.acked, time: c.time };
}

export async function readReader(store: Store, dataset: string, name: string): Promise<ReaderCursor | undefined> {
  const bytes = await store.readObject(dataset, 'reader', objectName(name));
  return bytes ? decode(bytes[0]!, dataset) : undefined;
}

export async function listReaders(store: Store, dataset: string): Promise<ReaderCursor[]> {
  const names = await store.listObjects(dataset, 'reader');
  const all = await Promise.all(names.map(async (n) => { const b = await store.readObject(dataset, 'reader', n); return b ? decode(b[0]!, dataset) : undefined; }));
  return all.filter((c): c is ReaderCursor => c !== undefined).sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function writeReader(store: Store, dataset: string, c: ReaderCursor): Promise<void> {
  return store.putObject(dataset, 'reader', objectName(c.name), Buffer.from(JSON.stringify(c)));
}

export function deleteReader(store: Store, dataset: string, name: string): Promise<void> {
  return store.deleteObjects(dataset, 'reader', [objectName(name)]);
}
