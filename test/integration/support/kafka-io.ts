import { setTimeout as sleep } from 'node:timers/promises'
import { Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { clientConnectionOptions, createAdmin, type KafkaConnectionOptions } from '../../../src/kafka/connection.ts'

/** Bootstrap servers alone (plaintext), or full connection options (TLS, SASL). */
export type Target = string[] | KafkaConnectionOptions

function connection(target: Target) {
  return clientConnectionOptions(Array.isArray(target) ? { bootstrapServers: target } : target)
}

/** Produces `count` records `prefix-0..` with acks=all and idempotence; resolves once all are acknowledged. */
export async function produce(bootstrap: Target, topic: string, prefix: string, count: number, retries = 40): Promise<void> {
  const producer = new Producer({
    clientId: `test-producer-${prefix}`,
    ...connection(bootstrap),
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // A SIGKILLed leader is noticed only after broker.session.timeout.ms (9 s): retry past it.
    retries,
    retryDelay: 500,
  })
  try {
    for (let i = 0; i < count; i += 10) {
      const messages = Array.from({ length: Math.min(10, count - i) }, (_, j) => ({ topic, key: `k${i + j}`, value: `${prefix}-${i + j}` }))
      await producer.send({ messages })
    }
  } finally {
    await producer.close()
  }
}

/** Reads `topic` from the earliest offset until `count` records arrived (or the timeout). */
export async function consume(bootstrap: Target, topic: string, count: number, timeoutMs = 60_000): Promise<string[]> {
  const consumer = new Consumer({
    clientId: 'test-consumer',
    groupId: `test-group-${topic}-${Date.now()}`,
    ...connection(bootstrap),
    deserializers: stringDeserializers,
  })
  const values: string[] = []
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 500 })
    const timer = setTimeout(() => stream.destroy(new Error(`timed out after ${values.length}/${count} records`)), timeoutMs)
    try {
      for await (const message of stream) {
        values.push(message.value as string)
        if (values.length >= count) break
      }
    } finally {
      clearTimeout(timer)
      await stream.close().catch(() => {})
    }
  } finally {
    await consumer.close(true).catch(() => {})
  }
  return values
}

export interface PartitionState {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
}

export async function describeTopic(bootstrap: string[], topic: string): Promise<PartitionState[]> {
  const admin = createAdmin({ bootstrapServers: bootstrap })
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
    return metadata.topics.get(topic)!.partitions.map((p, partition) => ({ partition, leader: p.leader, replicas: p.replicas, isr: p.isr }))
  } finally {
    await admin.close()
  }
}

/** Polls until `check` returns true for the topic's partitions, or fails with the last state seen. */
export async function waitForPartitions(
  bootstrap: string[],
  topic: string,
  check: (partitions: PartitionState[]) => boolean,
  timeoutMs = 60_000,
): Promise<PartitionState[]> {
  const deadline = Date.now() + timeoutMs
  let last: PartitionState[] = []
  while (Date.now() < deadline) {
    last = await describeTopic(bootstrap, topic).catch(() => last)
    if (last.length > 0 && check(last)) return last
    await sleep(500)
  }
  throw new Error(`partitions of ${topic} did not reach the expected state: ${JSON.stringify(last)}`)
}

/**
 * Writes about `bytes` of 64 KiB records into `topic` (acks=all unless told, e.g. acks=1 for a topic whose
 * RF is below its min.insync.replicas), spread over its partitions: data to move.
 */
export async function fill(bootstrap: Target, topic: string, bytes: number, acks: number = ProduceAcks.ALL): Promise<void> {
  const producer = new Producer({ clientId: `test-fill-${topic}`, ...connection(bootstrap), serializers: stringSerializers, acks, retries: 40, retryDelay: 500 })
  const value = 'x'.repeat(64 * 1024)
  try {
    const records = Math.ceil(bytes / value.length)
    // 8 records of 64 KiB a request: all of them may land in one partition's batch (a one-partition
    // topic), which must stay under the broker's message.max.bytes (1 MiB by default; 16 were refused
    // as MESSAGE_TOO_LARGE, found by the campaign's void runs).
    for (let i = 0; i < records; i += 8) {
      const messages = Array.from({ length: Math.min(8, records - i) }, (_, j) => ({ topic, key: `f${i + j}`, value }))
      await producer.send({ messages })
    }
  } finally {
    await producer.close()
  }
}
