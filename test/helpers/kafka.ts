import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/setup/kafka.ts: where the test broker answers, or why it could not start. */
    kafka: { brokers: string } | { error: string };
  }
}

/** The test broker's address; throws (failing the suite) if there is none. */
export function kafkaBrokers(): string {
  const k = inject('kafka');
  if ('error' in k) throw new Error(k.error);
  return k.brokers;
}
