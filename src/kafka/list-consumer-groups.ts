import type { Admin } from '@platformatic/kafka'
import { kafkaError } from './kafka-error.ts'

/** The ids of every consumer group of the cluster (ListGroups of every live broker), sorted. */
export async function listConsumerGroups(admin: Admin): Promise<string[]> {
  try {
    return [...(await admin.listGroups()).keys()].sort()
  } catch (err) {
    throw kafkaError('ListGroups', err, { fix: 'check that the brokers are reachable and the client may describe groups' })
  }
}
