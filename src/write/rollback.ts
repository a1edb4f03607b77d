/**
 * Rollback to version `to`: a new version whose snapshot (chunks, schema,
 * writer states) equals `to`'s. History is not rewritten: the versions after
 * `to` stay readable, and the rollback can itself be rolled back. Seqs
 * committed after `to` are new again for their writers.
 */
import { StrataError } from '../core/errors.js';
import type { VersionLog } from '../versions/log.js';
import { storeWriterState } from '../versions/writers.js';

export async function rollback(log: VersionLog, dataset: string, to: number): Promise<{ version: number }> {
  if (!Number.isSafeInteger(to) || to < 0) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `rollback target must be a version number, got ${String(to)}`, { dataset });
  const target = await log.snapshot(dataset, to);
  return log.commit(dataset, (head) => {
    const adds = [...target.chunks.values()].filter((c) => !head.chunks.has(c.id));
    const removed = [...head.chunks.values()].filter((c) => !target.chunks.has(c.id));
    return {
      commit: {
        kind: 'rollback', schema: target.schema, adds, removes: removed.map((c) => c.id),
        rowsAdded: adds.reduce((n, c) => n + c.rows, 0), rowsRemoved: removed.reduce((n, c) => n + c.rows, 0),
        writerStates: Object.fromEntries([...target.writers].map(([w, s]) => [w, storeWriterState(s)])), rollbackTo: to,
      },
      result: (version) => ({ version }),
    };
  });
}
