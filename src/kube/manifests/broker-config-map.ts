import type { V1ConfigMap } from '@kubernetes/client-node'
import { DATA_DIR, type KafkaClusterModel, type KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { brokerLabels } from './labels.ts'

export const CONFIG_MOUNT = '/etc/kafkaplane'
export const RUN_DIR = '/var/run/kafkaplane'
export const KAFKA_HOME = '/opt/kafka'

/**
 * The ConfigMap of one Kubernetes cluster's brokers: `broker-<id>.properties` for each of them and
 * `start.sh`, the container's command. The script:
 *   0. refuses to start an image whose Kafka is not spec.kafka.version ($KAFKAPLANE_KAFKA_VERSION, checked
 *      against the image's kafka-server jar), naming both versions;
 *   1. picks its broker's properties by $KAFKAPLANE_BROKER_ID (the pod's index = its broker id, since
 *      the StatefulSet's ordinals start at the cluster's first broker id);
 *   2. sets `broker.rack` to the pod's real zone when the pod carries topology.kubernetes.io/zone
 *      ($KAFKAPLANE_ZONE, from the PodTopologyLabels admission of Kubernetes 1.35+), saying so when it
 *      differs from the planned zone; otherwise the planned zone of the properties stays;
 *   3. puts the pod's IP ($KAFKAPLANE_POD_IP) where an advertised address says {podIP};
 *   4. formats the data dirs once with the cluster id (`--ignore-formatted` on restarts);
 *   5. execs the broker, so SIGTERM reaches it and starts its controlled shutdown.
 */
export function brokerConfigMap(model: KafkaClusterModel, cluster: KubernetesClusterModel): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: cluster.configMap, namespace: model.namespace, labels: brokerLabels(model, cluster) },
    data: {
      'start.sh': START_SCRIPT,
      ...Object.fromEntries(cluster.brokers.map((b) => [`broker-${b.id}.properties`, renderProperties(b.properties, `broker ${b.id} of ${model.name} (Kubernetes cluster ${b.cluster}, zone ${b.zone}${b.controller ? ', controller' : ''})`)])),
    },
  }
}

export function renderProperties(properties: Readonly<Record<string, string>>, about: string): string {
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
  return [`# Written by kafkaplane for ${about}`, ...Object.entries(properties).map(([k, v]) => `${k}=${escape(v)}`), ''].join('\n')
}

/** Step 0 of the start scripts (brokers' and dedicated controllers'): the image holds spec.kafka.version. */
export const VERSION_CHECK = `want="\${KAFKAPLANE_KAFKA_VERSION:-}"
if [ -n "$want" ] && [ ! -f "${KAFKA_HOME}/libs/kafka-server-\${want}.jar" ]; then
  have="$(ls "${KAFKA_HOME}/libs" | sed -n 's/^kafka-server-\\([0-9][0-9.]*\\)\\.jar$/\\1/p')"
  echo "kafkaplane: spec.kafka.version is \${want}, but this image holds Kafka \${have:-of no known version}: set spec.kafka.version to \${have:-the image's version}, or spec.kafka.image to an image of Kafka \${want}" >&2
  exit 1
fi
`

export const START_SCRIPT = `#!/bin/sh
# Written by kafkaplane: starts the broker whose id is this pod's index.
set -eu
id="\${KAFKAPLANE_BROKER_ID:?the pod index label is missing}"
src="${CONFIG_MOUNT}/broker-\${id}.properties"
if [ ! -f "$src" ]; then
  echo "kafkaplane: no properties for broker \${id} in this ConfigMap: is the StatefulSet's ordinals.start this cluster's first broker id?" >&2
  exit 1
fi
${VERSION_CHECK}props="${RUN_DIR}/server.properties"
if [ -n "\${KAFKAPLANE_ZONE:-}" ]; then
  planned="$(sed -n 's/^broker\\.rack=//p' "$src")"
  if [ "$planned" != "$KAFKAPLANE_ZONE" ]; then
    echo "kafkaplane: broker \${id} runs in zone \${KAFKAPLANE_ZONE}, planned in \${planned}: broker.rack=\${KAFKAPLANE_ZONE}" >&2
  fi
  grep -v '^broker\\.rack=' "$src" > "$props"
  echo "broker.rack=\${KAFKAPLANE_ZONE}" >> "$props"
else
  cp "$src" "$props"
fi
if grep -q '{podIP}' "$props"; then
  ip="\${KAFKAPLANE_POD_IP:?the pod IP is missing (env KAFKAPLANE_POD_IP from status.podIP)}"
  sed -i "s/{podIP}/\${ip}/g" "$props"
fi
mkdir -p "${DATA_DIR}/logs" "${RUN_DIR}/logs"
${KAFKA_HOME}/bin/kafka-storage.sh format --cluster-id "$KAFKAPLANE_CLUSTER_ID" --config "$props" --ignore-formatted
exec ${KAFKA_HOME}/bin/kafka-server-start.sh "$props"
`
