import { describeClusterV1, type Admin } from '@platformatic/kafka'
import { KafkaplaneError } from '../core/errors.ts'
import type { QuorumState } from '../core/health/snapshot.ts'
import { anyConnection } from './connection.ts'
import { describeQuorum } from './describe-quorum.ts'
import { kafkaError, kafkaErrorCode } from './kafka-error.ts'

/** DescribeCluster's endpoint type for the controllers (KIP-919). */
const CONTROLLER_ENDPOINTS = 2

/**
 * DescribeQuorum asked of the controllers themselves, for a node that has no broker listener to ask (a
 * dedicated controller's readiness probe). Since Kafka 3.7 (KIP-919) a client may bootstrap from the
 * controller listeners: DescribeCluster with the controller endpoint type, asked of any of
 * `bootstrapControllers`, names the active controller and where it listens; DescribeQuorum then goes
 * to it (another controller answers NOT_LEADER_OR_FOLLOWER). `admin` is made with the same bootstrap
 * list; its pool owns the connections.
 */
export async function describeControllerQuorum(admin: Admin, bootstrapControllers: readonly string[]): Promise<QuorumState> {
  const controllers = await describeControllers(admin, bootstrapControllers)
  const leader = controllers.endpoints.find((b) => b.id === controllers.activeId)
  if (!leader) {
    throw new KafkaplaneError('KAFKA_REQUEST_FAILED', `the controllers name no active controller (${controllers.activeId})`, { fix: 'retry; the controller quorum may be electing a leader', retriable: true })
  }
  const connection = await admin.connections.get({ host: leader.host, port: leader.port }).catch((err: unknown) => {
    throw kafkaError('DescribeQuorum', err, { fix: `check that the active controller ${leader.id} is reachable at ${leader.host}:${leader.port}` })
  })
  return describeQuorum(connection)
}

/**
 * DescribeCluster with the controller endpoint type, asked of the first of `bootstrapControllers` that
 * answers (the controller answers it itself, nothing is forwarded): the active controller as that
 * controller knows it, and where each controller listens.
 */
export async function describeControllers(admin: Admin, bootstrapControllers: readonly string[]): Promise<{ activeId: number; endpoints: { id: number; host: string; port: number }[] }> {
  const first = await anyConnection(admin, bootstrapControllers).catch((err: unknown) => {
    throw kafkaError('DescribeCluster', err, { fix: `check the controller listeners (${bootstrapControllers.join(', ')}) are up` })
  })
  let cluster
  try {
    cluster = await describeClusterV1.api.async(first, false, CONTROLLER_ENDPOINTS)
  } catch (err) {
    throw kafkaError('DescribeCluster', err, { fix: 'the controllers must run Kafka 3.7 or newer (KIP-919) and be reachable' })
  }
  if (cluster.errorCode !== 0) throw kafkaErrorCode('DescribeCluster', cluster.errorCode, cluster.errorMessage ?? '', { fix: 'retry; the controllers may be starting' })
  return { activeId: cluster.controllerId, endpoints: cluster.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port })) }
}
