/**
 * What the operator tests share: two real API servers standing in for two Kubernetes clusters (k8s-1,
 * home, where the CRDs and the operator live; k8s-2, remote) reached through one kubeconfig, and the
 * stopping of the operator processes a test started.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse, stringify } from 'yaml'
import { customResourceDefinitions } from '../../../src/kube/crds/crd.ts'
import { isAlive } from '../../../src/local/broker-process.ts'
import { locateKubeBinaries } from '../../../src/local/kube-binaries.ts'
import { startKubeControlPlane, type KubeControlPlane } from '../../../src/local/kube-control-plane.ts'
import type { WatchedCli } from './cli.ts'

/**
 * Starts k8s-1 and k8s-2 (each pushed to `planes` as soon as it runs, for the caller's after() to stop
 * by pid), writes `<scratch>/kubeconfig` with a context per plane, applies the CRDs to k8s-1 and
 * creates `namespace` in both.
 */
export async function startTwoKubeClusters(scratch: string, planes: KubeControlPlane[], namespace: string): Promise<{ home: KubeControlPlane; remote: KubeControlPlane; kubeconfig: string }> {
  const binaries = await locateKubeBinaries()
  const home = await startKubeControlPlane({ name: 'k8s-1', binaries })
  planes.push(home)
  const remote = await startKubeControlPlane({ name: 'k8s-2', binaries })
  planes.push(remote)
  const kubeconfig = join(scratch, 'kubeconfig')
  await writeFile(kubeconfig, await mergeKubeconfigs(home, remote))
  const crds = await home.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: customResourceDefinitions() }) })
  assert.equal(crds.code, 0, crds.stderr)
  const established = await home.kubectl(['wait', '--for=condition=Established', 'crd/kafkaclusters.kafkaplane.io', 'crd/kafkatopics.kafkaplane.io', '--timeout=60s'])
  assert.equal(established.code, 0, established.stderr)
  for (const plane of planes) assert.equal((await plane.kubectl(['create', 'namespace', namespace])).code, 0)
  return { home, remote, kubeconfig }
}

/** Stops every operator still running: SIGTERM, SIGKILL after 15 s. */
export async function stopOperators(operators: readonly WatchedCli[]): Promise<void> {
  for (const op of operators) {
    const pid = op.child.pid
    if (pid === undefined || op.child.exitCode !== null || op.child.signalCode !== null) continue
    process.kill(pid, 'SIGTERM')
    const stopped = await Promise.race([op.exited.then(() => true), sleep(15_000).then(() => false)])
    if (!stopped && isAlive(pid)) process.kill(pid, 'SIGKILL')
  }
}

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
