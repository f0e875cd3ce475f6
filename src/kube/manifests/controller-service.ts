import type { V1Service } from '@kubernetes/client-node'
import type { ControllerModel, KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { podService } from './broker-service.ts'
import { controllerLabels, controllerSelector } from './labels.ts'

/**
 * A dedicated controller's own Service (spec.brokerServices.type, as the brokers' own), selecting its pod
 * by name, the controller port alone: what a quorum address with {brokerService} reaches from the
 * other Kubernetes clusters.
 */
export function controllerService(model: KafkaClusterModel, cluster: KubernetesClusterModel, controller: ControllerModel): V1Service {
  const port = model.spec.controllerPort
  return podService(model, controller.service, { ...controllerLabels(model, cluster), 'kafkaplane.io/controller-id': String(controller.id) }, { ...controllerSelector(model), 'statefulset.kubernetes.io/pod-name': controller.pod }, [
    { name: 'controller', port, targetPort: port, protocol: 'TCP' },
  ])
}
