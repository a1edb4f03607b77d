#!/usr/bin/env node
// `npm run kafka:start`: starts a local Kafka broker (KRaft) for tests and development, or reports
// the one already serving, and waits until it accepts connections. Settings: see node.mjs.
import { startKafka } from './node.mjs';

try {
  const b = await startKafka();
  console.log(b.started ? `kafka: started on ${b.brokers} in ${b.seconds} s (pid ${b.pid}, ${b.dir})` : `kafka: already serving on ${b.brokers}`);
} catch (err) {
  console.error(`kafka: ${err.message}`);
  process.exit(1);
}
