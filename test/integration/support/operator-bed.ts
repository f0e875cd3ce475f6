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
import type { LocalCluster } from '../../../src/local/local-cluster.ts'
import type { WatchedCli } from './cli.ts'
import { removeDir } from './clusters.ts'

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

/**
 * The end of an operator test: every operator stopped (SIGTERM, SIGKILL after 15 s), then the Kafka
 * cluster and the API servers, checked gone by pid, and the scratch dir removed, also when a step fails.
 */
export async function stopBed(bed: { operators: readonly WatchedCli[]; kafka: LocalCluster | undefined; planes: readonly KubeControlPlane[]; scratch: string | undefined }): Promise<void> {
  try {
    await stopOperators(bed.operators)
  } finally {
    await bed.kafka?.stop()
    const pids = bed.planes.flatMap((p) => p.pids)
    await Promise.all(bed.planes.map((p) => p.stop()))
    assert.deepEqual(pids.filter(isAlive), [], 'every control-plane process is gone')
    assert.deepEqual(bed.operators.map((o) => o.child.pid).filter((pid) => pid !== undefined && isAlive(pid)), [], 'every operator is gone')
    if (bed.scratch) await removeDir(bed.scratch)
  }
}

/** Stops every operator still running: SIGTERM, SIGKILL after 15 s. */
async function stopOperators(operators: readonly WatchedCli[]): Promise<void> {
  for (const op of operators) {
    const pid = op.child.pid
    if (pid === undefined || op.child.exitCode !== null || op.child.signalCode !== null) continue
    process.kill(pid, 'SIGTERM')
    const stopped = await Promise.race([op.exited.then(() => true), sleep(15_000).then(() => false)])
    if (!stopped && isAlive(pid)) process.kill(pid, 'SIGKILL')
  }
}

export type Json = Record<string, any>

/** An object of `namespace` as the API server has it (managed fields shown), or undefined when it is not there. */
export async function getObject(plane: KubeControlPlane, namespace: string, kind: string, name: string): Promise<Json | undefined> {
  const r = await plane.kubectl(['get', kind, name, '-n', namespace, '-o', 'json', '--show-managed-fields'])
  if (r.code !== 0) return undefined
  return JSON.parse(r.stdout) as Json
}

/** `kubectl apply` of one object, which must succeed. */
export async function applyObject(plane: KubeControlPlane, object: object): Promise<void> {
  const r = await plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object) })
  assert.equal(r.code, 0, r.stderr)
}

/** A status condition of a resource by type ({} when it has none). */
export function condition(o: Json, type: string): Json {
  return (o.status?.conditions as Json[] | undefined)?.find((c) => c.type === type) ?? {}
}

/**
 * Polls `read` every 300 ms until `ok` holds; fails after `timeoutMs` with the last value (its status
 * when it has one) and what `explain` adds (the operators' logs).
 */
export async function until<T>(what: string, read: () => Promise<T | undefined>, ok: (v: T) => boolean, timeoutMs: number, explain: () => Promise<string> | string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  for (;;) {
    last = await read().catch(() => undefined)
    if (last !== undefined && ok(last)) return last
    if (Date.now() > deadline) assert.fail(`${what}: not reached in ${timeoutMs} ms; last: ${JSON.stringify((last as Json | undefined)?.status ?? last)?.slice(0, 2000)}\n${await explain()}`)
    await sleep(300)
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
