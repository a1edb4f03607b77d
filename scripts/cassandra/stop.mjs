#!/usr/bin/env node
// `npm run cassandra:stop [-- --clean]`: stops the local Cassandra node started by
// start.mjs; --clean also deletes its data so the next start is from scratch.
import { stopCassandra } from './node.mjs';

const clean = process.argv.includes('--clean');
try {
  const { stopped, pid, seconds } = await stopCassandra({ clean });
  console.log(stopped ? `cassandra: stopped pid ${pid} in ${seconds} s` : 'cassandra: not running');
  if (clean) console.log('cassandra: data removed');
} catch (err) {
  console.error(`cassandra: ${err.message}`);
  process.exit(1);
}
