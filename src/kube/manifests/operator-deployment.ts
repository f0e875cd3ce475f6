import type { V1Deployment, V1PersistentVolumeClaim } from '@kubernetes/client-node'
import { KAFKAPLANE_BIN } from './broker-statefulset.ts'
import { operatorLabels } from './labels.ts'
import { OPERATOR_NAME } from './operator-service-account.ts'

/** Where the operator keeps its plans (one file per KafkaTopic whose replication factor is changing). */
export const OPERATOR_STATE_DIR = '/var/lib/kafkaplane'
const STATE_CLAIM = `${OPERATOR_NAME}-state`
/** The Secret with the remote Kubernetes clusters' kubeconfig (`kafkaplane remote-secret` makes it),
 * its key, and where the operator's pod finds it (optional: without it, no remote cluster). */
export const REMOTE_CLUSTERS_SECRET = 'kafkaplane-remote-clusters'
export const REMOTE_CLUSTERS_KEY = 'kubeconfig'
export const REMOTE_CLUSTERS_DIR = '/etc/kafkaplane/remote-clusters'
/** Where the operator serves its Prometheus metrics (`kafkaplane operator --metrics-port`): kafka_exporter's port. */
export const OPERATOR_METRICS_PORT = 9308

/**
 * The operator's plan state on a persistent volume: a replication-factor change interrupted by the
 * operator's pod moving to another node is continued, not started over, by the next pod.
 */
export function operatorStateClaim(namespace: string, version: string): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: STATE_CLAIM, namespace, labels: operatorLabels(version) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  }
}

/**
 * The operator: one replica running `kafkaplane operator` (a Recreate strategy, so that during an
 * upgrade the state volume is never wanted by two pods), non-root and read-only; its pod's name and
 * namespace from the downward API (POD_NAME, POD_NAMESPACE) name it in the leader election's Lease
 * and place that Lease, so two at once (a deleted pod still terminating while its successor starts, or
 * `replicas: 2`) are safe: only the Lease's holder works (src/kube/operator/operator.ts),
 * its plans on the state volume (--state-dir), the remote Kubernetes clusters' kubeconfig from the
 * optional Secret kafkaplane-remote-clusters (--remote-kubeconfig; the kubelet updates the file when the
 * Secret changes, and the operator reads it again for a context it does not know); its Prometheus
 * metrics on port 9308 (named `metrics`, with the prometheus.io scrape annotations). `homeContext`: the
 * name KafkaClusters give this Kubernetes cluster (spec.topology.clusters[].context), the operator's
 * --context.
 */
export function operatorDeployment(namespace: string, image: string, version: string, homeContext?: string): V1Deployment {
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
        metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(OPERATOR_METRICS_PORT), 'prometheus.io/path': '/metrics' } },
        spec: {
          serviceAccountName: OPERATOR_NAME,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'operator',
              image,
              command: [KAFKAPLANE_BIN, 'operator', '--state-dir', OPERATOR_STATE_DIR, '--remote-kubeconfig', `${REMOTE_CLUSTERS_DIR}/${REMOTE_CLUSTERS_KEY}`, '--metrics-port', String(OPERATOR_METRICS_PORT)],
              ...(homeContext ? { args: ['--context', homeContext] } : {}),
              ports: [{ name: 'metrics', containerPort: OPERATOR_METRICS_PORT, protocol: 'TCP' }],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'state', mountPath: OPERATOR_STATE_DIR },
                { name: 'remote-clusters', mountPath: REMOTE_CLUSTERS_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'state', persistentVolumeClaim: { claimName: STATE_CLAIM } },
            { name: 'remote-clusters', secret: { secretName: REMOTE_CLUSTERS_SECRET, optional: true } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  }
}
