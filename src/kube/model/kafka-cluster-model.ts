import { safeBrokerDefaults } from '../../core/broker-properties.ts'
import type { PlacementBroker } from '../../core/placement/model.ts'
import { advise, recommend, type Advice } from '../../core/placement/survivability.ts'
import type { Topology } from '../../core/topology/topology.ts'
import { KAFKA_CLUSTER, resourceSchema } from '../crds/crd.ts'
import { dedicatedControllers, type KafkaClusterSpec, type ListenerSpec, type ResourcesSpec } from '../crds/kafka-cluster.ts'
import { compileSpecValidator, show, type FieldProblem } from '../crds/validate.ts'
import { listenerTlsProperties, tlsListeners, type TlsListener } from './listener-certificates.ts'
import { parseQuantity, toMebibytes } from './quantity.ts'

/** A KafkaCluster as read from a file or the API server: the spec is checked here, not trusted. */
export interface KafkaClusterResource {
  apiVersion?: string
  kind?: string
  metadata: { name: string; namespace?: string; uid?: string; annotations?: Record<string, string>; labels?: Record<string, string> }
  spec: unknown
}

/** The failure dimensions of every KafkaCluster: the Kubernetes cluster, then the zone. */
export const DIMENSIONS = ['cluster', 'zone'] as const

/** The labels every broker of a roll's batch shares (spec.rolling.batchWithin): its Kubernetes cluster and zone, or its Kubernetes cluster alone. */
export function batchDimensions(within: 'zone' | 'cluster'): string[] {
  return within === 'cluster' ? ['cluster'] : [...DIMENSIONS]
}

export const DATA_DIR = '/var/lib/kafka/data'
export const METADATA_DIR = '/var/lib/kafka/metadata'

export interface BrokerModel {
  id: number
  /** The Kubernetes cluster it runs in. */
  cluster: string
  /**
   * The zone it is planned in: the cluster's zones round-robin over its ids, so that each zone holds as
   * many brokers as topology spread constraints (maxSkew 1) let the scheduler place there. The pod's
   * real zone may be another of them (the scheduler picks); `broker.rack` is taken from the real zone
   * when the pod knows it (see broker-config-map.ts), and from this one otherwise.
   */
  zone: string
  /** A KRaft controller too (a combined node); never with dedicated controllers. */
  controller: boolean
  pod: string
  /** Its own Service, for clients outside the Kubernetes cluster. */
  service: string
  /** HOST:PORT per listener name. */
  advertised: Readonly<Record<string, string>>
  /** server.properties of this broker, kafkaplane's defaults < spec.brokerConfig < its identity. */
  properties: Readonly<Record<string, string>>
}

/** A dedicated KRaft controller (process.roles=controller): no broker listener, no partitions. */
export interface ControllerModel {
  id: number
  cluster: string
  /** The zone it is planned in (round-robin over the cluster's zones, as brokers are): a roll label only. */
  zone: string
  pod: string
  /** Its own Service (type spec.brokerServices.type), for an advertised address with {brokerService}. */
  service: string
  /** HOST:PORT of its CONTROLLER listener: its voter address and its advertised listener (KIP-853). */
  address: string
  /** server.properties: kafkaplane's defaults < spec.brokerConfig < its identity (the defaults matter: the active controller applies default.replication.factor and num.partitions to topics created without them). */
  properties: Readonly<Record<string, string>>
}

/** The dedicated controllers of one Kubernetes cluster: a StatefulSet of their own, ordinals from the first controller id. */
export interface ControllerSetModel {
  /** StatefulSet, headless Service and PodDisruptionBudget name: `<name>-<cluster>-controller`. */
  statefulSet: string
  configMap: string
  firstId: number
  controllers: readonly ControllerModel[]
}

export interface KubernetesClusterModel {
  name: string
  context: string
  zones: readonly string[]
  /** StatefulSet and headless Service name; ordinals start at the first broker id. */
  statefulSet: string
  configMap: string
  firstId: number
  brokers: readonly BrokerModel[]
  /** Its dedicated controllers (spec.topology.clusters[].controllerIds), if any. */
  controllerSet?: ControllerSetModel
}

