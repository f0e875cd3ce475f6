/**
 * Benchmark: the Kubernetes test bed with Kafka (issue 11): the kafkaplane image build (cached by
 * content: the figure is the cached one unless its inputs changed; the cold build is measured by
 * removing $KAFKAPLANE_CACHE/images first), the bed start (2 clusters x 3 nodes, the image imported into
 * every node), the operator installed as the README says, the bed's KafkaCluster
 * (examples/kube-bed-kafka-cluster.yaml) applied -> all 6 brokers Ready, and the resident memory of the
 * whole bed: every process it started (control planes, CoreDNS, containerds, kubelets), the containers'
 * shims and everything running in the containers (brokers, probe sidecars, the operator).
 *
 *   bench/run kube-bed [--bed-only]      (root, cgroup v1; --bed-only: the bare bed, no image or Kafka)
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildKafkaplaneImage } from '../src/local/kafkaplane-image.ts'
import { startKubeBed, type KubeBed } from '../src/local/kube-bed.ts'
import { applyOnBed, bedCertificates, bedTlsSecret, installBedOperator, waitBrokersReady } from '../src/local/kube-bed-operator.ts'

const { values } = parseArgs({ options: { 'bed-only': { type: 'boolean' } } })
const EXAMPLE = fileURLToPath(new URL('../examples/kube-bed-kafka-cluster.yaml', import.meta.url))
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
console.log(`machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`)

/** Resident memory (kB) of these pids and all their descendants, by /proc. */
async function residentKb(roots: readonly number[]): Promise<{ kb: number; processes: number }> {
  const parent = new Map<number, number>()
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (stat) parent.set(Number(entry), ppid)
  }
  const inside = new Set(roots)
  let grew = true
  while (grew) {
    grew = false
    for (const [pid, ppid] of parent) if (!inside.has(pid) && inside.has(ppid)) grew = inside.add(pid) !== undefined
  }
  let kb = 0
  for (const pid of inside) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    kb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0)
  }
  return { kb, processes: inside.size }
}

let bed: KubeBed | undefined
try {
  const image = values['bed-only'] ? undefined : await buildKafkaplaneImage()
  if (image) console.log(`image build: ${s(image.tookMs)} (${image.cached ? 'cached' : 'built'}), ${(image.bytes / 2 ** 20).toFixed(1)} MiB`)
  bed = await startKubeBed({ images: image ? [image] : [] })
  console.log(`bed start: ${s(bed.timings.startMs)} (planes ${s(bed.timings.planesMs)}, nodes ${s(bed.timings.nodesMs)}${image ? ', incl. importing the image into 6 containerds' : ''})`)
  const idle = await residentKb([...bed.pids, ...bed.shimPids()])
  console.log(`bed memory at rest: ${(idle.kb / 1024).toFixed(0)} MiB resident in ${idle.processes} processes`)
  if (image) {
    const started = performance.now()
    await installBedOperator(bed, image.reference)
    const installedMs = performance.now() - started
    // The example's SECURE listener needs its Secret (certificates made in a temporary folder).
    const tls = await bedCertificates(await mkdtemp(join(tmpdir(), 'kube-bed-tls-')))
    await applyOnBed(bed, 'kafka', await bedTlsSecret('kafka', 'payments-tls', tls.authority, tls.server))
    await rm(tls.authority.dir, { recursive: true, force: true })
    await applyOnBed(bed, 'kafka', await readFile(EXAMPLE, 'utf8'))
    const readyMs = await waitBrokersReady(bed, 'kafka', 6)
    console.log(`operator installed and running: ${s(installedMs)}; KafkaCluster applied -> 6 brokers Ready: ${s(readyMs)}`)
    const loaded = await residentKb([...bed.pids, ...bed.shimPids()])
    console.log(`bed memory with the operator and 6 brokers: ${(loaded.kb / 1024).toFixed(0)} MiB resident in ${loaded.processes} processes`)
  }
} finally {
  const problems = (await bed?.stop()) ?? []
  if (problems.length > 0) console.log(`host not fully restored: ${problems.join('; ')}`)
}
