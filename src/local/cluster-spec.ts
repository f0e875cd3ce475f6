import { KafkaplaneError } from '../core/errors.ts'
import { rackDimension, type Topology } from '../core/topology/topology.ts'
import { OWNED_BROKER_PROPERTIES, safeBrokerDefaults } from '../core/broker-properties.ts'

export type NodeRole = 'broker' | 'controller'

/**
 * Where the KRaft controllers run: on the first three brokers (`combined`, process.roles
 * broker,controller), or in three processes of their own (`dedicated`, process.roles controller), as
 * production KRaft clusters run them: a broker's restart then never disturbs the quorum, and a zone's
 * brokers roll in one batch (with the zone's controller when it is a standby one).
 */
export type ControllerMode = 'combined' | 'dedicated'

/**
 * One Kafka process of a local cluster: a broker (a node of the topology), a combined
 * broker+controller, or, with dedicated controllers, a controller only.
 */
export interface LocalNode {
  id: number
  roles: readonly NodeRole[]
  /** PLAINTEXT listener for clients and replication, on 127.0.0.1; on broker nodes only. */
  brokerPort: number | undefined
  /** CONTROLLER listener, on controller nodes only (combined or dedicated). */
  controllerPort: number | undefined
  /** With `security`: the SSL listener (mTLS, client certificate required) and the SASL_SSL listener. */
  sslPort?: number
  saslSslPort?: number
  labels: Readonly<Record<string, string>>
  /** `broker.rack`: the zone (see core/topology). */
  rack: string | undefined
}

export interface LocalClusterSpec {
  topology: Topology
  basePort: number
  nodes: readonly LocalNode[]
  /** Extra broker properties applied to every node, over kafkaplane's defaults. */
  config: Readonly<Record<string, string>>
  /** The dimensions whose labels, joined by '-', make `broker.rack` (default: the zone). */
  rackDimensions: readonly string[]
  controllerMode: ControllerMode
  security?: LocalSecurity
}

/**
 * Secured client listeners beside PLAINTEXT (replication and the controllers stay on plaintext
 * loopback): `SSL` requires a client certificate signed by the cluster's CA (mTLS), `SASL_SSL` takes
 * SASL PLAIN or SCRAM-SHA-512 over TLS. The files are made by `LocalCertificateAuthority` in `tlsDir`:
 * `ca.crt` (trust), `broker.pem` (every broker's key and certificate, SANs 127.0.0.1 and localhost).
 */
export interface LocalSecurity {
  tlsDir: string
  /** SASL users and their passwords (PLAIN; SCRAM credentials are written when storage is formatted). */
  saslUsers: Readonly<Record<string, string>>
}

/** At most this many nodes are controllers; three tolerate the loss of one. */
export const CONTROLLER_COUNT = 3
/** Controller ports sit this far above broker ports; SSL and SASL_SSL ports (with security) further up. */
export const CONTROLLER_PORT_OFFSET = 100
export const SSL_PORT_OFFSET = 200
export const SASL_SSL_PORT_OFFSET = 300
export const MAX_NODES = CONTROLLER_PORT_OFFSET
const MAX_PORT = 32767

const OWNED_PROPERTIES: ReadonlySet<string> = new Set(OWNED_BROKER_PROPERTIES)

/**
 * Lays a topology out as local nodes. `combined`: the first three brokers in topology order are
 * combined controller+broker nodes (the layout puts them in three different zones), the rest
 * broker-only. `dedicated`: every broker is broker-only, and three controller-only nodes follow, with
 * the ids after the highest broker id and the failure-domain labels of the first three brokers (three
 * zones, as the layout spreads them). Broker `i` (in topology order) listens on `basePort + i`;
 * controller `i` on `basePort + 100 + i`.
 */
export function planLocalCluster(
  topology: Topology,
  basePort: number,
  config: Readonly<Record<string, string>> = {},
  rackDimensions?: readonly string[],
  security?: LocalSecurity,
  controllerMode: ControllerMode = 'combined',
): LocalClusterSpec {
  const racks = rackDimensions ?? [rackDimension(topology)].filter((d) => d !== undefined)
  for (const d of racks) {
    if (!topology.dimensions.includes(d)) {
      throw new KafkaplaneError('BAD_ARGUMENT', `--rack-dimensions names "${d}", which is not a dimension of the topology (${topology.dimensions.join(', ')})`, {
        fix: 'name dimensions of the topology, e.g. --rack-dimensions zone',
      })
    }
  }
  const count = topology.brokers.length
  if (count < 1 || count > MAX_NODES) {
    throw new KafkaplaneError('BAD_ARGUMENT', `a local cluster has 1 to ${MAX_NODES} brokers, not ${count}`, {
      fix: `ask for between 1 and ${MAX_NODES} brokers`,
    })
  }
  const controllerCount = controllerMode === 'dedicated' ? CONTROLLER_COUNT : Math.min(count, CONTROLLER_COUNT)
  const highest = security ? basePort + SASL_SSL_PORT_OFFSET + count - 1 : basePort + CONTROLLER_PORT_OFFSET + controllerCount - 1
  if (!Number.isInteger(basePort) || basePort < 1024 || Math.max(highest, basePort + count - 1) > MAX_PORT) {
    throw new KafkaplaneError('BAD_ARGUMENT', `--base-port ${basePort} puts ports outside 1024-${MAX_PORT}`, {
      fix: `choose a base port between 1024 and ${security ? MAX_PORT - SASL_SSL_PORT_OFFSET - count + 1 : MAX_PORT - CONTROLLER_PORT_OFFSET - CONTROLLER_COUNT}`,
    })
  }
  for (const key of Object.keys(config)) {
    if (OWNED_PROPERTIES.has(key)) {
      throw new KafkaplaneError('BAD_ARGUMENT', `--config ${key} cannot be set: kafkaplane sets it for every node`, {
        fix: `remove --config ${key}=...; use --base-port or --topology to change listeners and racks`,
      })
    }
  }
  const brokers = topology.brokers.map((broker, i): LocalNode => {
    const controller = controllerMode === 'combined' && i < CONTROLLER_COUNT
    return {
      id: broker.id,
      roles: controller ? ['broker', 'controller'] : ['broker'],
      brokerPort: basePort + i,
      controllerPort: controller ? basePort + CONTROLLER_PORT_OFFSET + i : undefined,
      ...(security ? { sslPort: basePort + SSL_PORT_OFFSET + i, saslSslPort: basePort + SASL_SSL_PORT_OFFSET + i } : {}),
      labels: broker.labels,
      rack: racks.length === 0 ? undefined : racks.map((d) => broker.labels[d]).join('-'),
    }
  })
  const firstControllerId = Math.max(...topology.brokers.map((b) => b.id)) + 1
  const dedicated =
    controllerMode === 'dedicated'
      ? Array.from({ length: CONTROLLER_COUNT }, (_, i): LocalNode => ({
          id: firstControllerId + i,
          roles: ['controller'],
          brokerPort: undefined,
          controllerPort: basePort + CONTROLLER_PORT_OFFSET + i,
          labels: topology.brokers[i % count]!.labels,
          rack: undefined,
        }))
      : []
  return { topology, basePort, nodes: [...brokers, ...dedicated], config, rackDimensions: racks, controllerMode, ...(security ? { security } : {}) }
}