export interface KafkaClusterModel {
  name: string
  namespace: string
  spec: KafkaClusterSpec
  clusterId: string
  clusters: readonly KubernetesClusterModel[]
  brokers: readonly BrokerModel[]
  /** The node ids of the KRaft controllers: brokers (combined) or dedicated controllers. */
  controllers: readonly number[]
  /** Every dedicated controller, over all Kubernetes clusters (empty: the controllers are brokers). */
  dedicatedControllers: readonly ControllerModel[]
  interBrokerListener: ListenerSpec
  /** The TLS listeners (SSL, SASL_SSL) and their certificates' Secrets (listener-certificates.ts). */
  tlsListeners: readonly TlsListener[]
  memoryBytes: number
  heapMebibytes: number
  /** A dedicated controller's container memory and heap (spec.controllerResources). */
  controllerMemoryBytes: number
  controllerHeapMebibytes: number
  topology: Topology
  /** The effective default RF and min.insync.replicas, and what they survive. */
  placement: { replicationFactor: number; minInsyncReplicas: number; recommended: boolean; advice: Advice | undefined }
}

export interface ModelOptions {
  /**
   * The KRaft controllers the running cluster has (its status.controllers): kept as long as the
   * topology still holds them all and spec.topology.controllers still counts them, so that brokers
   * added or removed never change controller.quorum.voters under a running cluster (a static quorum
   * cannot change). Absent (a new KafkaCluster): picked from the topology (pickControllers).
   */
  controllers?: readonly number[]
}

export type ModelResult<T> = { ok: true; model: T; warnings: FieldProblem[] } | { ok: false; errors: FieldProblem[]; warnings: FieldProblem[] }

const validateResource = compileSpecValidator<{ metadata: KafkaClusterResource['metadata']; spec: KafkaClusterSpec }>(resourceSchema(KAFKA_CLUSTER), '')

/**
 * The validated model of a KafkaCluster (docs/architecture.md, principle 2), or every problem found, each naming the field,
 * the value and the fix. Steps:
 *   1. the resource against the CRD schema (defaults applied, CEL rules through their TypeScript twins);
 *   2. broker ids, pods and planned zones per Kubernetes cluster (ids `first..first+count-1`, zones
 *      round-robin), and the KRaft controllers: dedicated ones where clusters name controllerIds
 *      (a StatefulSet `<name>-<cluster>-controller` each), else brokers: the running cluster's
 *      (`options.controllers`), else spread over clusters, then zones (see pickControllers); a running
 *      cluster's quorum never changes between the two, nor its dedicated ids (quorumKept);
 *   3. heap (half the memory limit unless given, and below it), brokers' and dedicated controllers';
 *   4. the placement policy against what the placement engine's `advise` says this topology survives
 *      (absent RF/min.insync: the engine's recommendation);
 *   5. each broker's properties: node.id, process.roles, listeners, advertised.listeners from the
 *      templates, controller quorum, log dirs, `broker.rack` = its zone, and topic defaults from the policy;
 *      each dedicated controller's: the CONTROLLER listener alone, advertised at the address the
 *      inter-broker listener's template gives its pod (KIP-853), the quorum, the same defaults.
 * Warnings (a weak replication default, no dedicated pool, in-cluster addresses across Kubernetes
 * clusters) never stop the model.
 */
