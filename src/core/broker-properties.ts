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
