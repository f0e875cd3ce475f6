// scripts/test: runs alone (the Kubernetes test bed: real kubelets and containerd, host settings it changes)
import assert from 'node:assert/strict'
import { Resolver } from 'node:dns/promises'
import { get } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { isAlive } from '../../src/local/broker-process.ts'
import { hostSettingsDiff, readHostSettings } from '../../src/local/host-settings.ts'
import { BED_DNS_IP, BED_TOOLS_IMAGE, startKubeBed, type KubeBed, type KubeBedCluster } from '../../src/local/kube-bed.ts'
import { bedSkip, podsOf, type PodView } from './support/kube-bed.ts'

const skip = bedSkip()

const NS = 'bed'

/** A StatefulSet of busybox httpd pods, one per zone, each serving /data (its local volume) on 8080. */
function echoManifest(storageClass: string): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
---
apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: ${NS}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: echo
  namespace: ${NS}
spec:
  serviceName: echo
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: echo}}
  template:
    metadata:
      labels: {app: echo}
    spec:
      terminationGracePeriodSeconds: 2
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: echo}}}
      containers:
        - name: echo
          image: ${BED_TOOLS_IMAGE}
          imagePullPolicy: Never
          command: [/bin/sh, -c, '[ -f /data/id ] || echo "$HOSTNAME" > /data/id; echo start >> /data/starts; exec httpd -f -p 8080 -h /data']
          readinessProbe:
            tcpSocket: {port: 8080}
            periodSeconds: 1
          volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: ${storageClass}
        resources: {requests: {storage: 100Mi}}