export function kafkaClusterModel(resource: KafkaClusterResource, namespaceDefault = 'default', options: ModelOptions = {}): ModelResult<KafkaClusterModel> {
  const checked = validateResource(resource)
  if (!checked.ok) return { ok: false, errors: checked.problems, warnings: [] }
  const spec = checked.value.spec
  const name = resource.metadata.name
  const namespace = resource.metadata.namespace ?? namespaceDefault
  const errors: FieldProblem[] = []
  const warnings: FieldProblem[] = []

  const dedicated = dedicatedControllers(spec.topology)
  const { memoryBytes, heapBytes } = memoryOf(spec.resources, 'spec.resources', 'a broker', errors)
  const controllerMemory = dedicated ? memoryOf(spec.controllerResources, 'spec.controllerResources', 'a controller', errors) : { memoryBytes: 0, heapBytes: 0 }

  const interBrokerListener = spec.listeners.find((l) => l.name === spec.interBrokerListener) ?? spec.listeners[0]!
  if (interBrokerListener.advertisedAddress.includes(`{${POD_IP_PLACEHOLDER}}`)) {
    errors.push({
      path: 'spec.listeners',
      value: interBrokerListener.advertisedAddress,
      message: `the inter-broker listener ${interBrokerListener.name} is advertised at {${POD_IP_PLACEHOLDER}}, which changes when a pod restarts: the KRaft quorum's voters and the other brokers need a name that survives it`,
      fix: 'advertise it by name, e.g. "{pod}.{service}.{namespace}.svc:{port}", and put {podIP} on another listener (spec.interBrokerListener names which one replicates)',
    })
  }
  const planned = spec.topology.clusters.map((c) => {
    const statefulSet = `${name}-${c.name}`
    return {
      name: c.name,
      context: c.context ?? c.name,
      zones: c.zones,
      statefulSet,
      configMap: `${statefulSet}-config`,
      firstId: c.brokerIds.first,
      ids: Array.from({ length: c.brokerIds.count }, (_, i) => ({ id: c.brokerIds.first + i, zone: c.zones[i % c.zones.length]! })),
      controllerIds: Array.from({ length: c.controllerIds?.count ?? 0 }, (_, i) => ({ id: c.controllerIds!.first + i, zone: c.zones[i % c.zones.length]! })),
    }
  })
  const topology: Topology = {
    dimensions: DIMENSIONS,
    brokers: planned.flatMap((c) => c.ids.map((b) => ({ id: b.id, labels: { cluster: c.name, zone: b.zone } }))),
  }
  const controllerIds = planned.flatMap((c) => c.controllerIds.map((x) => x.id)).sort((a, b) => a - b)
  const controllers = dedicated ? controllerIds : (keptControllers(topology, spec.topology.controllers, options.controllers) ?? pickControllers(topology, spec.topology.controllers))
  quorumKept(dedicated, controllers, topology, options.controllers, errors)
  const placement = placementPolicy(spec, topology, warnings, errors)

  // A dedicated controller is addressed like a broker, through its own StatefulSet, headless Service
  // and Service: the inter-broker listener's template names the controller quorum's hosts either way.
  const addressOf = (cluster: (typeof planned)[number], id: number, listener: { port: number; advertisedAddress: string }, node: 'broker' | 'controller' = 'broker') => {
    const statefulSet = node === 'broker' ? cluster.statefulSet : controllerStatefulSetName(cluster.statefulSet)
    return fillTemplate(listener.advertisedAddress, {
      id: String(id),
      pod: `${statefulSet}-${id}`,
      service: statefulSet,
      brokerService: node === 'broker' ? brokerServiceName(name, id) : controllerServiceName(name, id),
      cluster: cluster.name,
      namespace,
      name,
      port: String(listener.port),
    })
  }
  const hostOf = (address: string) => address.slice(0, address.lastIndexOf(':'))
  const clusterOf = new Map(planned.flatMap((c) => (dedicated ? c.controllerIds : c.ids).map((b) => [b.id, c] as const)))
  const controllerAddress = (id: number) => `${hostOf(addressOf(clusterOf.get(id)!, id, interBrokerListener, dedicated ? 'controller' : 'broker'))}:${spec.controllerPort}`
  const voters = controllers.map((id) => `${id}@${controllerAddress(id)}`).join(',')
  const protocolMap = ['CONTROLLER:PLAINTEXT', ...spec.listeners.map((l) => `${l.name}:${l.protocol}`)].join(',')
  const secured = tlsListeners(spec.listeners)
  const tlsProperties = listenerTlsProperties(secured)
  const defaults = safeBrokerDefaults(placement.replicationFactor, placement.minInsyncReplicas)
  const controllerSet = (c: (typeof planned)[number]): ControllerSetModel | undefined => {
    if (c.controllerIds.length === 0) return undefined
    const statefulSet = controllerStatefulSetName(c.statefulSet)
    return {
      statefulSet,
      configMap: `${statefulSet}-config`,
      firstId: c.controllerIds[0]!.id,
      controllers: c.controllerIds.map(({ id, zone }): ControllerModel => {
        const address = controllerAddress(id)
        const identity: Record<string, string> = {
          'node.id': String(id),
          'process.roles': 'controller',
          listeners: `CONTROLLER://0.0.0.0:${spec.controllerPort}`,
          'advertised.listeners': `CONTROLLER://${address}`,
          'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT',
          'controller.listener.names': 'CONTROLLER',
          'controller.quorum.voters': voters,
          'log.dirs': `${DATA_DIR}/metadata`,
        }
        return { id, cluster: c.name, zone, pod: `${statefulSet}-${id}`, service: controllerServiceName(name, id), address, properties: { ...defaults, ...spec.brokerConfig, ...identity } }
      }),
    }
  }

  const clusters = planned.map((c): KubernetesClusterModel => ({
    name: c.name,
    context: c.context,
    zones: c.zones,
    statefulSet: c.statefulSet,
    configMap: c.configMap,
    firstId: c.firstId,
    brokers: c.ids.map(({ id, zone }): BrokerModel => {
      const controller = controllers.includes(id)
      const advertised = Object.fromEntries(spec.listeners.map((l) => [l.name, addressOf(c, id, l)]))
      const identity: Record<string, string> = {
        'node.id': String(id),
        'process.roles': controller ? 'broker,controller' : 'broker',
        listeners: [...spec.listeners.map((l) => `${l.name}://0.0.0.0:${l.port}`), ...(controller ? [`CONTROLLER://0.0.0.0:${spec.controllerPort}`] : [])].join(','),
        'advertised.listeners': spec.listeners.map((l) => `${l.name}://${advertised[l.name]}`).join(','),
        'listener.security.protocol.map': protocolMap,
        'inter.broker.listener.name': interBrokerListener.name,
        'controller.listener.names': 'CONTROLLER',
        'controller.quorum.voters': voters,
        'log.dirs': `${DATA_DIR}/logs`,
        ...(spec.storage.metadata ? { 'metadata.log.dir': `${METADATA_DIR}/log` } : {}),
        'broker.rack': zone,
        ...tlsProperties,
      }
      return {
        id,
        cluster: c.name,
        zone,
        controller,
        pod: `${c.statefulSet}-${id}`,
        service: brokerServiceName(name, id),
        advertised,
        properties: { ...defaults, ...spec.brokerConfig, ...identity },
      }
    }),
    ...(c.controllerIds.length > 0 ? { controllerSet: controllerSet(c)! } : {}),
  }))

  warnAboutBrokerConfig(spec, warnings)
  if (spec.topology.clusters.length > 1 && interBrokerListener.advertisedAddress.includes('.svc')) {
    warnings.push({
      path: 'spec.listeners',
      value: interBrokerListener.advertisedAddress,
      message: `the inter-broker listener ${interBrokerListener.name} is advertised as an in-cluster name (${interBrokerListener.advertisedAddress}), which brokers in the other Kubernetes clusters can resolve only if the clusters share DNS`,
      fix: 'advertise an address every Kubernetes cluster reaches, e.g. "kafka-{id}.{cluster}.example.com:{port}" with brokerServices.type LoadBalancer',
    })
  }
  const pool = spec.pool
  if (pool.tolerations.length === 0 && Object.keys(pool.nodeSelector).length === 0 && pool.nodeAffinity === undefined) {
    warnings.push({ path: 'spec.pool', value: pool, message: 'spec.pool names no dedicated nodes: brokers will share nodes with other workloads', fix: 'give spec.pool.nodeSelector (e.g. {pool: kafka}) and tolerations of the pool\'s taint' })
  }
  if (errors.length > 0) return { ok: false, errors, warnings }
  return {
    ok: true,
    warnings,
    model: {
      name,
      namespace,
      spec,
      clusterId: spec.kafka.clusterId ?? deriveClusterId(`${namespace}/${name}`),
      clusters,
      brokers: clusters.flatMap((c) => c.brokers),
      controllers,
      dedicatedControllers: clusters.flatMap((c) => c.controllerSet?.controllers ?? []),
      interBrokerListener,
      tlsListeners: secured,
      memoryBytes,
      heapMebibytes: toMebibytes(heapBytes),
      controllerMemoryBytes: controllerMemory.memoryBytes,
      controllerHeapMebibytes: toMebibytes(controllerMemory.heapBytes),
      topology,
      placement,
    },
  }
}

