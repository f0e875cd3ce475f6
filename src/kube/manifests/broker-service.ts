import type { V1Service, V1ServicePort } from '@kubernetes/client-node'
import type { BrokerModel, KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { portName } from './broker-statefulset.ts'
import { brokerLabels, brokerSelector } from './labels.ts'

/**
 * A broker's own Service (spec.brokerServices.type: ClusterIP, NodePort or LoadBalancer), selecting its
 * pod by name: what an advertised address with {brokerService} (or a DNS name pointing at its load
 * balancer) reaches from outside the Kubernetes cluster, controller port included for controllers.
 */
export function brokerService(model: KafkaClusterModel, cluster: KubernetesClusterModel, broker: BrokerModel): V1Service {
  const spec = model.spec
  return podService(model, broker.service, { ...brokerLabels(model, cluster), 'kafkaplane.io/broker-id': String(broker.id) }, { ...brokerSelector(model), 'statefulset.kubernetes.io/pod-name': broker.pod }, [
    ...spec.listeners.map((l) => ({ name: portName(l.name), port: l.port, targetPort: l.port, protocol: 'TCP' })),
    ...(broker.controller ? [{ name: 'controller', port: spec.controllerPort, targetPort: spec.controllerPort, protocol: 'TCP' }] : []),
  ])
}

/** A Service of one pod (a broker's or a dedicated controller's), of spec.brokerServices' type and annotations. */
export function podService(model: KafkaClusterModel, name: string, labels: Record<string, string>, selector: Record<string, string>, ports: V1ServicePort[]): V1Service {
  const annotations = model.spec.brokerServices.annotations
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: model.namespace, labels, ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}) },
    spec: { type: model.spec.brokerServices.type, publishNotReadyAddresses: true, selector, ports },
  }
}
