import type { KubeCluster } from './kube-clients.ts'

/** The object an Event is about. */
export interface InvolvedObject {
  apiVersion: string
  kind: string
  name: string
  namespace: string
  uid?: string
}

/** Writes a Kubernetes Event (core/v1) about `involved`, from the component kafkaplane-operator. */
export async function recordEvent(cluster: KubeCluster, involved: InvolvedObject, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): Promise<void> {
  const now = new Date().toISOString()
  await cluster.objects.create({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
    involvedObject: involved,
    reason,
    message,
    type,
    source: { component: 'kafkaplane-operator' },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  } as never)
}
