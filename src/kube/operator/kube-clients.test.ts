import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { stringify } from 'yaml'
import { isKafkaplaneError } from '../../core/errors.ts'
import { KubeClusters } from './kube-clients.ts'

/** A kubeconfig with one context per name, each its own cluster (server) and token user. */
function kubeconfig(contexts: Record<string, string>, current = Object.keys(contexts)[0]): string {
  const names = Object.keys(contexts)
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: names.map((n) => ({ name: n, cluster: { server: contexts[n] } })),
    users: names.map((n) => ({ name: n, user: { token: `token-${n}` } })),
    contexts: names.map((n) => ({ name: n, context: { cluster: n, user: n } })),
    'current-context': current,
  })
}

describe('KubeClusters: the home cluster and the remote clusters the operator reaches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-clients-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const home = join(dir, 'home.kubeconfig')
  writeFileSync(home, kubeconfig({ 'k8s-1': 'https://10.0.0.1:443' }))

  it('finds remote contexts in the remote clusters kubeconfig, each with its own server and user', () => {
    const remote = join(dir, 'remote-1')
    writeFileSync(remote, kubeconfig({ 'k8s-2': 'https://192.0.2.2:6443', 'k8s-3': 'https://192.0.2.3:6443' }))
    const clusters = KubeClusters.load({ kubeconfig: home, remoteKubeconfig: remote })
    assert.equal(clusters.home.context, 'k8s-1')
    assert.deepEqual(clusters.contexts(), ['k8s-1', 'k8s-2', 'k8s-3'])
    const two = clusters.get('k8s-2')
    assert.equal(two.config.getCurrentCluster()?.server, 'https://192.0.2.2:6443')
    assert.equal(two.config.getCurrentUser()?.token, 'token-k8s-2')
    assert.equal(clusters.get('k8s-2'), two, 'made once')
    assert.equal(clusters.home.config.getCurrentCluster()?.server, 'https://10.0.0.1:443')
  })

  it('a missing remote file is no remote cluster yet; one written later is found without a restart', () => {
    const remote = join(dir, 'remote-2')
    const clusters = KubeClusters.load({ kubeconfig: home, remoteKubeconfig: remote })
    assert.equal(clusters.has('k8s-2'), false)
    assert.throws(() => clusters.get('k8s-2'), (err) => isKafkaplaneError(err, 'BAD_ARGUMENT') && /no context "k8s-2"/.test(err.message) && /remote-secret/.test(err.fix ?? ''))
    writeFileSync(remote, kubeconfig({ 'k8s-2': 'https://192.0.2.2:6443' }))
    assert.equal(clusters.has('k8s-2'), true)
    assert.equal(clusters.get('k8s-2').config.getCurrentCluster()?.server, 'https://192.0.2.2:6443')
  })

  it('a changed remote credential makes that cluster\'s clients anew', () => {
    const remote = join(dir, 'remote-3')
    writeFileSync(remote, kubeconfig({ 'k8s-2': 'https://192.0.2.2:6443' }))
    const clusters = KubeClusters.load({ kubeconfig: home, remoteKubeconfig: remote })
    const before = clusters.get('k8s-2')
    writeFileSync(remote, kubeconfig({ 'k8s-2': 'https://192.0.2.9:6443', 'k8s-3': 'https://192.0.2.3:6443' }))
    assert.equal(clusters.has('k8s-3'), true, 'an unknown context reads the file again')
    const after = clusters.get('k8s-2')
    assert.notEqual(after, before)
    assert.equal(after.config.getCurrentCluster()?.server, 'https://192.0.2.9:6443')
  })

  it('a remote file that is not a kubeconfig is a clear error', () => {
    const remote = join(dir, 'remote-4')
    writeFileSync(remote, 'clusters: [oops')
    assert.throws(() => KubeClusters.load({ kubeconfig: home, remoteKubeconfig: remote }), (err) => isKafkaplaneError(err, 'BAD_ARGUMENT') && err.message.includes(remote))
  })
})
