import type { V1Container, V1EnvVar, V1NodeAffinity, V1NodeSelectorTerm, V1PersistentVolumeClaim, V1PodSpec, V1Probe, V1StatefulSet, V1Volume } from '@kubernetes/client-node'
import type { JvmOptionsSpec } from '../crds/kafka-cluster.ts'
import { DATA_DIR, type KafkaClusterModel, type KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { CONFIG_MOUNT, KAFKA_HOME, RUN_DIR } from './broker-config-map.ts'
import { HOSTNAME_LABEL, KUBERNETES_CLUSTER_LABEL, ZONE_LABEL } from './labels.ts'
import { CONFIG_HASH_ANNOTATION } from './pod-restart-reasons.ts'

/** The uid and gid brokers and controllers run as (the kafkaplane image's user, deploy/image.yaml). */
export const BROKER_UID = 1000
/** The port of the pod's probe server (`kafkaplane probe serve`: the kubelet's httpGet probes, and the exec probe's first ask on 127.0.0.1). */
export const PROBE_SERVER_PORT = 8088

/**
 * A kubelet probe answered by the pod's probe server: `GET /ready` or `GET /live`, 200 or 503 with one
 * line saying why. No process per period (an exec probe starts Node each time: about 0.3 s of CPU, and
 * runc's exec), and the server answers from a cluster snapshot read just ahead of the probe.
 */
export function probeServerProbe(kind: 'ready' | 'live', timing: Omit<V1Probe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'>): V1Probe {
  return { httpGet: { path: `/${kind}`, port: PROBE_SERVER_PORT }, ...timing }
}

/** A non-root, read-only container with no capabilities (brokers, their probe server, dedicated controllers). */
export const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } }

/** What differs between the StatefulSet of a Kubernetes cluster's brokers and that of its dedicated controllers. */
export interface KafkaStatefulSetShape {
  name: string
  labels: Record<string, string>
  /** Selects the KafkaCluster's pods of this kind in every Kubernetes cluster: no two on one node. */
  kindSelector: Record<string, string>
  replicas: number
  firstId: number
  configHash: string
  /** More pod template annotations (the brokers' certificates hash). */
  annotations?: Record<string, string>
  configMap: string
  /** More volumes (the brokers' listener certificates), mounted by the Kafka container's own mounts. */
  volumes?: V1Volume[]
  /**
   * The Kafka container: what its kind adds to what every one has (its name, image, start script, the
   * env below its own, a heap of `heapMebibytes`, the JVM options `jvmOptions`); its mounts get the
   * data, config, run and tmp volumes added after its own.
   */
  kafka: Omit<V1Container, 'name' | 'image' | 'imagePullPolicy' | 'command' | 'env'> & { env: V1EnvVar[]; heapMebibytes: number; jvmOptions: JvmOptionsSpec }
  initContainers?: V1Container[]
  claims: V1PersistentVolumeClaim[]
}

/**
 * The StatefulSet shape brokers and dedicated controllers share:
 *   - `ordinals.start` = the first node id, so pod `<sts>-<id>` is node `<id>`;
 *   - `Parallel` pod management (a KRaft quorum needs its controllers up together; OrderedReady would
 *     wait for a pod-0 that cannot be ready alone) and `OnDelete` updates: kafkaplane's roller decides
 *     which node restarts when, from the cluster's replication state;
 *   - one pod of the kind per node (required pod anti-affinity across the whole KafkaCluster), zones
 *     evened by a topology spread constraint (maxSkew 1, minDomains = the zones) and limited
 *     to the cluster's zones by node affinity, merged into the dedicated pool's affinity, selector and
 *     tolerations;
 *   - non-root, the config (a ConfigMap), a run dir and /tmp as volumes, a read-only root; PVCs
 *     retained when the StatefulSet is deleted or scaled down.
 * No owner references: the operator adds them when it applies the object.
 */
