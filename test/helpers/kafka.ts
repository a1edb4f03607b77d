import { Kafka, logLevel } from 'kafkajs';
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

/** Creates a topic on the test broker. */
export async function createTopic(brokers: string, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'test', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Creates a topic and sends n records to it, record i to partition i mod partitions. */
export async function produce(brokers: string, topic: string, partitions: number, n: number, value: (i: number) => string | Buffer): Promise<void> {
  await createTopic(brokers, topic, partitions);
  const producer = new Kafka({ clientId: 'test', brokers: [brokers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    for (let i = 0; i < n; i += 10_000) {
      await producer.send({ topic, messages: Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({ partition: (i + j) % partitions, value: value(i + j) })) });
    }
  } finally {
    await producer.disconnect();
  }
}
