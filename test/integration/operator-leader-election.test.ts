/**
 * The operator's leader election (src/kube/operator/leader-elector.ts) on a real kube-apiserver: real
 * `kafkaplane operator` processes, each with its own POD_NAME as a Deployment's downward API gives it,
 * running as the operator's ServiceAccount with exactly the RBAC `kafkaplane install` prints (a token
 * from the TokenRequest API), so the Lease rules are proven enough. No Kafka broker runs: a
 * KafkaCluster whose brokers are not ready is reconciled (its objects applied, its status written)
 * without reaching Kafka.
 *   1. Two operators: one holds the Lease kafkaplane-operator in the operator's namespace and is the only
 *      one that reconciles (its log, and not the other's, shows the KafkaCluster's objects applied);
 *      it keeps renewing past the lease duration and the other keeps standing by; an Event says who
 *      became leader.
 *   2. kill -9 of the leader: the other takes over once the Lease has not changed for its duration
 *      (not sooner), and reconciles a changed spec.
 *   3. SIGTERM of the leader: it stops its work, releases the Lease and exits 0; a standby takes over
 *      at once, not after the lease duration.
 *   4. A leader that finds another holder in the Lease stops all work and exits 3.
 * Every operator started is killed by pid in after(), also when a test fails, and the control plane
 * (etcd, kube-apiserver) stopped.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse, stringify } from 'yaml'
import { customResourceDefinitions } from '../../src/kube/crds/crd.ts'
import { DEFAULT_TIMINGS } from '../../src/kube/operator/lease-decision.ts'
import { isAlive } from '../../src/local/broker-process.ts'
import { startKubeControlPlane, type KubeControlPlane } from '../../src/local/kube-control-plane.ts'
import { runCli, startWatchedCli, type WatchedCli } from './support/cli.ts'
import { removeDir, tempDir } from './support/clusters.ts'

const OPERATOR_NS = 'kafkaplane-system'
const NS = 'kafka'
const LEASE = 'kafkaplane-operator'
const { leaseDurationMs, retryPeriodMs } = DEFAULT_TIMINGS

type Json = Record<string, any>

describe('the operator leader election on a real API server', { timeout: 600_000 }, () => {
  let plane: KubeControlPlane | undefined
  const operators: WatchedCli[] = []
  let scratch = ''
  let kubeconfig = ''

  before(async () => {
    const t0 = performance.now()
    scratch = await tempDir('leader-election')
    plane = await startKubeControlPlane({ name: 'k8s-1' })
    const crds = await plane.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: customResourceDefinitions() }) })
    assert.equal(crds.code, 0, crds.stderr)
    await kubectlOk(['wait', '--for=condition=Established', 'crd/kafkaclusters.kafkaplane.io', 'crd/kafkatopics.kafkaplane.io', '--timeout=60s'])
    // The operator's identity and RBAC as `kafkaplane install` prints them (not its Deployment: no kubelet runs here).
    const install = await runCli(['install', '--namespace', OPERATOR_NS])
    assert.equal(install.code, 0, install.stderr)
    const identity = install.stdout.split(/^---\n/m).filter((d) => /^kind: (Namespace|ServiceAccount|ClusterRole|ClusterRoleBinding|Role|RoleBinding)$/m.test(d))
    assert.equal(identity.length, 6)
    await kubectlOk(['apply', '--server-side', '-f', '-'], identity.map((d) => `---\n${d}`).join(''))
    await kubectlOk(['create', 'namespace', NS])
    const token = (await kubectlOk(['create', 'token', 'kafkaplane-operator', '-n', OPERATOR_NS, '--duration=2h'])).trim()
    const admin = parse(await readFile(plane.kubeconfigPath, 'utf8')) as Json
    kubeconfig = join(scratch, 'operator.kubeconfig')
    await writeFile(kubeconfig, stringify({ ...admin, users: [{ name: 'operator', user: { token } }], contexts: admin.contexts.map((c: Json) => ({ ...c, context: { ...c.context, user: 'operator' } })) }))
    console.log(`API server, CRDs and the operator's RBAC in ${Math.round(performance.now() - t0)} ms`)
  })

  after(async () => {
    try {
      for (const op of operators) {
        const pid = op.child.pid
        if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL')
      }
      await Promise.all(operators.map((o) => o.exited))
    } finally {
      const pids = plane?.pids ?? []
      await plane?.stop()
      assert.deepEqual(pids.filter(isAlive), [], 'every control-plane process is gone')
      assert.deepEqual(operators.map((o) => o.child.pid).filter((pid) => pid !== undefined && isAlive(pid)), [], 'every operator is gone')
      if (scratch) await removeDir(scratch)
    }
  })

  async function kubectlOk(args: readonly string[], input?: string): Promise<string> {
    const r = await plane!.kubectl(args, input === undefined ? {} : { input })
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }

  /** `kafkaplane operator` as pod `name` of the operator's Deployment would run it. */
  function startOperator(name: string): WatchedCli {
    const env = { ...process.env, POD_NAME: name, POD_NAMESPACE: OPERATOR_NS }
    const op = startWatchedCli(['operator', '--kubeconfig', kubeconfig, '--state-dir', join(scratch, name), '--resync-ms', '5000'], env)
    operators.push(op)
    return op
  }
  const logs = () => operators.map((o, i) => `--- operator ${i} (pid ${o.child.pid}) ---\n${o.stderr().slice(-3000)}`).join('\n')

  async function until<T>(what: string, read: () => Promise<T | undefined>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const last = await read()
      if (last !== undefined && ok(last)) return last
      if (Date.now() > deadline) assert.fail(`${what}: not reached in ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 1500)}\n${logs()}`)
      await sleep(200)
    }
  }
  const lease = async (): Promise<Json | undefined> => {
    const r = await plane!.kubectl(['get', 'lease', LEASE, '-n', OPERATOR_NS, '-o', 'json'])
    return r.code === 0 ? (JSON.parse(r.stdout) as Json) : undefined
  }
  const kafkaCluster = async (): Promise<Json | undefined> => {
    const r = await plane!.kubectl(['get', 'kafkacluster', 'kafka', '-n', NS, '-o', 'json'])
    return r.code === 0 ? (JSON.parse(r.stdout) as Json) : undefined
  }
  const reconciled = (c: Json) => c.status?.observedGeneration === c.metadata.generation
  const applyCluster = (cpu: string) =>
    kubectlOk(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'kafkaplane.io/v1alpha1',
      kind: 'KafkaCluster',
      metadata: { name: 'kafka', namespace: NS },
      spec: {
        // Nothing listens there: with no broker ready, the reconcile never needs Kafka.
        kafka: { image: 'example.invalid/kafkaplane-kafka:4.1.1', bootstrapServers: ['127.0.0.1:9'] },
        topology: { controllers: 3, clusters: [{ name: 'k8s-1', context: 'k8s-1', zones: ['a', 'b', 'c'], brokerIds: { first: 0, count: 3 } }] },
        resources: { memory: '2Gi', cpu },
      },
    }))
  const reconcileLines = (op: WatchedCli) => op.stderr().split('\n').filter((l) => / KafkaCluster kafka\/kafka: /.test(l))

  let leader: WatchedCli
  let standby: WatchedCli

  test('two operators: only the Lease holder reconciles; it keeps renewing and the other stands by', async () => {
    const a = startOperator('operator-a')
    await a.waitFor(/became leader/, 60_000)
    assert.match(a.stderr(), /became leader: Lease kafkaplane-system\/kafkaplane-operator held by operator-a/, logs())
    await a.waitFor(/watching KafkaCluster and KafkaTopic/, 60_000)
    assert.match(a.stderr(), /watching KafkaCluster and KafkaTopic/, logs())
    const b = startOperator('operator-b')
    await b.waitFor(/standing by/, 60_000)
    assert.match(b.stderr(), /Lease kafkaplane-system\/kafkaplane-operator is held by operator-a: standing by/, logs())
    const bStarted = Date.now()
    ;[leader, standby] = [a, b]

    await applyCluster('1')
    const cluster = await until('KafkaCluster reconciled', kafkaCluster, reconciled)
    assert.equal(cluster.status.conditions.find((c: Json) => c.type === 'Ready')?.reason, 'BrokersNotReady')
    assert.ok(reconcileLines(a).some((l) => /StatefulSet kafka\/kafka-k8s-1 created/.test(l)), logs())

    // Past a whole lease duration: a renews, b keeps standing by and never starts its controllers.
    const first = (await lease())!
    await sleep(Math.max(0, bStarted + leaseDurationMs + 2 * retryPeriodMs - Date.now()))
    const later = (await lease())!
    assert.equal(later.spec.holderIdentity, 'operator-a', logs())
    assert.equal(later.spec.leaseDurationSeconds, leaseDurationMs / 1000)
    assert.ok(Date.parse(later.spec.renewTime) > Date.parse(first.spec.renewTime), `renewed: ${first.spec.renewTime} -> ${later.spec.renewTime}`)
    assert.equal(later.spec.acquireTime, first.spec.acquireTime)
    assert.deepEqual(reconcileLines(b), [], 'the standby reconciled nothing')
    assert.doesNotMatch(b.stderr(), /watching KafkaCluster|became leader/)
    assert.equal(b.child.exitCode, null)

    const events = JSON.parse(await kubectlOk(['get', 'events', '-n', OPERATOR_NS, '-o', 'json'])) as Json
    assert.ok(
      events.items.some((e: Json) => e.reason === 'LeaderElection' && e.involvedObject.kind === 'Lease' && e.involvedObject.name === LEASE && e.message === 'operator-a became leader'),
      JSON.stringify(events.items.map((e: Json) => [e.reason, e.message])),
    )
  })

  test('kill -9 of the leader: the standby takes over once the lease has run out, not sooner, and reconciles', async () => {
    const killedAt = Date.now()
    process.kill(leader.child.pid!, 'SIGKILL')
    await leader.exited
    const last = (await lease())!
    assert.equal(last.spec.holderIdentity, 'operator-a', 'nobody takes over within a lease duration of the last renewal')
    await until('the standby became leader', async () => standby.stderr(), (s) => /became leader/.test(s), leaseDurationMs + 30_000)
    const tookOverMs = Date.now() - killedAt
    console.log(`took over ${tookOverMs} ms after the leader was killed (lease ${leaseDurationMs} ms, retry ${retryPeriodMs} ms)`)
    const held = (await lease())!
    assert.equal(held.spec.holderIdentity, 'operator-b')
    assert.equal(held.spec.leaseTransitions, last.spec.leaseTransitions + 1)
    // Not sooner than a whole lease duration after the dead leader's last renewal (both times written by
    // processes of this machine, so one clock).
    const afterLastRenewal = Date.parse(held.spec.acquireTime) - Date.parse(last.spec.renewTime)
    assert.ok(afterLastRenewal >= leaseDurationMs, `taken over ${afterLastRenewal} ms after the last renewal`)

    await applyCluster('2')
    await until('the changed KafkaCluster reconciled by the new leader', kafkaCluster, reconciled)
    assert.ok(reconcileLines(standby).some((l) => /StatefulSet kafka\/kafka-k8s-1 (patched|created)/.test(l)), logs())
    ;[leader, standby] = [standby, startOperator('operator-c')]
    await standby.waitFor(/standing by/, 60_000)
    assert.match(standby.stderr(), /is held by operator-b: standing by/, logs())
  })

  test('SIGTERM of the leader: it releases the Lease on its way out, and the standby takes over at once', async () => {
    const stoppedAt = Date.now()
    process.kill(leader.child.pid!, 'SIGTERM')
    const code = await leader.exited
    assert.equal(code, 0, logs())
    assert.match(leader.stderr(), /SIGTERM: stopping[\s\S]*released Lease kafkaplane-system\/kafkaplane-operator[\s\S]*stopped/)
    await until('the standby became leader', async () => standby.stderr(), (s) => /became leader/.test(s), 30_000)
    const tookOverMs = Date.now() - stoppedAt
    console.log(`took over ${tookOverMs} ms after SIGTERM to the leader (the lease would have run ${leaseDurationMs} ms)`)
    assert.ok(tookOverMs < leaseDurationMs - retryPeriodMs, `not waiting out the lease: ${tookOverMs} ms`)
    assert.equal((await lease())!.spec.holderIdentity, 'operator-c')
    leader = standby
  })

  test('a leader that finds somebody else in the Lease stops all work and exits 3', async () => {
    await leader.waitFor(/watching KafkaCluster/, 30_000)
    await kubectlOk(['patch', 'lease', LEASE, '-n', OPERATOR_NS, '--type=merge', '-p', JSON.stringify({ spec: { holderIdentity: 'intruder' } })])
    const timeout = new AbortController()
    const code = await Promise.race([leader.exited, sleep(30_000, 'still running', { signal: timeout.signal }).catch(() => 'aborted')])
    timeout.abort()
    assert.equal(code, 3, logs())
    assert.match(leader.stderr(), /lost the lease \(the Lease is held by intruder now\): stopping all work/)
    assert.equal((await lease())!.spec.holderIdentity, 'intruder', 'the lost leader released nothing it no longer held')
  })
})