export function brokers(spec: Pick<LocalClusterSpec, 'nodes'>): LocalNode[] {
  return spec.nodes.filter((n) => n.roles.includes('broker'))
}

export function controllers(spec: Pick<LocalClusterSpec, 'nodes'>): LocalNode[] {
  return spec.nodes.filter((n) => n.roles.includes('controller'))
}

export function bootstrapServers(spec: Pick<LocalClusterSpec, 'nodes'>): string[] {
  return brokers(spec).map((n) => `127.0.0.1:${n.brokerPort}`)
}

/**
 * The safe defaults of every local cluster (issue 2): no auto-created topics, RF 3, min.insync 2,
 * internal topics at RF 3; lowered, with the cluster, when it has fewer than three brokers.
 */
export function safeDefaults(brokerCount: number): Record<string, string> {
  const rf = Math.min(3, brokerCount)
  return safeBrokerDefaults(rf, Math.min(2, rf))
}

/** Small thread pools and fast group joins: many brokers share one small machine. */
const LOCAL_TUNING: Record<string, string> = {
  'num.network.threads': '2',
  'num.io.threads': '2',
  'background.threads': '2',
  'num.replica.fetchers': '1',
  'num.recovery.threads.per.data.dir': '1',
  'log.cleaner.threads': '1',
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.num.partitions': '10',
  'log.segment.bytes': String(64 * 1024 * 1024),
}

/**
 * The server.properties of one node. Later entries win: local tuning, safe defaults, user config,
 * identity. A controller-only node has the CONTROLLER listener alone and no broker identity (no
 * client listeners, no rack, no TLS).
 */
export function renderNodeProperties(spec: LocalClusterSpec, node: LocalNode, dataDir: string): string {
  const voters = controllers(spec)
    .map((c) => `${c.id}@127.0.0.1:${c.controllerPort}`)
    .join(',')
  const security = spec.security
  const controllerListener = node.controllerPort === undefined ? [] : [`CONTROLLER://127.0.0.1:${node.controllerPort}`]
  const broker = node.brokerPort !== undefined
  const clientListeners = broker ? [`PLAINTEXT://127.0.0.1:${node.brokerPort}`, ...(security ? [`SSL://127.0.0.1:${node.sslPort}`, `SASL_SSL://127.0.0.1:${node.saslSslPort}`] : [])] : []
  const identity: Record<string, string> = {
    'node.id': String(node.id),
    'process.roles': node.roles.join(','),
    listeners: [...clientListeners, ...controllerListener].join(','),
    ...(broker ? { 'advertised.listeners': clientListeners.join(',') } : {}),
    'controller.quorum.voters': voters,
    'controller.listener.names': 'CONTROLLER',
    ...(broker ? { 'inter.broker.listener.name': 'PLAINTEXT' } : {}),
    'listener.security.protocol.map': broker ? `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${security ? ',SSL:SSL,SASL_SSL:SASL_SSL' : ''}` : 'CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    ...(broker && security ? securityProperties(security) : {}),
  }
  if (node.rack !== undefined) identity['broker.rack'] = node.rack
  const properties = { ...LOCAL_TUNING, ...safeDefaults(brokers(spec).length), ...spec.config, ...identity }
  const labels = Object.entries(node.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
  return [
    `# Written by kafkaplane for node ${node.id} (${node.roles.join('+')}); failure domains: ${labels || 'none'}`,
    ...Object.entries(properties).map(([k, v]) => `${k}=${escapeProperty(v)}`),
    '',
  ].join('\n')
}

/** TLS from PEM files (no JKS, no keytool) and SASL PLAIN + SCRAM-SHA-512 on the SASL_SSL listener. */
function securityProperties(security: LocalSecurity): Record<string, string> {
  const plainUsers = Object.entries(security.saslUsers)
    .map(([user, password]) => ` user_${user}="${password}"`)
    .join('')
  return {
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': `${security.tlsDir}/broker.pem`,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': `${security.tlsDir}/ca.crt`,
    'listener.name.ssl.ssl.client.auth': 'required',
    'listener.name.sasl_ssl.ssl.client.auth': 'none',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`,
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
  }
}

function escapeProperty(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}
