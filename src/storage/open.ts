import { StrataError } from '../core/errors.js';
import { defaultLimits } from '../core/limits.js';
import type { Limits } from '../core/limits.js';
import { LocalStore } from './local/local-store.js';
import { MemoryStore } from './memory/memory-store.js';
import type { Store } from './store.js';

export const defaultStoreLocation = './strata-data';

/** Opens `memory:`, `cassandra://...`, or a folder path. */
export async function openStore(location: string = defaultStoreLocation, limits: Limits = defaultLimits): Promise<Store> {
  if (location === 'memory:' || location === 'memory') return new MemoryStore();
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location);
  if (m) {
    if (m[1]!.toLowerCase() === 'cassandra') {
      // Loaded on demand: the driver is not needed (nor paid for at start-up) by the embedded store.
      const { CassandraStore } = await import('./cassandra/cassandra-store.js');
      return CassandraStore.open(location, limits);
    }
    throw new StrataError('STRATA_ERR_STORE_URL', `unknown store scheme ${JSON.stringify(m[1])}: use a folder path, memory: or cassandra://host/keyspace`);
  }
  if (location.startsWith('file:')) return new LocalStore(location.replace(/^file:(\/\/)?/, ''));
  if (location.trim() === '') throw new StrataError('STRATA_ERR_STORE_URL', 'the store location is empty');
  return new LocalStore(location);
}
