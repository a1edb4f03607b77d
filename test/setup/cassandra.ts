/**
 * vitest global setup: a real Cassandra for the Cassandra suites.
 *
 * STRATA_TEST_CASSANDRA=host:port names a running node to use as is.
 * Otherwise the project's own script starts one (and this setup stops it,
 * data removed, at the end). If it cannot start, the reason is handed to the
 * Cassandra suites, which then FAIL with it: they are never skipped.
 */
import type { TestProject } from 'vitest/node';
// @ts-expect-error: a plain ESM script without type declarations
import { startCassandra, stopCassandra } from '../../scripts/cassandra/node.mjs';

import '../helpers/cassandra.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.STRATA_TEST_CASSANDRA;
  if (given) {
    project.provide('cassandra', { contactPoint: given });
    return async () => {};
  }
  let started = false;
  try {
    const t0 = Date.now();
    const node = (await startCassandra()) as { started: boolean; host: string; port: number; version: string };
    started = node.started;
    project.provide('cassandra', { contactPoint: `${node.host}:${node.port}` });
    console.log(`cassandra ${node.version} on ${node.host}:${node.port} (${node.started ? `started in ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'already running'})`);
  } catch (e) {
    project.provide('cassandra', { error: `Cassandra could not be started: ${(e as Error).message}` });
  }
  return async () => {
    if (started) await stopCassandra({ clean: true });
  };
}
