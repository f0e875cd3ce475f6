import type { V1Deployment } from '@kubernetes/client-node'
import { KAFKAPLANE_BIN } from './broker-statefulset.ts'
import { operatorLabels } from './labels.ts'
import { OPERATOR_NAME } from './operator-service-account.ts'

/**
 * The operator: one replica running `kafkaplane operator` (a Recreate strategy, so two never reconcile
 * at once during an upgrade), non-root and read-only, told its namespace and pod name for leader
 * election and events.
 */
export function operatorDeployment(namespace: string, image: string, version: string): V1Deployment {
  const labels = operatorLabels(version)
  const selector = { 'app.kubernetes.io/name': labels['app.kubernetes.io/name']!, 'app.kubernetes.io/component': labels['app.kubernetes.io/component']! }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: OPERATOR_NAME, namespace, labels },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: OPERATOR_NAME,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'operator',
              image,
              command: [KAFKAPLANE_BIN, 'operator'],
              env: [
                { name: 'KAFKAPLANE_OPERATOR_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'KAFKAPLANE_OPERATOR_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  }
}
