import type { V1Container, V1EnvVar, V1Probe, V1StatefulSet } from '@kubernetes/client-node'
import { METADATA_DIR, type KafkaClusterModel, type KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { brokerConfigMap, RUN_DIR } from './broker-config-map.ts'
import { brokerLabels, brokerSelector, contentHash, ZONE_LABEL } from './labels.ts'
import { CONTAINER_SECURITY, kafkaStatefulSet, PROBE_SERVER_PORT, probeServerProbe, volumeClaim } from './kafka-statefulset.ts'
import { listenerTlsVolume } from './listener-tls-secret.ts'
import { CERTIFICATES_HASH_ANNOTATION } from './pod-restart-reasons.ts'

/** Where the broker image has kafkaplane's command (deploy/Dockerfile). */
export const KAFKAPLANE_BIN = '/opt/kafkaplane/bin/kafkaplane'

/**
 * The StatefulSet of one Kubernetes cluster's brokers, of the shape kafka-statefulset.ts gives both
 * brokers and dedicated controllers (ordinals from the cluster's first broker id, so every Kubernetes
 * cluster has its own id range; `Parallel`, `OnDelete`: kafkaplane's roller decides which broker
 * restarts when; one broker per node, zones evened, the dedicated pool), with:
 *   - readiness = `kafkaplane probe ready` (in the ISR of everything it hosts, nothing under
 *     min.insync.replicas), liveness = `kafkaplane probe live` (its own listener only), a startup probe
 *     that allows a long log recovery, and a grace period for the controlled shutdown;
 *   - a `probe-server` sidecar (a native sidecar: an init container that keeps running) with
 *     `kafkaplane probe serve`: it keeps the Kafka client loaded and reads the cluster just ahead of the
 *     kubelet's next probe. Readiness and startup are the kubelet's httpGet on it (`GET /ready`, `GET
 *     /live`: no process per period; a sidecar that does not answer leaves the broker unready, the safe
 *     side, until the kubelet has restarted it). Liveness, which restarts the broker when it fails, is an
 *     exec probe (every 30 s) that asks the server (KAFKAPLANE_PROBE_SERVER) and, when it does not
 *     answer, the broker's own listener: a broken sidecar never restarts a healthy broker;
 *   - with TLS listeners, the operator's copy of their certificates mounted (listener-tls-secret.ts) and
 *     its hash (`certificatesHash`, when the operator has made it) on the pod template: a broker started
 *     with another one restarts.
 */
export function brokerStatefulSet(model: KafkaClusterModel, cluster: KubernetesClusterModel, certificatesHash?: string): V1StatefulSet {
  const spec = model.spec
  const probePort = model.interBrokerListener.port
  const tls = model.tlsListeners.length > 0 ? listenerTlsVolume(cluster) : undefined
  // What both the broker and its probe server need: the broker's id (its pod's index) and its own listener.
  const brokerEnv: V1EnvVar[] = [
    { name: 'KAFKAPLANE_BROKER_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } },
    { name: 'KAFKAPLANE_BOOTSTRAP_SERVER', value: `127.0.0.1:${probePort}` },
  ]
  const probe = (kind: 'ready' | 'live', timing: Omit<V1Probe, 'exec'>): V1Probe => ({
    exec: { command: ['sh', '-c', `exec ${KAFKAPLANE_BIN} probe ${kind} --broker-id "$KAFKAPLANE_BROKER_ID" --timeout-ms ${(timing.timeoutSeconds! - 1) * 1000}`] },
    ...timing,
  })
  return kafkaStatefulSet(model, cluster, {
    name: cluster.statefulSet,
    labels: brokerLabels(model, cluster),
    kindSelector: brokerSelector(model),
    replicas: cluster.brokers.length,
    firstId: cluster.firstId,
    configHash: configHash(model, cluster),
    ...(certificatesHash === undefined ? {} : { annotations: { [CERTIFICATES_HASH_ANNOTATION]: certificatesHash } }),
    configMap: cluster.configMap,
    ...(tls ? { volumes: [tls.volume] } : {}),
    initContainers: [probeServerSidecar(model, '--broker-id "$KAFKAPLANE_BROKER_ID"', brokerEnv)],
    kafka: {
      env: [
        ...brokerEnv,
        { name: 'KAFKAPLANE_ZONE', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${ZONE_LABEL}']` } } },
        { name: 'KAFKAPLANE_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ],
      heapMebibytes: model.heapMebibytes,
      jvmOptions: spec.jvmOptions,
      ports: [
        ...spec.listeners.map((l) => ({ name: portName(l.name), containerPort: l.port, protocol: 'TCP' })),
        { name: 'controller', containerPort: spec.controllerPort, protocol: 'TCP' },
      ],
      resources: {
        requests: { cpu: spec.resources.cpu, memory: spec.resources.memory },
        limits: { memory: spec.resources.memory, ...(spec.resources.cpuLimit ? { cpu: spec.resources.cpuLimit } : {}) },
      },
      // Every 5 s (30 minutes in all, for a long log recovery): a restarted broker is ready, and counts as
      // healthy for its PodDisruptionBudget (the next batch of a roll), only after this probe said it
      // started; at 10 s the bed's restarts waited 3.5-10 s after Kafka said it started.
      startupProbe: probeServerProbe('live', { periodSeconds: 5, timeoutSeconds: 10, failureThreshold: 360 }),
      livenessProbe: probe('live', { periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 4 }),
      readinessProbe: probeServerProbe('ready', { periodSeconds: 15, timeoutSeconds: 12, failureThreshold: 1, successThreshold: 1 }),
      volumeMounts: [...(spec.storage.metadata ? [{ name: 'metadata', mountPath: METADATA_DIR }] : []), ...(tls ? [tls.mount] : [])],
    },
    claims: [
      volumeClaim('data', spec.storage.size, spec.storage.class),
      ...(spec.storage.metadata ? [volumeClaim('metadata', spec.storage.metadata.size, spec.storage.metadata.class)] : []),
    ],
  })
}

/**
 * The `probe-server` native sidecar of a broker or a dedicated controller: `kafkaplane probe serve` for
 * the node `node` names (its options), with the env those read. The run volume is mounted: the readiness
 * override lives there (`kubectl exec` into the Kafka container writes it), and a controller's start time.
 */
export function probeServerSidecar(model: KafkaClusterModel, node: string, env: V1EnvVar[]): V1Container {
  return {
    name: 'probe-server',
    image: model.spec.kafka.image,
    imagePullPolicy: model.spec.kafka.imagePullPolicy,
    restartPolicy: 'Always',
    command: ['sh', '-c', `exec ${KAFKAPLANE_BIN} probe serve ${node} --port ${PROBE_SERVER_PORT}`],
    ports: [{ name: 'probes', containerPort: PROBE_SERVER_PORT, protocol: 'TCP' }],
    env,
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '384Mi' } },
    securityContext: CONTAINER_SECURITY,
    volumeMounts: [{ name: 'run', mountPath: RUN_DIR }, { name: 'tmp', mountPath: '/tmp' }],
  }
}

/** A container port name: at most 15 lower-case characters. */
export function portName(listener: string): string {
  return listener.toLowerCase().replace(/_/g, '-').slice(0, 15).replace(/-+$/, '')
}

/** Properties that differ from broker to broker: made from its id, zone and role alone. */
const IDENTITY_PROPERTIES = ['node.id', 'process.roles', 'listeners', 'advertised.listeners', 'broker.rack']

/**
 * The hash of what every broker's config of this Kubernetes cluster is made from: the start script,
 * the properties all brokers share (kafkaplane's defaults, spec.brokerConfig, the quorum, the
 * listener map), and what each broker's own properties are made from (the listeners, the zones, the
 * controllers). Not the list of brokers: adding or removing one (a scale) leaves every other broker's
 * config as it was, so it must not roll them.
 */
export function configHash(model: KafkaClusterModel, cluster: KubernetesClusterModel): string {
  const data = brokerConfigMap(model, cluster).data!
  const shared = Object.fromEntries(Object.entries(cluster.brokers[0]?.properties ?? {}).filter(([k]) => !IDENTITY_PROPERTIES.includes(k)))
  return contentHash(JSON.stringify({ start: data['start.sh'], shared, listeners: model.spec.listeners, zones: cluster.zones, controllers: model.controllers, controllerPort: model.spec.controllerPort }))
}
