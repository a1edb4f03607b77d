import { StrataError } from '../core/errors.js';
import { LocalStore } from './local/local-store.js';
import { MemoryStore } from './memory/memory-store.js';
import type { Store } from './store.js';

export const defaultStoreLocation = './strata-data';

/** Backends that live outside this module register here (Cassandra), keeping imports pointing one way. */
const schemes = new Map<string, (location: string) => Promise<Store>>();

export function registerStoreScheme(scheme: string, open: (location: string) => Promise<Store>): void {
  schemes.set(scheme, open);
}

/** Opens `memory:`, `<scheme>://...` for a registered scheme, or a folder path. */
export async function openStore(location: string = defaultStoreLocation): Promise<Store> {
  if (location === 'memory:' || location === 'memory') return new MemoryStore();
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location);
  if (m) {
    const open = schemes.get(m[1]!.toLowerCase());
    if (!open) throw new StrataError('STRATA_ERR_STORE_URL', `unknown store scheme ${JSON.stringify(m[1])}: use a folder path, memory: or a supported URL`);
    return open(location);
  }
  if (location.startsWith('file:')) return new LocalStore(location.replace(/^file:(\/\/)?/, ''));
  if (location.trim() === '') throw new StrataError('STRATA_ERR_STORE_URL', 'the store location is empty');
  return new LocalStore(location);
}
