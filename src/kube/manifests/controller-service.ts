import type { V1Service } from '@kubernetes/client-node'
import type { ControllerModel, KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { controllerLabels, controllerSelector } from './labels.ts'

/**
 * A dedicated controller's own Service (spec.brokerServices.type, as the brokers' own), selecting its pod
 * by name, the controller port alone: what a quorum address with {brokerService} reaches from the
 * other Kubernetes clusters.
 */
export function controllerService(model: KafkaClusterModel, cluster: KubernetesClusterModel, controller: ControllerModel): V1Service {
  const spec = model.spec
  const annotations = spec.brokerServices.annotations
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: controller.service,
      namespace: model.namespace,
      labels: { ...controllerLabels(model, cluster), 'kafkaplane.io/controller-id': String(controller.id) },
      ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
    },
    spec: {
      type: spec.brokerServices.type,
      publishNotReadyAddresses: true,
      selector: { ...controllerSelector(model), 'statefulset.kubernetes.io/pod-name': controller.pod },
      ports: [{ name: 'controller', port: spec.controllerPort, targetPort: spec.controllerPort, protocol: 'TCP' }],
    },
  }
}
