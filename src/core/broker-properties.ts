/**
 * Broker properties kafkaplane sets for every node itself (identity, roles, listeners, quorum, storage
 * paths, rack): a user's override of one of them would break the cluster, so every runtime refuses it.
 */
export const OWNED_BROKER_PROPERTIES = [
  'node.id',
  'broker.id',
  'process.roles',
  'listeners',
  'advertised.listeners',
  'controller.quorum.voters',
  'controller.quorum.bootstrap.servers',
  'controller.listener.names',
  'inter.broker.listener.name',
  'listener.security.protocol.map',
  'log.dirs',
  'log.dir',
  'metadata.log.dir',
  'broker.rack',
] as const

/**
 * The safe defaults every broker gets, in every runtime: no topic created by accident, topics and the
 * internal topics (consumer offsets, transactions, share groups) at the replication factor and
 * min.insync.replicas of the placement policy, no unclean leader election.
 */
export function safeBrokerDefaults(replicationFactor: number, minInsyncReplicas: number): Record<string, string> {
  const rf = String(replicationFactor)
  const minIsr = String(minInsyncReplicas)
  return {
    'auto.create.topics.enable': 'false',
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
    'unclean.leader.election.enable': 'false',
  }
}
