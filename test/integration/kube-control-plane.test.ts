import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type V1ConfigMap } from '@kubernetes/client-node'
import { isAlive } from '../../src/local/broker-process.ts'
import { locateKubeBinaries } from '../../src/local/kube-binaries.ts'
import { startKubeControlPlane, type KubeControlPlane } from '../../src/local/kube-control-plane.ts'

const run = promisify(execFile)

/**
 * The envtest-style harness itself: two control planes side by side (two Kubernetes clusters), one
 * with a controller-manager. Every process is stopped in after(), even when a test fails, and the
 * hook checks that none of them outlives its plane.
 */
describe('Kubernetes control plane (real etcd and kube-apiserver)', () => {
  const planes: KubeControlPlane[] = []
  let one: KubeControlPlane // k8s-1: with kube-controller-manager
  let two: KubeControlPlane // k8s-2: etcd and kube-apiserver only

  before(async () => {
    const binaries = await locateKubeBinaries()
    console.log(`harness build (scripts/fetch-kube.sh): ${binaries.tookMs} ms, binaries in ${binaries.binDir}`)
    one = await startKubeControlPlane({ name: 'k8s-1', controllerManager: true, binaries })
    planes.push(one)
    console.log(`plane k8s-1 (with controller-manager) started in ${one.timings.startMs} ms: ${JSON.stringify(one.timings)}`)
    two = await startKubeControlPlane({ name: 'k8s-2', binaries })
    planes.push(two)
    console.log(`plane k8s-2 started in ${two.timings.startMs} ms: ${JSON.stringify(two.timings)}`)
  })

  after(async () => {
    const pids = planes.flatMap((plane) => plane.pids)
    const dirs = planes.map((plane) => plane.dir)
    await Promise.all(planes.map((plane) => plane.stop()))
    assert.deepEqual(pids.filter(isAlive), [], 'every control-plane process is gone after stop()')
    for (const dir of dirs) {
      const { stdout } = await run('pgrep', ['-f', dir]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))
      assert.equal(stdout.trim(), '', `no process runs from ${dir}`)
    }
  })

  it('starts two healthy, independent API servers with admin kubeconfigs named after them', async () => {
    assert.notEqual(one.server, two.server)
    for (const plane of [one, two]) {
      const health = await plane.kubectl(['get', '--raw', '/healthz'])
      assert.equal(health.code, 0, health.stderr)
      assert.equal(health.stdout.trim(), 'ok')
      const context = await plane.kubectl(['config', 'current-context'])
      assert.equal(context.stdout.trim(), plane.name)
      const version = await plane.kubectl(['version', '-o', 'json'])
      assert.equal(JSON.parse(version.stdout).serverVersion.gitVersion, 'v1.36.3')
    }
    assert.equal(one.pids.length, 3, 'etcd, kube-apiserver, kube-controller-manager')
    assert.equal(two.pids.length, 2, 'etcd, kube-apiserver')
  })

  it('keeps what is applied to one plane out of the other', async () => {
    const manifest = [
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: only-in-one\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: only-in-one\ndata:\n  zone: a\n',
    ].join('---\n')
    const applied = await one.kubectl(['apply', '-f', '-'], { input: manifest })
    assert.equal(applied.code, 0, applied.stderr)
    assert.match(applied.stdout, /namespace\/only-in-one created/)
    assert.match(applied.stdout, /configmap\/settings created/)

    const there = await one.kubectl(['get', 'configmap', 'settings', '-n', 'only-in-one', '-o', 'jsonpath={.data.zone}'])
    assert.equal(there.stdout, 'a')
    const elsewhere = await two.kubectl(['get', 'namespace', 'only-in-one'])
    assert.notEqual(elsewhere.code, 0)
    assert.match(elsewhere.stderr, /NotFound/)
  })

  it('runs StatefulSets whose ordinals start at 3 (controller-manager, OrderedReady)', async () => {
    const manifest = `apiVersion: v1
kind: Namespace
metadata:
  name: kafka
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: brokers
  namespace: kafka
spec:
  serviceName: brokers
  replicas: 2
  ordinals:
    start: 3
  podManagementPolicy: OrderedReady
  selector:
    matchLabels: {app: brokers}
  template:
    metadata:
      labels: {app: brokers}
    spec:
      containers:
        - name: kafka
          image: example.invalid/kafka:4.1.1
`
    const applied = await one.kubectl(['apply', '-f', '-'], { input: manifest })
    assert.equal(applied.code, 0, applied.stderr)

    assert.deepEqual(await waitForPods(one, 'kafka', (names) => names.length > 0), ['brokers-3'])
    const index = await one.kubectl(['get', 'pod', 'brokers-3', '-n', 'kafka', '-o', 'jsonpath={.metadata.labels.apps\\.kubernetes\\.io/pod-index}'])
    assert.equal(index.stdout, '3')
    await sleep(1000)
    assert.deepEqual(await podNames(one, 'kafka'), ['brokers-3'], 'OrderedReady: brokers-4 waits for brokers-3 to be Ready')

    // No kubelet runs: the test plays it and reports brokers-3 running and Ready.
    const status = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }
    const patched = await one.kubectl(['patch', 'pod', 'brokers-3', '-n', 'kafka', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)])
    assert.equal(patched.code, 0, patched.stderr)
    assert.deepEqual(await waitForPods(one, 'kafka', (names) => names.length === 2), ['brokers-3', 'brokers-4'])
  })

  it('accepts server-side apply with a field manager from @kubernetes/client-node', async () => {
    const config = new KubeConfig()
    config.loadFromFile(two.kubeconfigPath)
    assert.equal(config.getCurrentContext(), 'k8s-2')
    const objects = KubernetesObjectApi.makeApiClient(config)
    const core = config.makeApiClient(CoreV1Api)
    const configMap = (zone: string): V1ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: 'default' },
      data: { zone },
    })

    await objects.patch(configMap('b'), undefined, undefined, 'kafkaplane', true, PatchStrategy.ServerSideApply)
    const read = await core.readNamespacedConfigMap({ name: 'applied', namespace: 'default' })
    assert.deepEqual(read.data, { zone: 'b' })
    const managers = (read.metadata?.managedFields ?? []).map((field) => `${field.manager}/${field.operation}`)
    assert.deepEqual(managers, ['kafkaplane/Apply'])

    // Another manager may not take a field over without force: the API server answers 409 Conflict.
    await assert.rejects(
      objects.patch(configMap('c'), undefined, undefined, 'someone-else', false, PatchStrategy.ServerSideApply),
      (err: unknown) => err instanceof ApiException && err.code === 409,
    )
    const again = await objects.patch(configMap('c'), undefined, undefined, 'kafkaplane', true, PatchStrategy.ServerSideApply)
    assert.deepEqual(again.data, { zone: 'c' })
    const absent = await one.kubectl(['get', 'configmap', 'applied', '-n', 'default'])
    assert.match(absent.stderr, /NotFound/, 'applied to k8s-2 only')
  })
})

async function podNames(plane: KubeControlPlane, namespace: string): Promise<string[]> {
  const listed = await plane.kubectl(['get', 'pods', '-n', namespace, '-o', 'jsonpath={.items[*].metadata.name}'])
  assert.equal(listed.code, 0, listed.stderr)
  return listed.stdout.split(/\s+/).filter(Boolean).sort()
}

async function waitForPods(plane: KubeControlPlane, namespace: string, done: (names: string[]) => boolean, timeoutMs = 60_000): Promise<string[]> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const names = await podNames(plane, namespace)
    if (done(names)) return names
    if (performance.now() > deadline) assert.fail(`pods in ${namespace} on ${plane.name} after ${timeoutMs} ms: [${names.join(', ')}]`)
    await sleep(250)
  }
}
