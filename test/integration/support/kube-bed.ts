import assert from 'node:assert/strict'
import { SKIP_KUBE_BED_ENV, type KubeBedCluster } from '../../../src/local/kube-bed.ts'

/**
 * The `skip` of a test-bed suite: false, unless KAFKAPLANE_SKIP_KUBE_BED=1 asks to skip it, which is
 * said loudly. A machine that cannot run the bed is not skipped: its start fails with the reason.
 */
export function bedSkip(): string | false {
  if (process.env[SKIP_KUBE_BED_ENV] !== '1') return false
  const reason = `${SKIP_KUBE_BED_ENV}=1: the Kubernetes test bed (real kubelets and containerd) is NOT tested`
  console.warn(`\n!!! SKIPPED: ${reason} !!!\n`)
  return reason
}

/** A pod as the bed's tests look at it. */
export interface PodView {
  name: string
  uid: string
  nodeName: string
  podIP: string
  ready: boolean
  /** Restarts of all its containers. */
  restarts: number
  /** The image its first container runs (the broker's). */
  image: string
}

/** The pods of a bed cluster matching a label selector, not being deleted, sorted by name. */
export async function podsOf(cluster: KubeBedCluster, namespace: string, selector: string): Promise<PodView[]> {
  const result = await cluster.plane.kubectl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json'])
  assert.equal(result.code, 0, result.stderr)
  const items = JSON.parse(result.stdout).items as {
    metadata: { name: string; uid: string; deletionTimestamp?: string }
    spec: { nodeName?: string; containers: { image: string }[] }
    status: { podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number }[] }
  }[]
  return items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => ({
      name: p.metadata.name,
      uid: p.metadata.uid,
      nodeName: p.spec.nodeName ?? '',
      podIP: p.status.podIP ?? '',
      ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      restarts: (p.status.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
      image: p.spec.containers[0]?.image ?? '',
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
}
