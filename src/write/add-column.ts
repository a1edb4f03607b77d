/** Adding a column: a new version with the wider schema; chunks written before it read NULL there. */
import { StrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { Column } from '../schema/schema.js';
import { makeSchema } from '../schema/schema.js';
import type { VersionLog } from '../versions/log.js';

export function addColumn(log: VersionLog, limits: Limits, dataset: string, column: Column): Promise<{ version: number }> {
  return log.commit(dataset, (head) => {
    if (head.schema.columns.some((c) => c.name === column.name)) {
      throw new StrataError('STRATA_ERR_COLUMN_EXISTS', `${dataset} already has a column ${column.name}`, { dataset, column: column.name });
    }
    const schema = makeSchema({ ...head.schema, columns: [...head.schema.columns, column] }, limits);
    return { commit: { kind: 'add_column', schema, adds: [], removes: [], rowsAdded: 0, rowsRemoved: 0 }, result: (version) => ({ version }) };
  });
}
