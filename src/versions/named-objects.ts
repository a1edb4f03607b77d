/**
 * Small mutable records kept one per name in the store (tags, reader
 * cursors): each object is named by the SHA-256 of its record's name
 * (object names are hex) and holds the record as JSON.
 */
import { createHash } from 'node:crypto';
import type { ObjectKind, Store } from '../storage/store.js';

export interface NamedObjects<T extends { name: string }> {
  read(store: Store, dataset: string, name: string): Promise<T | undefined>;
  /** Every record of the dataset, by name. */
  list(store: Store, dataset: string): Promise<T[]>;
  write(store: Store, dataset: string, record: T): Promise<void>;
  remove(store: Store, dataset: string, name: string): Promise<void>;
}

/** `decode` checks a record and throws a clear error for a damaged one (it gets null for bytes that are not JSON). */
export function namedObjects<T extends { name: string }>(kind: ObjectKind, decode: (json: unknown, dataset: string) => T): NamedObjects<T> {
  const objectName = (name: string): string => createHash('sha256').update(name).digest('hex');
  const parse = (bytes: Uint8Array, dataset: string): T => {
    let json: unknown = null;
    try { json = JSON.parse(Buffer.from(bytes).toString('utf8')); } catch { /* decode reports it */ }
    return decode(json, dataset);
  };
  return {
    async read(store, dataset, name) {
      const bytes = await store.readObject(dataset, kind, objectName(name));
      return bytes ? parse(bytes[0]!, dataset) : undefined;
    },
    async list(store, dataset) {
      const names = await store.listObjects(dataset, kind);
      const all: (T | undefined)[] = await Promise.all(names.map(async (n) => { const b = await store.readObject(dataset, kind, n); return b ? parse(b[0]!, dataset) : undefined; }));
      return all.filter((r): r is T => r !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    write: (store, dataset, record) => store.putObject(dataset, kind, objectName(record.name), Buffer.from(JSON.stringify(record))),
    remove: (store, dataset, name) => store.deleteObjects(dataset, kind, [objectName(name)]),
  };
}
