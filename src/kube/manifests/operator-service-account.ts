import type { V1ServiceAccount } from '@kubernetes/client-node'
import { operatorLabels } from './labels.ts'

export const OPERATOR_NAME = 'kafkaplane-operator'

export function operatorServiceAccount(namespace: string, version: string): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: OPERATOR_NAME, namespace, labels: operatorLabels(version) } }
}
