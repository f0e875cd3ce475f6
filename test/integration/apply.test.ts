/**
 * The operator's apply primitive (src/kube/apply.ts) against a real API server: each result class
 * (created, noop, patched, deleted), a field taken back from another manager, and pruning by labels.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { KubeConfig, KubernetesObjectApi, type V1ConfigMap } from '@kubernetes/client-node'
import { Applier, FIELD_MANAGER } from '../../src/kube/apply.ts'
import { isAlive } from '../../src/local/broker-process.ts'
import { startKubeControlPlane, type KubeControlPlane } from '../../src/local/kube-control-plane.ts'

describe('Applier: server-side apply under one field manager', { timeout: 300_000 }, () => {
  let plane: KubeControlPlane | undefined
  let applier: Applier

  before(async () => {
    plane = await startKubeControlPlane({ name: 'apply' })
    const config = new KubeConfig()
    config.loadFromFile(plane.kubeconfigPath)
    applier = new Applier(KubernetesObjectApi.makeApiClient(config))
  })
  after(async () => {
    const pids = plane?.pids ?? []
    await plane?.stop()
    assert.deepEqual(pids.filter(isAlive), [])
  })

  const configMap = (name: string, data: Record<string, string>, labels: Record<string, string> = { 'app.kubernetes.io/instance': 'kafka' }): V1ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', labels },
    data,
  })

  test('created, noop, patched, deleted, noop', async () => {
    assert.deepEqual(await applier.apply(configMap('brokers', { zone: 'a' })), { action: 'created', object: 'ConfigMap default/brokers', tookOver: [] })
    assert.equal((await applier.apply(configMap('brokers', { zone: 'a' }))).action, 'noop')
    assert.equal((await applier.apply(configMap('brokers', { zone: 'b' }))).action, 'patched')
    const read = await applier.read<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'brokers', namespace: 'default' } })
    assert.deepEqual(read?.data, { zone: 'b' })
    assert.deepEqual(read?.metadata?.managedFields?.map((f) => `${f.manager}/${f.operation}`), [`${FIELD_MANAGER}/Apply`])
    assert.equal((await applier.remove({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'brokers', namespace: 'default' } })).action, 'deleted')
    assert.equal((await applier.remove({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'brokers', namespace: 'default' } })).action, 'noop')
  })

  test('a field another manager changed is taken back, and named; fields only it sets stay', async () => {
    await applier.apply(configMap('settings', { zone: 'a' }))
    const edit = await plane!.kubectl(['patch', 'configmap', 'settings', '-n', 'default', '--type=merge', '-p', '{"data":{"zone":"z","note":"by hand"}}'])
    assert.equal(edit.code, 0, edit.stderr)
    const result = await applier.apply(configMap('settings', { zone: 'a' }))
    assert.equal(result.action, 'patched')
    assert.equal(result.tookOver.length, 1)
    assert.match(result.tookOver[0]!, /\.data\.zone/)
    const read = await applier.read<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' } })
    assert.deepEqual(read?.data, { zone: 'a', note: 'by hand' })
  })

  test('prune deletes the labelled objects that are no longer desired, and nothing else', async () => {
    await applier.apply(configMap('keep', { a: '1' }))
    await applier.apply(configMap('drop', { a: '1' }))
    await applier.apply(configMap('other', { a: '1' }, { 'app.kubernetes.io/instance': 'someone-else' }))
    const results = await applier.prune('default', { 'app.kubernetes.io/instance': 'kafka' }, [{ apiVersion: 'v1', kind: 'ConfigMap' }], [configMap('keep', {}), configMap('settings', {})])
    assert.deepEqual(results.map((r) => `${r.object} ${r.action}`), ['ConfigMap default/drop deleted'])
    const left = await plane!.kubectl(['get', 'configmaps', '-n', 'default', '-o', 'jsonpath={.items[*].metadata.name}'])
    assert.deepEqual(left.stdout.split(' ').filter((n) => n !== 'kube-root-ca.crt').sort(), ['keep', 'other', 'settings'])
  })
})
