/**
 * vitest global setup: a real Kafka broker (KRaft) for the Kafka suites,
 * started by the project's own script (and stopped, data removed, at the
 * end). STRATA_TEST_KAFKA=host:port names a running broker to use as is.
 * If it cannot start, the Kafka suites FAIL with the reason: never skipped.
 */
import type { TestProject } from 'vitest/node';
// @ts-expect-error: a plain ESM script without type declarations
import { startKafka, stopKafka } from '../../scripts/kafka/node.mjs';

import '../helpers/kafka.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.STRATA_TEST_KAFKA;
  if (given) {
    project.provide('kafka', { brokers: given });
    return async () => {};
  }
  let started = false;
  try {
    const b = (await startKafka()) as { started: boolean; brokers: string; seconds: number };
    started = b.started;
    project.provide('kafka', { brokers: b.brokers });
    console.log(`kafka on ${b.brokers} (${b.started ? `started in ${b.seconds} s` : 'already running'})`);
  } catch (e) {
    project.provide('kafka', { error: `Kafka could not be started: ${(e as Error).message}` });
  }
  return async () => {
    if (started) await stopKafka({ clean: true });
  };
}