export function brokerServiceName(cluster: string, id: number): string {
  return `${cluster}-broker-${id}`
}

/** A dedicated controller's own Service. */
export function controllerServiceName(cluster: string, id: number): string {
  return `${cluster}-controller-${id}`
}

/** The StatefulSet of a Kubernetes cluster's dedicated controllers, beside its brokers' `<name>-<cluster>`. */
export function controllerStatefulSetName(brokerStatefulSet: string): string {
  return `${brokerStatefulSet}-controller`
}

/** A container's memory and heap (half the memory unless given), with what is wrong with them. */
function memoryOf(resources: ResourcesSpec, path: string, node: string, errors: FieldProblem[]): { memoryBytes: number; heapBytes: number } {
  const memoryBytes = parseQuantity(resources.memory)
  const heapBytes = resources.heap === undefined ? memoryBytes / 2 : parseQuantity(resources.heap)
  if (heapBytes >= memoryBytes) {
    errors.push({ path: `${path}.heap`, value: resources.heap, message: `${path}.heap ${resources.heap} is not below ${path}.memory ${resources.memory}`, fix: 'lower heap, or leave it out for half the memory (the rest is page cache)' })
  }
  if (toMebibytes(heapBytes) < 256) {
    errors.push({ path: `${path}.memory`, value: resources.memory, message: `a heap of ${toMebibytes(heapBytes)} MiB is too small for ${node}`, fix: 'give memory: 1Gi or more (the heap is half of it)' })
  }
  return { memoryBytes, heapBytes }
}

