import type { V1Service } from '@kubernetes/client-node'
import type { KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { portName } from './broker-statefulset.ts'
import { brokerLabels, brokerSelector, KUBERNETES_CLUSTER_LABEL } from './labels.ts'

/**
 * The headless Service of one Kubernetes cluster's StatefulSet: stable DNS `<pod>.<sts>.<ns>.svc` for
 * each broker. Not-ready addresses are published: brokers must find each other (and the controllers
 * their quorum) before any of them is ready, since readiness depends on the whole cluster.
 */
export function headlessService(model: KafkaClusterModel, cluster: KubernetesClusterModel): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: cluster.statefulSet, namespace: model.namespace, labels: brokerLabels(model, cluster) },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { ...brokerSelector(model), [KUBERNETES_CLUSTER_LABEL]: cluster.name },
      ports: [
        ...model.spec.listeners.map((l) => ({ name: portName(l.name), port: l.port, targetPort: l.port, protocol: 'TCP' })),
        { name: 'controller', port: model.spec.controllerPort, targetPort: model.spec.controllerPort, protocol: 'TCP' },
      ],
    },
  }
}
