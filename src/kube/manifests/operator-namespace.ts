import type { V1Namespace } from '@kubernetes/client-node'
import { operatorLabels } from './labels.ts'

/** The operator's namespace (`kafkaplane install --namespace`, default kafkaplane-system). */
export function operatorNamespace(namespace: string, version: string): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: operatorLabels(version) } }
}