export function kafkaStatefulSet(model: KafkaClusterModel, cluster: KubernetesClusterModel, shape: KafkaStatefulSetShape): V1StatefulSet {
  const spec = model.spec
  const selector = { ...shape.kindSelector, [KUBERNETES_CLUSTER_LABEL]: cluster.name }
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: shape.name, namespace: model.namespace, labels: shape.labels },
    spec: {
      serviceName: shape.name,
      replicas: shape.replicas,
      ordinals: { start: shape.firstId },
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'OnDelete' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: shape.labels, annotations: { [CONFIG_HASH_ANNOTATION]: shape.configHash, ...shape.annotations } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: spec.rolling.terminationGracePeriodSeconds,
          securityContext: { runAsNonRoot: true, runAsUser: BROKER_UID, runAsGroup: BROKER_UID, fsGroup: BROKER_UID, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } },
          ...poolPlacement(spec),
          affinity: {
            nodeAffinity: zoneAffinity(spec.pool.nodeAffinity as V1NodeAffinity | undefined, cluster.zones),
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME_LABEL, labelSelector: { matchLabels: shape.kindSelector } }],
            },
          },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: 'DoNotSchedule', minDomains: cluster.zones.length, labelSelector: { matchLabels: selector } },
          ],
          ...(shape.initContainers ? { initContainers: shape.initContainers } : {}),
          containers: [
            {
              ...kafkaContainer(model, shape.kafka),
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                ...(shape.kafka.volumeMounts ?? []),
                { name: 'config', mountPath: CONFIG_MOUNT, readOnly: true },
                { name: 'run', mountPath: RUN_DIR },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: shape.configMap } },
            { name: 'run', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
            ...(shape.volumes ?? []),
          ],
        },
      },
      volumeClaimTemplates: shape.claims,
    },
  }
}

/** The Kafka container as every StatefulSet runs it: the start script (start.sh of the ConfigMap) and its env. */
function kafkaContainer(model: KafkaClusterModel, { env, heapMebibytes, jvmOptions, ...own }: KafkaStatefulSetShape['kafka']): V1Container {
  const kafka = model.spec.kafka
  const opts = kafkaOpts(jvmOptions)
  return {
    name: 'kafka',
    image: kafka.image,
    imagePullPolicy: kafka.imagePullPolicy,
    command: ['sh', `${CONFIG_MOUNT}/start.sh`],
    env: [
      ...env,
      { name: 'KAFKAPLANE_KAFKA_VERSION', value: kafka.version },
      { name: 'KAFKAPLANE_CLUSTER_ID', value: model.clusterId },
      { name: 'KAFKAPLANE_PROBE_SERVER', value: `http://127.0.0.1:${PROBE_SERVER_PORT}` },
      { name: 'KAFKA_HEAP_OPTS', value: `-Xms${heapMebibytes}m -Xmx${heapMebibytes}m` },
      // Only when there are any: a cluster without JVM options keeps its pod template (no roll on upgrade).
      ...(opts === '' ? [] : [{ name: 'KAFKA_OPTS', value: opts }]),
      { name: 'LOG_DIR', value: `${RUN_DIR}/logs` },
      { name: 'KAFKA_HOME', value: KAFKA_HOME },
    ],
    ...own,
  }
}

/**
 * KAFKA_OPTS for spec.jvmOptions (or spec.controllerJvmOptions): the -XX options in name order ("true"
 * -XX:+Name, "false" -XX:-Name, else -XX:Name=value), then the system properties in their order. The
 * image's kafka-run-class.sh puts it after Kafka's performance options, so an option given here wins.
 */
export function kafkaOpts(options: JvmOptionsSpec): string {
  const xx = Object.entries(options['-XX'])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === 'true' ? `-XX:+${name}` : value === 'false' ? `-XX:-${name}` : `-XX:${name}=${value}`))
  return [...xx, ...options.javaSystemProperties.map((p) => `-D${p.name}=${p.value}`)].join(' ')
}

/** The dedicated pool's node selector and tolerations (spec.pool), when it names any. */
function poolPlacement(spec: KafkaClusterModel['spec']): Pick<V1PodSpec, 'nodeSelector' | 'tolerations'> {
  return {
    ...(Object.keys(spec.pool.nodeSelector).length > 0 ? { nodeSelector: { ...spec.pool.nodeSelector } } : {}),
    ...(spec.pool.tolerations.length > 0 ? { tolerations: spec.pool.tolerations.map((t) => ({ ...t })) } : {}),
  }
}

export function volumeClaim(name: string, size: string, storageClass: string | undefined): V1PersistentVolumeClaim {
  return {
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(storageClass ? { storageClassName: storageClass } : {}) },
  }
}

/**
 * The pool's node affinity with "zone in the cluster's zones" added to every required term (terms are
 * ORed, expressions within a term ANDed, so each term must carry it).
 */
function zoneAffinity(pool: V1NodeAffinity | undefined, zones: readonly string[]): V1NodeAffinity {
  const zoneExpression = { key: ZONE_LABEL, operator: 'In', values: [...zones] }
  const terms: V1NodeSelectorTerm[] = pool?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [{}]
  return {
    ...pool,
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: terms.map((t) => ({ ...t, matchExpressions: [...(t.matchExpressions ?? []), zoneExpression] })),
    },
  }
}
