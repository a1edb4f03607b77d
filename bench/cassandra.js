// The benchmark's Cassandra: STRATA_BENCH_CASSANDRA=host:port names a running
// node; otherwise the project's script starts one and stop() stops it.
import { startCassandra, stopCassandra } from '../scripts/cassandra/node.mjs';

export async function benchCassandra() {
  if (process.env.STRATA_BENCH_CASSANDRA) return { contactPoint: process.env.STRATA_BENCH_CASSANDRA, startSeconds: null, stop: async () => {} };
  const node = await startCassandra();
  return {
    contactPoint: `${node.host}:${node.port}`,
    startSeconds: node.started ? node.seconds : null,
    stop: async () => { if (node.started) await stopCassandra({ clean: true }); },
  };
}
