#!/usr/bin/env node
// `npm run cassandra:start`: starts a local Cassandra node for tests and
// development (or reports the one already answering) and waits until it serves CQL.
// Settings come from the environment; see node.mjs.
import { startCassandra } from './node.mjs';

try {
  const node = await startCassandra();
  if (node.started) {
    console.log(`cassandra: ${node.version} started on ${node.host}:${node.port} in ${node.seconds} s (pid ${node.pid}, ${node.dir})`);
  } else {
    console.log(`cassandra: ${node.version} already answering on ${node.host}:${node.port}`);
  }
} catch (err) {
  console.error(`cassandra: ${err.message}`);
  process.exit(1);
}
