import type { V1EnvVar, V1StatefulSet } from '@kubernetes/client-node'
import type { ControllerSetModel, KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { probeServerSidecar } from './broker-statefulset.ts'
import { controllerConfigMap, STARTED_AT_FILE } from './controller-config-map.ts'
import { kafkaStatefulSet, probeServerProbe, volumeClaim } from './kafka-statefulset.ts'
import { contentHash, controllerLabels, controllerSelector } from './labels.ts'

/**
 * The StatefulSet of one Kubernetes cluster's dedicated KRaft controllers (process.roles=controller),
 * beside its brokers' and of the same shape (kafka-statefulset.ts: ordinals from the cluster's first
 * controller id, `Parallel` since the quorum forms only with a majority up, `OnDelete`: kafkaplane's
 * roller restarts controllers one at a time, after the brokers or with a batch of their cell's brokers,
 * the active one last), with:
 *   - readiness = `kafkaplane probe ready --controller-id` through its own controller listener (KIP-919):
 *     the quorum has a leader and this voter caught up with it since its start script started it
 *     (STARTED_AT_FILE); the kubelet's httpGet on a `probe-server` sidecar, as a broker's (`probe serve
 *     --controller-id --since-file`: the Kafka client stays loaded; a sidecar that does not answer
 *     leaves the controller unready until the kubelet restarted it); liveness and startup = its controller port accepting
 *     connections (a TCP check: it never depends on the other controllers, and costs no process per period);
 *   - no two controllers of the KafkaCluster on one node (a node lost takes one voter at most); they
 *     may share nodes with brokers;
 *   - its own volume for the metadata log (spec.controllerStorage, else spec.storage's class).
 */
export function controllerStatefulSet(model: KafkaClusterModel, cluster: KubernetesClusterModel, set: ControllerSetModel): V1StatefulSet {
  const spec = model.spec
  const port = spec.controllerPort
  const resources = spec.controllerResources
  // What both the controller and its probe server need: its id (its pod's index) and its own listener.
  const controllerEnv: V1EnvVar[] = [
    { name: 'KAFKAPLANE_CONTROLLER_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } },
    { name: 'KAFKAPLANE_BOOTSTRAP_CONTROLLER', value: `127.0.0.1:${port}` },
  ]
  // The probe server's answer (httpGet: no process per period), judged after the start time its start script writes.
  const ready = probeServerProbe('ready', { periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 1, successThreshold: 1 })
  return kafkaStatefulSet(model, cluster, {
    name: set.statefulSet,
    labels: controllerLabels(model, cluster),
    kindSelector: controllerSelector(model),
    replicas: set.controllers.length,
    firstId: set.firstId,
    configHash: controllerConfigHash(model, cluster, set),
    configMap: set.configMap,
    initContainers: [probeServerSidecar(model, `--controller-id "$KAFKAPLANE_CONTROLLER_ID" --bootstrap-controller "$KAFKAPLANE_BOOTSTRAP_CONTROLLER" --since-file ${STARTED_AT_FILE}`, controllerEnv)],
    kafka: {
      env: controllerEnv,
      heapMebibytes: model.controllerHeapMebibytes,
      jvmOptions: spec.controllerJvmOptions,
      ports: [{ name: 'controller', containerPort: port, protocol: 'TCP' }],
      resources: {
        requests: { cpu: resources.cpu, memory: resources.memory },
        limits: { memory: resources.memory, ...(resources.cpuLimit ? { cpu: resources.cpuLimit } : {}) },
      },
      startupProbe: { tcpSocket: { port }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 360 },
      livenessProbe: { tcpSocket: { port }, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 4 },
      readinessProbe: ready,
    },
    claims: [volumeClaim('data', spec.controllerStorage.size, spec.controllerStorage.class ?? spec.storage.class)],
  })
}

/**
 * The hash of the controllers' config: their whole ConfigMap. The controllers of a running cluster never
 * change (a static quorum), so nothing in it differs by a scale: any change there is one to roll them for.
 */
export function controllerConfigHash(model: KafkaClusterModel, cluster: KubernetesClusterModel, set: ControllerSetModel): string {
  return contentHash(JSON.stringify(controllerConfigMap(model, cluster, set).data))
}