/**
 * A running cluster's KRaft quorum is static (controller.quorum.voters): dedicated controllers are
 * exactly the spec's controllerIds, and a cluster never changes between dedicated and combined
 * controllers, nor its dedicated controllers' ids. `running`: status.controllers (absent or empty: a
 * new cluster, anything goes).
 */
function quorumKept(dedicated: boolean, controllers: readonly number[], topology: Topology, running: readonly number[] | undefined, errors: FieldProblem[]): void {
  if (running === undefined || running.length === 0) return
  const brokerIds = new Set(topology.brokers.map((b) => b.id))
  const same = running.length === controllers.length && [...running].sort((a, b) => a - b).every((id, i) => id === controllers[i])
  const runsDedicated = running.every((id) => !brokerIds.has(id))
  if (dedicated && !same) {
    errors.push({
      path: 'spec.topology.clusters',
      value: controllers,
      message: `spec.topology.clusters[].controllerIds name controllers [${controllers.join(', ')}], but the cluster runs with the KRaft controllers [${running.join(', ')}]${runsDedicated ? '' : ' (brokers that are controllers too)'}: the quorum of a running cluster cannot change`,
      fix: runsDedicated ? `give controllerIds that name exactly [${running.join(', ')}]` : 'remove controllerIds (dedicated controllers are for a new KafkaCluster)',
    })
  } else if (!dedicated && runsDedicated) {
    errors.push({
      path: 'spec.topology.clusters',
      value: running,
      message: `the cluster runs with the dedicated KRaft controllers [${running.join(', ')}], which spec.topology.clusters no longer names (controllerIds): the quorum of a running cluster cannot change`,
      fix: `give controllerIds back, naming [${running.join(', ')}]`,
    })
  }
}

