import type { V1Service, V1ServicePort } from '@kubernetes/client-node'
import type { ControllerSetModel, KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { portName } from './broker-statefulset.ts'
import { brokerLabels, brokerSelector, controllerLabels, controllerSelector, KUBERNETES_CLUSTER_LABEL } from './labels.ts'

/**
 * The headless Service of one Kubernetes cluster's StatefulSet: stable DNS `<pod>.<sts>.<ns>.svc` for
 * each broker. Not-ready addresses are published: brokers must find each other (and the controllers
 * their quorum) before any of them is ready, since readiness depends on the whole cluster.
 */
export function headlessService(model: KafkaClusterModel, cluster: KubernetesClusterModel): V1Service {
  const ports = [
    ...model.spec.listeners.map((l) => ({ name: portName(l.name), port: l.port, targetPort: l.port, protocol: 'TCP' })),
    { name: 'controller', port: model.spec.controllerPort, targetPort: model.spec.controllerPort, protocol: 'TCP' },
  ]
  return headless(model, cluster.statefulSet, brokerLabels(model, cluster), { ...brokerSelector(model), [KUBERNETES_CLUSTER_LABEL]: cluster.name }, ports)
}

/** The same for its dedicated controllers' StatefulSet: `<pod>.<sts>-controller.<ns>.svc`, the controller port alone. */
export function controllerHeadlessService(model: KafkaClusterModel, cluster: KubernetesClusterModel, set: ControllerSetModel): V1Service {
  const port = model.spec.controllerPort
  return headless(model, set.statefulSet, controllerLabels(model, cluster), { ...controllerSelector(model), [KUBERNETES_CLUSTER_LABEL]: cluster.name }, [{ name: 'controller', port, targetPort: port, protocol: 'TCP' }])
}

function headless(model: KafkaClusterModel, name: string, labels: Record<string, string>, selector: Record<string, string>, ports: V1ServicePort[]): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: model.namespace, labels },
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector, ports },
  }
}
