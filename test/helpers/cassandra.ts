import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/setup/cassandra.ts: where the test Cassandra answers, or why it could not start. */
    cassandra: { contactPoint: string } | { error: string };
  }
}

/** A store URL on the test Cassandra with a keyspace of its own; throws (failing the suite) if Cassandra is not there. */
export function cassandraUrl(prefix = 'strata_test'): string {
  const c = inject('cassandra');
  if ('error' in c) throw new Error(c.error);
  return `cassandra://${c.contactPoint}/${prefix}_${randomBytes(4).toString('hex')}`;
}
