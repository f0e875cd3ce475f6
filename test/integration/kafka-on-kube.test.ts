import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildKafkaplaneImage, type KafkaplaneImage } from '../../src/local/kafkaplane-image.ts'
import { startKubeBed, type KubeBed, type KubeBedCluster } from '../../src/local/kube-bed.ts'
import { runCli } from './support/cli.ts'
import { bedSkip, podsOf, type PodView } from './support/kube-bed.ts'

/** Not in the default run yet (issue 11): it passed once (6 brokers Ready 336 s after the apply, at load
 * ~50; about 10 minutes for the file) and must prove reliable and fast enough for CI first. */
const RUN_ENV = 'KAFKAPLANE_KAFKA_ON_KUBE'
const skip = bedSkip() || (process.env[RUN_ENV] === '1' ? false : `unfinished: set ${RUN_ENV}=1 to run Kafka on the Kubernetes test bed`)
const EXAMPLE = fileURLToPath(new URL('../../examples/kube-bed-kafka-cluster.yaml', import.meta.url))
const NS = 'kafka'

/** The broker pods; none when the API server did not answer in time (a busy machine): the caller polls. */
function brokerPods(cluster: KubeBedCluster): Promise<PodView[]> {
  return podsOf(cluster, NS, 'app.kubernetes.io/component=broker').catch(() => [])
}

/**
 * Kafka in real pods: the kafkaplane image built here without an engine, the bed's KafkaCluster
 * (examples/kube-bed-kafka-cluster.yaml: 2 Kubernetes clusters x 3 zones, 6 brokers) rendered per
 * Kubernetes cluster by `kafkaplane render` and applied with kubectl, on one shared bed.
 */
describe('Kafka on the Kubernetes test bed (kafkaplane image, rendered KafkaCluster, 2 clusters x 3 zones)', { skip }, () => {
  let image: KafkaplaneImage
  let bed: KubeBed
  let clusters: KubeBedCluster[]

  before(async () => {
    image = await buildKafkaplaneImage({ onProgress: (line) => console.log(line) })
    console.log(`image build: ${image.tookMs} ms (${image.cached ? 'cached' : 'built'}), ${(image.bytes / 2 ** 20).toFixed(1)} MiB: ${image.reference}`)
    bed = await startKubeBed({ images: [image] })
    clusters = [...bed.clusters]
    console.log(`bed with the image started in ${bed.timings.startMs} ms: ${JSON.stringify(bed.timings)}`)
  })

  after(async () => {
    const problems = await bed?.stop()
    assert.deepEqual(problems ?? [], [], 'the host is restored')
  })

  it('runs the kafkaplane image as the broker uid on a read-only root: JRE, Node 22, Kafka jars, kafkaplane', async () => {
    const [one] = clusters as [KubeBedCluster]
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: image-check, namespace: default}
spec:
  restartPolicy: Never
  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: check
      image: ${image.reference}
      imagePullPolicy: Never
      command: [sh, -c, 'java -version 2>&1 | head -n 1; node --version; kafka-storage.sh random-uuid; kafkaplane render --help | head -n 1; id -u']
      securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
      volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes: [{name: tmp, emptyDir: {}}]
`
    const applied = await one.plane.kubectl(['apply', '-f', '-'], { input: pod })
    assert.equal(applied.code, 0, applied.stderr)
    const deadline = performance.now() + 120_000
    let phase = ''
    while (performance.now() < deadline) {
      phase = (await one.plane.kubectl(['get', 'pod', 'image-check', '-o', 'jsonpath={.status.phase}'])).stdout
      if (phase === 'Succeeded' || phase === 'Failed') break
      await sleep(500)
    }
    const logs = await one.plane.kubectl(['logs', 'image-check'])
    assert.equal(phase, 'Succeeded', `the check pod ended ${phase}: ${logs.stdout}${logs.stderr}`)
    const lines = logs.stdout.trim().split('\n')
    assert.deepEqual(lines.length, 5, `one line per check: ${logs.stdout}`)
    assert.match(lines[0] ?? '', /openjdk version "17\./, 'the JRE from Debian')
    assert.match(lines[1] ?? '', /^v22\./, 'Node 22')
    assert.match(lines[2] ?? '', /^[A-Za-z0-9_-]{22}$/, 'Kafka\'s StorageTool from the jars makes a cluster id')
    assert.match(lines[3] ?? '', /render/i, 'kafkaplane runs')
    assert.equal(lines[4], '1000', 'as the broker uid')
  })

  it('runs the rendered KafkaCluster: 6 broker pods, one per node, Ready through the probe sidecar, one KRaft quorum', async () => {
    for (const cluster of clusters) {
      const rendered = await runCli(['render', '-f', EXAMPLE, '--cluster', cluster.name])
      assert.equal(rendered.code, 0, rendered.stderr)
      const ns = await cluster.plane.kubectl(['create', 'namespace', NS])
      assert.equal(ns.code, 0, ns.stderr)
      const applied = await cluster.plane.kubectl(['apply', '-f', '-'], { input: rendered.stdout })
      assert.equal(applied.code, 0, applied.stderr)
    }
    const started = performance.now()
    const deadline = started + 480_000
    let pods: PodView[][] = []
    for (;;) {
      pods = await Promise.all(clusters.map(brokerPods))
      if (pods.every((list) => list.length === 3 && list.every((p) => p.ready))) break
      if (performance.now() > deadline) {
        const describe = await clusters[0]!.plane.kubectl(['describe', 'pods', '-n', NS])
        assert.fail(`brokers not Ready in time: ${JSON.stringify(pods)}\n${describe.stdout.slice(-4000)}`)
      }
      await sleep(2000)
    }
    console.log(`6 brokers Ready ${Math.round(performance.now() - started)} ms after the apply`)
    for (const [i, cluster] of clusters.entries()) {
      assert.deepEqual(
        (pods[i] ?? []).map((p) => p.nodeName).sort(),
        ['a', 'b', 'c'].map((zone) => `${cluster.name}-${zone}`),
        `one broker per node of ${cluster.name}`,
      )
    }
    // kafkaplane inside a broker pod reads the whole stretched cluster
    const status = await clusters[0]!.plane.kubectl(['exec', '-n', NS, 'payments-k8s-1-0', '-c', 'kafka', '--', 'kafkaplane', 'status', '--json', '--bootstrap-server', '127.0.0.1:9092'], { timeoutMs: 120_000 })
    assert.equal(status.code, 0, `${status.stdout}${status.stderr}`)
    const report = JSON.parse(status.stdout) as { brokers: { id: number; state: string; labels: Record<string, string> }[]; quorum?: { voters: { id: number }[] } }
    const summary = status.stdout.slice(0, 2000)
    assert.deepEqual(report.brokers.map((b) => [b.id, b.state]), [0, 1, 2, 100, 101, 102].map((id) => [id, 'up']), `6 brokers up: ${summary}`)
    for (const ids of [[0, 1, 2], [100, 101, 102]]) {
      const racks = report.brokers.filter((b) => ids.includes(b.id)).map((b) => b.labels.rack).sort()
      assert.deepEqual(racks, ['a', 'b', 'c'], `brokers ${ids.join(', ')} have their pods' zones as racks, one per zone`)
    }
    assert.deepEqual((report.quorum?.voters ?? []).map((v) => v.id).sort((x, y) => x - y), [0, 2, 101], 'one KRaft quorum over both Kubernetes clusters')
  })
})
