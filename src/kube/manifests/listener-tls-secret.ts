import type { V1Secret, V1Volume, V1VolumeMount } from '@kubernetes/client-node'
import type { KafkaClusterModel, KubernetesClusterModel } from '../model/kafka-cluster-model.ts'
import { LISTENER_TLS_MOUNT, type ListenerCertificates } from '../model/listener-certificates.ts'
import { brokerLabels } from './labels.ts'

/** The operator's copy of the TLS listeners' certificates in one Kubernetes cluster (model/listener-certificates.ts). */
export const listenerTlsSecretName = (cluster: KubernetesClusterModel): string => `${cluster.statefulSet}-tls`

/** The copy, as the brokers of `cluster` load it: the PKCS#8 key stores and trust stores of every TLS listener. */
export function listenerTlsSecret(model: KafkaClusterModel, cluster: KubernetesClusterModel, certificates: ListenerCertificates): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: listenerTlsSecretName(cluster), namespace: model.namespace, labels: brokerLabels(model, cluster) },
    type: 'Opaque',
    data: { ...certificates.data },
  }
}

/**
 * The broker pods' volume of the copy and its mount, read-only, the files readable by the broker's
 * group alone (fsGroup). A pod made before the operator wrote the copy waits for it (the kubelet does
 * not start a pod whose Secret volume is missing).
 */
export function listenerTlsVolume(cluster: KubernetesClusterModel): { volume: V1Volume; mount: V1VolumeMount } {
  return {
    volume: { name: 'listener-tls', secret: { secretName: listenerTlsSecretName(cluster), defaultMode: 0o440 } },
    mount: { name: 'listener-tls', mountPath: LISTENER_TLS_MOUNT, readOnly: true },
  }
}
