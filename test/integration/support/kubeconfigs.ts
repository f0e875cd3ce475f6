import { readFile } from 'node:fs/promises'
import { parse, stringify } from 'yaml'
import type { KubeControlPlane } from '../../../src/local/kube-control-plane.ts'

/** One kubeconfig with the planes' clusters, users and contexts (contexts named after the planes). */
export async function mergeKubeconfigs(...planes: KubeControlPlane[]): Promise<string> {
  const configs = await Promise.all(planes.map(async (p) => parse(await readFile(p.kubeconfigPath, 'utf8')) as Record<string, any>))
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': configs[0]!['current-context'],
    clusters: configs.flatMap((c) => c.clusters),
    users: configs.flatMap((c) => c.users),
    contexts: configs.flatMap((c) => c.contexts),
  })
}
