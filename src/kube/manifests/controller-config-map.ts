import type { V1ConfigMap } from '@kubernetes/client-node'
import { DATA_DIR, type ControllerSetModel, type KafkaClusterModel, type KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { CONFIG_MOUNT, KAFKA_HOME, renderProperties, RUN_DIR, VERSION_CHECK } from './broker-config-map.ts'
import { controllerLabels } from './labels.ts'

/** Where a dedicated controller's start script writes when its process started (ms since the epoch), for `probe ready --since`. */
export const STARTED_AT_FILE = `${RUN_DIR}/started-at`

/**
 * The ConfigMap of one Kubernetes cluster's dedicated KRaft controllers: `controller-<id>.properties`
 * for each and `start.sh`, the container's command. The script:
 *   0. refuses to start an image whose Kafka is not spec.kafka.version (as the brokers' does);
 *   1. picks its controller's properties by $KAFKAPLANE_CONTROLLER_ID (the pod's index = its node id);
 *   2. formats the metadata dir once with the cluster id (`--ignore-formatted` on restarts);
 *   3. writes the moment it starts the controller to STARTED_AT_FILE: readiness asks that the quorum
 *      leader saw it caught up after that (the leader keeps the last process's catch-up time for a
 *      while after it stopped), core/health/readiness.ts controllerReadiness;
 *   4. execs the controller, so SIGTERM reaches it.
 * No rack, no pod IP: a controller serves no client and is addressed by name.
 */
export function controllerConfigMap(model: KafkaClusterModel, cluster: KubernetesClusterModel, set: ControllerSetModel): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: set.configMap, namespace: model.namespace, labels: controllerLabels(model, cluster) },
    data: {
      'start.sh': CONTROLLER_START_SCRIPT,
      ...Object.fromEntries(set.controllers.map((c) => [`controller-${c.id}.properties`, renderProperties(c.properties, `KRaft controller ${c.id} of ${model.name} (Kubernetes cluster ${c.cluster}, a dedicated controller)`)])),
    },
  }
}

export const CONTROLLER_START_SCRIPT = `#!/bin/sh
# Written by kafkaplane: starts the dedicated KRaft controller whose id is this pod's index.
set -eu
id="\${KAFKAPLANE_CONTROLLER_ID:?the pod index label is missing}"
props="${CONFIG_MOUNT}/controller-\${id}.properties"
if [ ! -f "$props" ]; then
  echo "kafkaplane: no properties for controller \${id} in this ConfigMap: is the StatefulSet's ordinals.start this cluster's first controller id?" >&2
  exit 1
fi
${VERSION_CHECK}mkdir -p "${DATA_DIR}/metadata" "${RUN_DIR}/logs"
${KAFKA_HOME}/bin/kafka-storage.sh format --cluster-id "$KAFKAPLANE_CLUSTER_ID" --config "$props" --ignore-formatted
date +%s%3N > "${STARTED_AT_FILE}"
exec ${KAFKA_HOME}/bin/kafka-server-start.sh "$props"
`