`
}

function pods(cluster: KubeBedCluster): Promise<PodView[]> {
  return podsOf(cluster, NS, 'app=echo')
}

async function waitReady(cluster: KubeBedCluster, count: number, accept: (pods: PodView[]) => boolean = () => true): Promise<PodView[]> {
  const deadline = performance.now() + 120_000
  for (;;) {
    const now = await pods(cluster)
    if (now.length === count && now.every((p) => p.ready) && accept(now)) return now
    if (performance.now() > deadline) {
      const describe = await cluster.plane.kubectl(['describe', 'pods', '-n', NS])
      assert.fail(`pods of ${cluster.name} not Ready in time: ${JSON.stringify(now)}\n${describe.stdout.slice(-3000)}`)
    }
    await sleep(500)
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve(body))
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', reject)
  })
}

/**
 * The Kubernetes test bed (src/local/kube-bed.ts): two Kubernetes clusters of three zones, each zone a
 * real node (kubelet + containerd), one bed for the whole file. The last test stops it and checks that
 * every process is gone and every host setting is back; after() stops it too when a test failed first.
 */
describe('Kubernetes test bed (real kubelets, containerd, CoreDNS, local volumes)', { skip }, () => {
  let bed: KubeBed
  let one: KubeBedCluster
  let two: KubeBedCluster
  const firstPods = new Map<string, PodView[]>()

  before(async () => {
    bed = await startKubeBed()
    ;[one, two] = bed.clusters as [KubeBedCluster, KubeBedCluster]
    console.log(`bed (2 clusters x 3 nodes) started in ${bed.timings.startMs} ms: ${JSON.stringify(bed.timings)}`)
  })

  after(async () => {
    await bed?.stop()
  })

  it('runs two clusters whose nodes are Ready, one per zone, labelled with their zone', async () => {
    for (const cluster of [one, two]) {
      const result = await cluster.plane.kubectl(['get', 'nodes', '-o', 'json'])
      assert.equal(result.code, 0, result.stderr)
      const nodes = (JSON.parse(result.stdout).items as { metadata: { name: string; labels: Record<string, string> }; status: { conditions: { type: string; status: string }[] } }[])
        .map((n) => ({ name: n.metadata.name, zone: n.metadata.labels['topology.kubernetes.io/zone'], ready: n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True') }))
        .sort((a, b) => a.name.localeCompare(b.name))
      assert.deepEqual(nodes, ['a', 'b', 'c'].map((zone) => ({ name: `${cluster.name}-${zone}`, zone, ready: true })))
    }
  })

  it('schedules a StatefulSet one pod per zone, each with a local volume bound on its node', async () => {
    for (const cluster of [one, two]) {
      const applied = await cluster.plane.kubectl(['apply', '-f', '-'], { input: echoManifest(bed.storageClass) })
      assert.equal(applied.code, 0, applied.stderr)
    }
    for (const cluster of [one, two]) {
      const ready = await waitReady(cluster, 3)
      firstPods.set(cluster.name, ready)
      assert.deepEqual(ready.map((p) => p.nodeName.slice(-1)).sort(), ['a', 'b', 'c'], 'one pod per zone')
      const pvcs = await cluster.plane.kubectl(['get', 'pvc', '-n', NS, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.volumeName}={.status.phase}{"\\n"}{end}'])
      for (const pod of ready) {
        const line = pvcs.stdout.split('\n').find((l) => l.startsWith(`data-${pod.name}=`)) ?? ''
        const [, volume, phase] = line.split('=')
        assert.equal(phase, 'Bound', `data-${pod.name} is bound`)
        assert.ok(volume?.startsWith(`${pod.nodeName}-pv-`), `data-${pod.name} is bound to a volume of its node ${pod.nodeName} (got ${volume})`)
      }
    }
  })

  it('gives pods of both clusters one flat network and cluster DNS for both domains', async () => {
    // pod -> pod, k8s-1 -> k8s-2, by the stable name of the other cluster's domain
    const target = `echo-1.echo.${NS}.svc.${two.domain}`
    const exec = await one.plane.kubectl([
      'exec', '-n', NS, 'echo-0', '--', 'sh', '-c',
      `ip=$(nslookup ${target} | awk '/^Address/ {a=$2} END {print a}'); printf 'GET /id HTTP/1.0\\r\\n\\r\\n' | nc -w 5 "$ip" 8080`,
    ])
    assert.equal(exec.code, 0, exec.stderr)
    assert.match(exec.stdout, /\r\n\r\necho-1\n$/, `echo-1 of ${two.name} answered: ${exec.stdout}`)

    // pod -> its cluster's API server, as in-cluster clients find it (the `kubernetes` Service's ClusterIP)
    for (const cluster of [one, two]) {
      const probe = await cluster.plane.kubectl(['exec', '-n', NS, 'echo-0', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 "$KUBERNETES_SERVICE_HOST" "$KUBERNETES_SERVICE_PORT"`])
      assert.equal(probe.code, 0, probe.stderr)
      assert.match(probe.stdout, /HTTP request to an HTTPS server/, `the API server of ${cluster.name} answers at its Service IP: ${probe.stdout}`)
    }

    // host -> pod, by name through the bed's DNS server (the host's own resolver does not know the bed)
    const resolver = new Resolver()
    resolver.setServers([BED_DNS_IP])
    for (const cluster of [one, two]) {
      for (const pod of firstPods.get(cluster.name) ?? []) {
        const [address] = await resolver.resolve4(`${pod.name}.echo.${NS}.svc.${cluster.domain}`)
        assert.equal(address, pod.podIP)
        assert.equal(await httpGet(`http://${address}:8080/id`), `${pod.name}\n`)
      }
    }
  })

  it('brings a deleted pod back on its node with its data', async () => {
    const before = (firstPods.get(one.name) ?? []).find((p) => p.name === 'echo-2')
    assert.ok(before)
    const deleted = await one.plane.kubectl(['delete', 'pod', '-n', NS, 'echo-2', '--wait=true'])
    assert.equal(deleted.code, 0, deleted.stderr)
    const after = (await waitReady(one, 3, (now) => now.find((p) => p.name === 'echo-2')?.uid !== before.uid)).find((p) => p.name === 'echo-2')
    assert.ok(after)
    assert.notEqual(after.uid, before.uid, 'a new pod')
    assert.equal(after.nodeName, before.nodeName, 'on the same node')
    assert.equal(await httpGet(`http://${after.podIP}:8080/id`), 'echo-2\n', 'its volume kept the id it wrote first')
    assert.equal(await httpGet(`http://${after.podIP}:8080/starts`), 'start\nstart\n', 'the same volume, started twice')
  })

  it('stops every process it started and restores every host setting', async () => {
    const pids = [...bed.pids, ...bed.shimPids()]
    assert.ok(bed.shimPids().length >= 6, `a containerd shim per pod runs (${bed.shimPids().length})`)
    const changed = hostSettingsDiff(bed.hostBefore, await readHostSettings())
    assert.ok(changed.some((line) => line.startsWith('bridges')), `the bed changed the host while it ran: ${changed.join('; ')}`)
    const problems = await bed.stop()
    assert.deepEqual(problems, [])
    assert.deepEqual(pids.filter(isAlive), [], 'no bed process, container or shim outlives stop()')
    assert.deepEqual(hostSettingsDiff(bed.hostBefore, await readHostSettings()), [], 'host settings are as before the bed')
  })
})
