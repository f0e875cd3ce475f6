import type { V1NodeAffinity, V1Probe, V1StatefulSet } from '@kubernetes/client-node'
import { DATA_DIR, type ControllerSetModel, type KafkaClusterModel, type KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { CONFIG_MOUNT, KAFKA_HOME, RUN_DIR } from './broker-config-map.ts'
import { CONTAINER_SECURITY, KAFKAPLANE_BIN, POD_SECURITY, poolPlacement, volumeClaim, zoneAffinity } from './broker-statefulset.ts'
import { controllerConfigMap, STARTED_AT_FILE } from './controller-config-map.ts'
import { contentHash, controllerLabels, controllerSelector, HOSTNAME_LABEL, KUBERNETES_CLUSTER_LABEL, ZONE_LABEL } from './labels.ts'
import { CONFIG_HASH_ANNOTATION } from './pod-restart-reasons.ts'

/**
 * The StatefulSet of one Kubernetes cluster's dedicated KRaft controllers (process.roles=controller),
 * beside its brokers' and shaped like it:
 *   - `ordinals.start` = the cluster's first controller id, so pod `<sts>-<id>` is controller `<id>`;
 *   - `Parallel` pod management (the quorum forms only with a majority up) and `OnDelete` updates:
 *     kafkaplane's roller restarts controllers one at a time, after the brokers, the active one last;
 *   - readiness = `kafkaplane probe ready --controller-id` through its own controller listener (KIP-919):
 *     the quorum has a leader and this voter caught up with it since its start script started it
 *     (STARTED_AT_FILE); liveness and startup = its controller port accepting connections (a TCP
 *     check: it never depends on the other controllers, and costs no process per period);
 *   - no two controllers of the KafkaCluster on one node (required anti-affinity: a node lost takes
 *     one voter at most), zones evened as brokers are, in the dedicated pool; controllers may share
 *     nodes with brokers;
 *   - its own volume for the metadata log (spec.controllerStorage), retained as the brokers' are.
 */
export function controllerStatefulSet(model: KafkaClusterModel, cluster: KubernetesClusterModel, set: ControllerSetModel): V1StatefulSet {
  const spec = model.spec
  const labels = controllerLabels(model, cluster)
  const selector = { ...controllerSelector(model), [KUBERNETES_CLUSTER_LABEL]: cluster.name }
  const port = spec.controllerPort
  const resources = spec.controllerResources
  const ready: V1Probe = {
    exec: {
      command: [
        'sh',
        '-c',
        `exec ${KAFKAPLANE_BIN} probe ready --controller-id "$KAFKAPLANE_CONTROLLER_ID" --bootstrap-controller "$KAFKAPLANE_BOOTSTRAP_CONTROLLER" --since "$(cat ${STARTED_AT_FILE})" --timeout-ms 9000`,
      ],
    },
    periodSeconds: 15,
    timeoutSeconds: 10,
    failureThreshold: 1,
    successThreshold: 1,
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: set.statefulSet, namespace: model.namespace, labels },
    spec: {
      serviceName: set.statefulSet,
      replicas: set.controllers.length,
      ordinals: { start: set.firstId },
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'OnDelete' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: controllerConfigHash(model, cluster, set) } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: spec.rolling.terminationGracePeriodSeconds,
          securityContext: POD_SECURITY,
          ...poolPlacement(spec),
          affinity: {
            nodeAffinity: zoneAffinity(spec.pool.nodeAffinity as V1NodeAffinity | undefined, cluster.zones),
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME_LABEL, labelSelector: { matchLabels: controllerSelector(model) } }],
            },
          },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: 'DoNotSchedule', minDomains: Math.min(cluster.zones.length, set.controllers.length), labelSelector: { matchLabels: selector } },
          ],
          containers: [
            {
              name: 'kafka',
              image: spec.kafka.image,
              imagePullPolicy: spec.kafka.imagePullPolicy,
              command: ['sh', `${CONFIG_MOUNT}/start.sh`],
              env: [
                { name: 'KAFKAPLANE_CONTROLLER_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } },
                { name: 'KAFKAPLANE_BOOTSTRAP_CONTROLLER', value: `127.0.0.1:${port}` },
                { name: 'KAFKAPLANE_KAFKA_VERSION', value: spec.kafka.version },
                { name: 'KAFKAPLANE_CLUSTER_ID', value: model.clusterId },
                { name: 'KAFKA_HEAP_OPTS', value: `-Xms${model.controllerHeapMebibytes}m -Xmx${model.controllerHeapMebibytes}m` },
                { name: 'LOG_DIR', value: `${RUN_DIR}/logs` },
                { name: 'KAFKA_HOME', value: KAFKA_HOME },
              ],
              ports: [{ name: 'controller', containerPort: port, protocol: 'TCP' }],
              resources: {
                requests: { cpu: resources.cpu, memory: resources.memory },
                limits: { memory: resources.memory, ...(resources.cpuLimit ? { cpu: resources.cpuLimit } : {}) },
              },
              startupProbe: { tcpSocket: { port }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 360 },
              livenessProbe: { tcpSocket: { port }, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 4 },
              readinessProbe: ready,
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                { name: 'config', mountPath: CONFIG_MOUNT, readOnly: true },
                { name: 'run', mountPath: RUN_DIR },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: set.configMap } },
            { name: 'run', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [volumeClaim('data', spec.controllerStorage.size, spec.controllerStorage.class ?? spec.storage.class)],
    },
  }
}

/**
 * The hash of the controllers' config: their whole ConfigMap. The controllers of a running cluster never
 * change (a static quorum), so nothing in it differs by a scale: any change there is one to roll them for.
 */
export function controllerConfigHash(model: KafkaClusterModel, cluster: KubernetesClusterModel, set: ControllerSetModel): string {
  return contentHash(JSON.stringify(controllerConfigMap(model, cluster, set).data))
}
