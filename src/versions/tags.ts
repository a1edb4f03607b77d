/**
 * Tags: names for versions of a dataset. Each is one object in the store,
 * named by the SHA-256 of the tag's name (object names are hex) and holding
 * the name, the version and when it was made. A tag commits nothing: making
 * or removing one leaves the history as it is. Vacuum keeps every tagged
 * version readable (write/vacuum.ts).
 */
import { StrataError } from '../core/errors.js';
import type { Store } from '../storage/store.js';
import { namedObjects } from './named-objects.js';

export interface Tag {
  name: string;
  version: number;
  /** When the tag was made, ms since the epoch. */
  time: number;
}

/** Tag names: what a user types in `AT (VERSION => 'name')`, a path segment and a shell argument without quoting. */
export const tagPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function validateTag(name: string, dataset: string): string {
  if (typeof name !== 'string' || !tagPattern.test(name)) {
    throw new StrataError('STRATA_ERR_INVALID_NAME', `invalid tag name ${JSON.stringify(name)}: use a letter or digit followed by up to 63 letters, digits, dots, underscores or hyphens`, { dataset, tag: String(name) });
  }
  return name;
}

const tags = namedObjects<Tag>('tag', (json, dataset) => {
  const t = json as Partial<Tag> | null;
  if (!t || typeof t.name !== 'string' || !Number.isSafeInteger(t.version) || !Number.isFinite(t.time)) {
    throw new StrataError('STRATA_ERR_VERSION_CORRUPT', `a tag of ${dataset} does not hold a tag`, { dataset });
  }
  return { name: t.name, version: t.version!, time: t.time! };
});

export const readTag = (store: Store, dataset: string, name: string): Promise<Tag | undefined> => tags.read(store, dataset, name);

/** Every tag of a dataset, by version then name. */
export async function listTags(store: Store, dataset: string): Promise<Tag[]> {
  return (await tags.list(store, dataset)).sort((a, b) => a.version - b.version);
}

export const writeTag = (store: Store, dataset: string, tag: Tag): Promise<void> => tags.write(store, dataset, tag);
export const deleteTag = (store: Store, dataset: string, name: string): Promise<void> => tags.remove(store, dataset, name);

export async function removeTag(store: Store, dataset: string, name: string): Promise<Tag> {
  validateTag(name, dataset);
  const existing = await readTag(store, dataset, name);
  if (!existing) throw await tagNotFound(store, dataset, name);
  await deleteTag(store, dataset, name);
  return existing;
}

/** The version a tag names. */
export async function taggedVersion(store: Store, dataset: string, name: string): Promise<number> {
  const t = tagPattern.test(name) ? await readTag(store, dataset, name) : undefined;
  if (!t) throw await tagNotFound(store, dataset, name);
  return t.version;
}

export async function tagNotFound(store: Store, dataset: string, name: string): Promise<StrataError> {
  const names = (await listTags(store, dataset)).map((t) => t.name);
  const listed = names.length === 0 ? `${dataset} has no tags` : `tags: ${names.slice(0, 20).join(', ')}${names.length > 20 ? `, ... (${names.length})` : ''}`;
  return new StrataError('STRATA_ERR_TAG_NOT_FOUND', `${dataset} has no tag ${JSON.stringify(name)} (${listed})`, { dataset, tag: name });
}
