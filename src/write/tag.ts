/**
 * Making a tag, in step with vacuum (write/vacuum.ts reads the tags after it
 * writes its horizon marker).
 */
import { StrataError } from '../core/errors.js';
import type { Store } from '../storage/store.js';
import type { VersionLog } from '../versions/log.js';
import { deleteTag, readTag, validateTag, writeTag } from '../versions/tags.js';
import type { Tag } from '../versions/tags.js';

/**
 * Names `version` (the head when omitted) `name`. Tagging the version a tag
 * already names is a no-op; another version is STRATA_ERR_TAG_EXISTS. The
 * tag is written, then the horizon read: a vacuum that moved its horizon past
 * the version before the tag existed may not have kept it, so the tag is
 * taken back and the version reported vacuumed.
 */
export async function makeTag(store: Store, log: VersionLog, dataset: string, name: string, version?: number): Promise<Tag> {
  validateTag(name, dataset);
  const v = version ?? (await log.headVersion(dataset));
  await log.snapshot(dataset, v);
  const existing = await readTag(store, dataset, name);
  if (existing) {
    if (existing.version === v) return existing;
    throw new StrataError('STRATA_ERR_TAG_EXISTS', `tag ${name} of ${dataset} names version ${existing.version}; untag it first to move it to ${v}`, { dataset, tag: name, version: existing.version });
  }
  const tag = { name, version: v, time: Date.now() };
  await writeTag(store, dataset, tag);
  const horizon = await log.horizon(dataset);
  if (v > 0 && v < horizon && !(await log.keptBeforeHorizon(dataset, horizon)).includes(v)) {
    await deleteTag(store, dataset, name);
    throw await log.vacuumedError(dataset, v);
  }
  return tag;
}