/** `{placeholder}`s replaced by their values (the schema's pattern allows only known ones). */
/**
 * The placeholder left in the properties for the broker's start script to fill with the pod's IP at
 * each start (src/kube/manifests/broker-config-map.ts): a pod IP is not known before the pod runs.
 */
export const POD_IP_PLACEHOLDER = 'podIP'

export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (whole, key: string) => values[key] ?? whole)
}

/** The controllers the cluster runs with, when the topology still holds them all and the count is unchanged. */
export function keptControllers(topology: Topology, count: number, running: readonly number[] | undefined): number[] | undefined {
  if (running === undefined || running.length === 0 || running.length !== count) return undefined
  const ids = new Set(topology.brokers.map((b) => b.id))
  return running.every((id) => ids.has(id)) ? [...running].sort((a, b) => a - b) : undefined
}

/**
 * The KRaft controllers: `count` brokers picked one at a time, each time the broker whose Kubernetes
 * cluster, then zone, holds the fewest controllers so far (lowest id on ties). Three controllers over
 * two clusters x three zones land in three zones and both clusters; with three or more Kubernetes
 * clusters the quorum survives the loss of any one of them.
 */
export function pickControllers(topology: Topology, count: number): number[] {
  const chosen: number[] = []
  const load = topology.dimensions.map(() => new Map<string, number>())
  const candidates = [...topology.brokers].sort((a, b) => a.id - b.id)
  const keyOf = (b: (typeof candidates)[number]) => [...topology.dimensions.map((d, i) => load[i]!.get(b.labels[d]!) ?? 0), b.id]
  const before = (a: number[], b: number[]) => {
    const i = a.findIndex((v, j) => v !== b[j])
    return i >= 0 && a[i]! < b[i]!
  }
  for (let k = 0; k < Math.min(count, candidates.length); k++) {
    const best = candidates.filter((b) => !chosen.includes(b.id)).reduce((x, y) => (before(keyOf(y), keyOf(x)) ? y : x))
    chosen.push(best.id)
    topology.dimensions.forEach((d, i) => load[i]!.set(best.labels[d]!, (load[i]!.get(best.labels[d]!) ?? 0) + 1))
  }
  return chosen.sort((a, b) => a - b)
}

/**
 * The default RF and min.insync.replicas: the spec's, checked against what the placement engine's best
 * placement survives on this topology (`advise`), else the engine's recommendation (`recommend`).
 */
