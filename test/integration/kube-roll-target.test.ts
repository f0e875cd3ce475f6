/**
 * The roller's Kubernetes target against a real API server with the StatefulSet controller (etcd,
 * kube-apiserver, kube-controller-manager; no scheduler or kubelet, so the pods stay Pending, which is all
 * a pod's identity, template and replacement need): a KafkaCluster's StatefulSet rendered and applied,
 * its pods read as roll nodes (roles and failure domains from the model, no reason to restart); a
 * config change gives every pod a reason naming both config hashes; a restart evicts the pod and
 * resolves once the StatefulSet made its replacement, which has no reason left; an eviction the
 * PodDisruptionBudget refuses (the disruption controller runs) touches nothing and says so; a pod another
 * hand replaced first is not evicted again. One control plane for the file, stopped in after().
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { V1Pod } from '@kubernetes/client-node'
import { parse } from 'yaml'
import type { RestartReason } from '../../src/core/roll/roll-rules.ts'
import { renderKafkaCluster } from '../../src/kube/manifests/render.ts'
import { kafkaClusterModel, type KafkaClusterModel, type KafkaClusterResource } from '../../src/kube/model/kafka-cluster-model.ts'
import { KubeClusters } from '../../src/kube/operator/kube-clients.ts'
import { KubeRollTarget } from '../../src/kube/operator/kube-roll-target.ts'
import { isAlive } from '../../src/local/broker-process.ts'
import { startKubeControlPlane, type KubeControlPlane } from '../../src/local/kube-control-plane.ts'

describe('the roller on Kubernetes: broker pods as roll nodes, restarted by deletion, on a real API server', () => {
  let plane: KubeControlPlane
  let clusters: KubeClusters

  /** The example KafkaCluster in one Kubernetes cluster (this plane's context), with `brokerConfig`. */
  const model = (brokerConfig: Record<string, string>): KafkaClusterModel => {
    const resource = parse(readFileSync(new URL('../../examples/kafka-cluster.yaml', import.meta.url), 'utf8')) as KafkaClusterResource
    const spec = resource.spec as { topology: { clusters: { name: string; context?: string; zones: string[]; brokerIds: { first: number; count: number } }[] }; brokerConfig: Record<string, string>; placement?: unknown }
    spec.topology.clusters = [{ name: 'k8s-1', context: clusters.home.context, zones: ['a', 'b', 'c'], brokerIds: { first: 0, count: 3 } }]
    spec.brokerConfig = brokerConfig
    delete spec.placement // the example's RF 6 needs both of its Kubernetes clusters
    const checked = kafkaClusterModel(resource)
    assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.errors))
    return checked.model
  }
  const apply = async (m: KafkaClusterModel, budgets?: ReadonlyMap<string, number>) => {
    for (const object of renderKafkaCluster(m, { brokers: budgets })[0]!.objects) await clusters.home.applier.apply(object)
  }
  const pods = async () => {
    const list = await plane.kubectl(['get', 'pods', '-n', 'kafka', '-o', 'json'])
    return (JSON.parse(list.stdout) as { items: V1Pod[] }).items.filter((p) => !p.metadata?.deletionTimestamp)
  }

  before(async () => {
    plane = await startKubeControlPlane({ name: 'roll-target', controllerManager: true })
    clusters = KubeClusters.load({ kubeconfig: plane.kubeconfigPath })
    assert.equal((await plane.kubectl(['create', 'namespace', 'kafka'])).code, 0)
  })
  after(async () => {
    if (plane === undefined) return
    const pids = plane.pids
    await plane.stop()
    assert.deepEqual(pids.filter(isAlive), [], 'every control-plane process is gone after stop()')
  })

  it('reads the pods as nodes, names a config change as every pod\'s reason, and restarts a pod by evicting it and waiting for its replacement', async () => {
    const first = model({ 'log.retention.hours': '168' })
    await apply(first)
    for (let i = 0; (await pods()).length < 3; i++) {
      assert.ok(i < 120, `the StatefulSet made its 3 pods: ${JSON.stringify((await pods()).map((p) => p.metadata?.name))}`)
      await sleep(500)
    }
    const target = new KubeRollTarget(clusters, first, { pollMs: 200 })
    const nodes = await target.nodes()
    assert.deepEqual(
      nodes.map((n) => [n.id, n.roles.includes('controller'), n.labels.zone, n.reasons.length]),
      first.brokers.map((b) => [b.id, b.controller, b.zone, 0]),
      'every broker of the model, with its role and zone, nothing to restart',
    )

    const changed = model({ 'log.retention.hours': '169' })
    await apply(changed)
    const changedTarget = new KubeRollTarget(clusters, changed, {
      pollMs: 200,
      onRestart: async (r) => void told.push({ pod: r.name, context: r.context, reasons: r.reasons, already: r.already }),
    })
    const told: { pod: string; context: string; reasons: readonly RestartReason[]; already: string | undefined }[] = []
    const due = await changedTarget.nodes()
    assert.ok(due.every((n) => n.reasons.length === 1 && n.reasons[0]!.kind === 'config' && /^config hash \S+ -> \S+$/.test(n.reasons[0]!.detail)), JSON.stringify(due))

    const victim = changed.brokers[1]!
    const before = (await pods()).find((p) => p.metadata?.name === victim.pod)!
    await changedTarget.restart([victim.id], new Map([[victim.id, due[1]!.reasons]]))
    const after = (await pods()).find((p) => p.metadata?.name === victim.pod)
    assert.ok(after && after.metadata?.uid !== before.metadata?.uid, 'the StatefulSet made a new pod before restart() resolved')
    assert.deepEqual(told.map((t) => [t.pod, t.context, t.reasons.map((r) => r.kind), t.already]), [[victim.pod, clusters.home.context, ['config'], undefined]])
    const left = await changedTarget.nodes()
    assert.deepEqual(left.map((n) => [n.id, n.reasons.length]), changed.brokers.map((b) => [b.id, b.id === victim.id ? 0 : 1]), 'the new pod runs the new config; the others still need a restart')
  })

  it('restarts through the Eviction API: a PodDisruptionBudget that allows no eviction refuses it, touching nothing; allowed, the pod is replaced', async () => {
    const changed = model({ 'log.retention.hours': '169' })
    await apply(changed, new Map([['k8s-1', 0]]))
    const target = new KubeRollTarget(clusters, changed, { pollMs: 200 })
    const victim = changed.brokers[2]!
    // No kubelet: the pod is made to look running and ready, as a healthy broker's is (a pending pod ignores budgets).
    const ready = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }
    const patched = await plane.kubectl(['patch', 'pod', victim.pod, '-n', 'kafka', '--subresource=status', '--type=merge', '-p', JSON.stringify(ready)])
    assert.equal(patched.code, 0, patched.stderr)
    const budget = async (healthy: number) => {
      for (let i = 0; ; i++) {
        const pdb = JSON.parse((await plane.kubectl(['get', 'pdb', changed.clusters[0]!.statefulSet, '-n', 'kafka', '-o', 'json'])).stdout) as { metadata: { generation: number }; status?: { observedGeneration?: number; currentHealthy?: number } }
        if (pdb.status?.observedGeneration === pdb.metadata.generation && pdb.status.currentHealthy === healthy) return
        assert.ok(i < 120, `the disruption controller processed the budget: ${JSON.stringify(pdb.status)}`)
        await sleep(500)
      }
    }
    await budget(1)
    const before = (await pods()).find((p) => p.metadata?.name === victim.pod)!
    const refused = await target.restart([victim.id], new Map([[victim.id, [{ kind: 'config', detail: 'x' }]]]))
    assert.equal(refused.refused.length, 1)
    assert.equal(refused.refused[0]!.id, victim.id)
    assert.match(refused.refused[0]!.reason, new RegExp(`^the PodDisruptionBudget of Kubernetes cluster context \\S+ allows no eviction of pod ${victim.pod} now \\(Cannot evict pod as it would violate the pod's disruption budget`))
    assert.equal((await pods()).find((p) => p.metadata?.name === victim.pod)?.metadata?.uid, before.metadata?.uid, 'the pod is untouched')

    await apply(changed, new Map([['k8s-1', 3]]))
    await budget(1)
    assert.deepEqual(await target.restart([victim.id], new Map([[victim.id, [{ kind: 'config', detail: 'x' }]]])), { refused: [] })
    const after = (await pods()).find((p) => p.metadata?.name === victim.pod)
    assert.ok(after && after.metadata?.uid !== before.metadata?.uid, 'evicted, and replaced by the StatefulSet before restart() resolved')
  })

  it('a batch whose budget is raised while it is evicted stays one batch: the rest is asked again until the budget lets it through', async () => {
    // A config none of the pods runs yet: each has a reason to restart (one replaced from a template that is already old would not).
    const changed = model({ 'log.retention.hours': '170' })
    await apply(changed, new Map([['k8s-1', 1]]))
    // Every pod healthy (no kubelet: made to look ready), so that a budget of 1 allows one eviction.
    for (const pod of await pods()) {
      const patched = await plane.kubectl(['patch', 'pod', pod.metadata!.name!, '-n', 'kafka', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } })])
      assert.equal(patched.code, 0, patched.stderr)
    }
    for (let i = 0; ; i++) {
      const pdb = JSON.parse((await plane.kubectl(['get', 'pdb', changed.clusters[0]!.statefulSet, '-n', 'kafka', '-o', 'json'])).stdout) as { status?: { disruptionsAllowed?: number; currentHealthy?: number } }
      if (pdb.status?.currentHealthy === 3 && pdb.status.disruptionsAllowed === 1) break
      assert.ok(i < 120, `the disruption controller allows one eviction: ${JSON.stringify(pdb.status)}`)
      await sleep(500)
    }
    const [a, b] = [changed.brokers[0]!, changed.brokers[1]!]
    const before = await pods()
    const target = new KubeRollTarget(clusters, changed, { pollMs: 200, batchBudgetWaitMs: 60_000 })
    // What the operator does when it sees the batch saved (core/roll/disruption-budget.ts, `reserved`): the budget raised for it.
    const raised = sleep(3000).then(() => apply(changed, new Map([['k8s-1', 2]])))
    const started = performance.now()
    const outcome = await target.restart([a.id, b.id], new Map([[a.id, [{ kind: 'config', detail: 'x' }]], [b.id, [{ kind: 'config', detail: 'x' }]]]))
    await raised
    assert.deepEqual(outcome, { refused: [] }, 'both evicted, as one batch')
    assert.ok(performance.now() - started >= 3000, 'the second waited for the raised budget')
    const after = await pods()
    for (const id of [a, b]) {
      const uid = (list: V1Pod[]) => list.find((p) => p.metadata?.name === id.pod)?.metadata?.uid
      assert.ok(uid(after) && uid(after) !== uid(before), `${id.pod} replaced`)
    }

    // Not raised within the wait: the rest comes back refused, untouched.
    await apply(changed, new Map([['k8s-1', 0]]))
    const short = new KubeRollTarget(clusters, changed, { pollMs: 200, batchBudgetWaitMs: 2000 })
    const c = changed.brokers[2]!
    const refused = await short.restart([c.id], new Map([[c.id, [{ kind: 'config', detail: 'x' }]]]))
    assert.deepEqual(refused.refused.map((r) => r.id), [c.id], 'a batch none of which was evicted is not waited on: refused at once')
  })

  it('a pod another hand replaced first (a node drain, a kubectl delete) is not evicted again: the restart says how it found it, and its budget is never asked', async () => {
    const changed = model({ 'log.retention.hours': '171' })
    // A budget that allows no eviction: an eviction asked for would come back refused.
    await apply(changed, new Map([['k8s-1', 0]]))
    const victim = changed.brokers[0]!
    const deleted = await plane.kubectl(['delete', 'pod', victim.pod, '-n', 'kafka', '--wait=true'])
    assert.equal(deleted.code, 0, deleted.stderr)
    let replacement: V1Pod | undefined
    for (let i = 0; !(replacement = (await pods()).find((p) => p.metadata?.name === victim.pod)); i++) {
      assert.ok(i < 120, `the StatefulSet made ${victim.pod} anew`)
      await sleep(500)
    }
    const told: { pod: string; already: string | undefined }[] = []
    const target = new KubeRollTarget(clusters, changed, { pollMs: 200, onRestart: async (r) => void told.push({ pod: r.name, already: r.already }) })
    assert.deepEqual((await target.nodes()).find((n) => n.id === victim.id)?.reasons, [], 'the new pod runs the current template')
    assert.deepEqual(await target.restart([victim.id], new Map([[victim.id, [{ kind: 'config', detail: 'x' }]]])), { refused: [] })
    assert.deepEqual(told, [{ pod: victim.pod, already: 'its pod was replaced already by another hand, from the current template' }])
    // Pending (no scheduler here), it would have been deleted by an eviction whatever the budget: it was not.
    assert.equal((await pods()).find((p) => p.metadata?.name === victim.pod)?.metadata?.uid, replacement.metadata?.uid, 'the replacement is left alone')
  })
})