function placementPolicy(spec: KafkaClusterSpec, topology: Topology, warnings: FieldProblem[], errors: FieldProblem[]): KafkaClusterModel['placement'] {
  const brokers: PlacementBroker[] = topology.brokers.map((b) => ({ id: b.id, labels: b.labels, capacity: 1, state: 'active' }))
  const wanted = spec.placement
  const advice = advise(topology.dimensions, brokers, Math.max(6, wanted.replicationFactor ?? 0))
  const best = recommend(advice)
  const describe = (a: Advice) => `replicationFactor ${a.replicationFactor} with minInsyncReplicas ${a.minInsync}`
  if (wanted.replicationFactor === undefined && wanted.minInsyncReplicas === undefined) {
    if (best) return { replicationFactor: best.replicationFactor, minInsyncReplicas: best.minInsync, recommended: true, advice: best }
    const rf = Math.min(3, brokers.length)
    warnings.push({ path: 'spec.placement', value: wanted, message: `no replication factor on this topology survives the loss of any one zone or Kubernetes cluster; using ${rf}/${Math.min(2, rf)}`, fix: 'add brokers in more zones, then set spec.placement as `kafkaplane plan advise` recommends' })
    return { replicationFactor: rf, minInsyncReplicas: Math.min(2, rf), recommended: false, advice: undefined }
  }
  const rf = wanted.replicationFactor ?? best?.replicationFactor ?? Math.min(3, brokers.length)
  const minInsync = wanted.minInsyncReplicas ?? Math.max(1, Math.min(rf - 1, best?.minInsync ?? 2))
  if (minInsync > rf) {
    errors.push({ path: 'spec.placement.minInsyncReplicas', value: minInsync, message: `spec.placement.minInsyncReplicas ${minInsync} is above the replication factor ${rf}`, fix: `set minInsyncReplicas to at most ${rf}` })
    return { replicationFactor: rf, minInsyncReplicas: minInsync, recommended: false, advice: undefined }
  }
  const mine = advice.find((a) => a.replicationFactor === rf && a.minInsync === minInsync)
  if (mine === undefined) {
    errors.push({ path: 'spec.placement.replicationFactor', value: rf, message: `spec.placement.replicationFactor ${rf} is above the ${brokers.length} brokers of spec.topology`, fix: `lower it to ${brokers.length} or fewer, or add brokers` })
  } else if (!mine.survivesAnyDomainLoss) {
    const lost = mine.survival.filter((s) => !s.writableAfterDomainLoss).map((s) => s.dimension)
    warnings.push({
      path: 'spec.placement',
      value: { replicationFactor: rf, minInsyncReplicas: minInsync },
      message: `${describe(mine)} leaves partitions unwritable after the loss of one ${lost.join(' or one ')}, even placed as well as this topology allows`,
      fix: best ? `use ${describe(best)} (kafkaplane plan advise recommends it for this topology)` : 'add brokers in more zones or Kubernetes clusters',
    })
  }
  if (minInsync < 2) {
    warnings.push({ path: 'spec.placement.minInsyncReplicas', value: minInsync, message: `minInsyncReplicas ${minInsync}: an acknowledged write may live on one broker only and be lost with it`, fix: 'use minInsyncReplicas 2 or more' })
  }
  return { replicationFactor: rf, minInsyncReplicas: minInsync, recommended: false, advice: mine }
}

function warnAboutBrokerConfig(spec: KafkaClusterSpec, warnings: FieldProblem[]): void {
  const config = spec.brokerConfig
  const rf = config['default.replication.factor']
  if (rf !== undefined && !(Number(rf) >= 3)) {
    warnings.push({ path: 'spec.brokerConfig["default.replication.factor"]', value: rf, message: `default.replication.factor ${show(rf)} is below 3: topics created without a replication factor lose data with one broker`, fix: 'remove it (spec.placement sets it) or set it to "3" or more' })
  }
  const minIsr = config['min.insync.replicas']
  if (minIsr !== undefined && !(Number(minIsr) >= 2)) {
    warnings.push({ path: 'spec.brokerConfig["min.insync.replicas"]', value: minIsr, message: `min.insync.replicas ${show(minIsr)} is below 2: an acknowledged write may live on one broker only`, fix: 'remove it (spec.placement sets it) or set it to "2" or more' })
  }
  if (config['auto.create.topics.enable'] === 'true') {
    warnings.push({ path: 'spec.brokerConfig["auto.create.topics.enable"]', value: 'true', message: 'auto.create.topics.enable is on (allowed by spec.allowAutoCreateTopics): topics a client creates get Kafka\'s placement, not spread over zones and clusters', fix: 'create topics as KafkaTopic resources and turn it off' })
  }
}

/**
 * A KRaft cluster id (16 bytes, base64url, 22 characters) that depends only on `seed`, so every
 * Kubernetes cluster of a KafkaCluster formats its brokers' storage with the same id. FNV-1a, four
 * times with different offsets: not cryptographic, only stable.
 */
export function deriveClusterId(seed: string): string {
  const bytes: number[] = []
  for (let round = 0; round < 4; round++) {
    let hash = (0x811c9dc5 ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0
    for (const ch of `${round}:${seed}`) hash = Math.imul(hash ^ ch.codePointAt(0)!, 0x01000193) >>> 0
    bytes.push(hash >>> 24, (hash >>> 16) & 255, (hash >>> 8) & 255, hash & 255)
  }
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 6) {
      out += alphabet[(value >>> (bits - 6)) & 63]
      bits -= 6
    }
    value &= (1 << bits) - 1
  }
  return out + alphabet[(value << (6 - bits)) & 63]
}
