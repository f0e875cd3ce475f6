// scripts/kube-bed: the Kubernetes test bed for a person, like kind for Strimzi. Starts two Kubernetes
// clusters of three zones on this machine (src/local/kube-bed.ts), builds the kafkaplane image and
// imports it into every node, installs the operator as the README says (src/local/kube-bed-operator.ts),
// applies a KafkaCluster (examples/kube-bed-kafka-cluster.yaml, or -f FILE) and waits for its brokers;
// writes a kubeconfig with both clusters, prints how to use it, and keeps the bed until Ctrl-C or
// SIGTERM, when it stops everything and restores the host.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parse } from 'yaml'
import { isKafkaplaneError } from '../core/errors.ts'
import { buildKafkaplaneImage } from './kafkaplane-image.ts'
import { startKubeBed, type KubeBed } from './kube-bed.ts'
import { applyOnBed, BED_TLS_SERVER_NAME, bedCertificates, bedKubeconfig, bedTlsSecret, installBedOperator, waitBrokersReady } from './kube-bed-operator.ts'
import { stateDir } from './paths.ts'

const EXAMPLE = fileURLToPath(new URL('../../examples/kube-bed-kafka-cluster.yaml', import.meta.url))
const USAGE = 'usage: scripts/kube-bed [-f KAFKACLUSTER.yaml] [--no-kafka-cluster]'

let bed: KubeBed | undefined
try {
  const { values } = parseArgs({ options: { file: { type: 'string', short: 'f' }, 'no-kafka-cluster': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const file = values.file ?? EXAMPLE
  const manifest = values['no-kafka-cluster'] ? undefined : await readFile(file, 'utf8')
  const resource = manifest === undefined ? undefined : (parse(manifest) as { metadata?: { name?: string; namespace?: string }; spec?: { topology?: { clusters?: { brokerIds?: { count?: number } }[] } } })
  const say = (line: string) => console.log(`kube-bed: ${line}`)
  const image = await buildKafkaplaneImage({ onProgress: say })
  say(`image ${image.reference} (${(image.bytes / 2 ** 20).toFixed(1)} MiB, ${image.cached ? 'cached' : `built in ${Math.round(image.tookMs / 1000)} s`})`)
  bed = await startKubeBed({ images: [image] })
  say(`bed started in ${Math.round(bed.timings.startMs / 1000)} s: clusters ${bed.clusters.map((c) => `${c.name} (nodes ${c.nodes.map((n) => n.name).join(', ')})`).join('; ')}`)
  const kubeconfig = join(stateDir(process.env), 'kube-bed', 'kubeconfig')
  const tls = await bedCertificates(join(stateDir(process.env), 'kube-bed', 'tls'))
  await mkdir(join(stateDir(process.env), 'kube-bed'), { recursive: true })
  await writeFile(kubeconfig, await bedKubeconfig(bed), { mode: 0o600 })
  await installBedOperator(bed, image.reference, say)
  if (manifest !== undefined && resource) {
    const namespace = resource.metadata?.namespace ?? 'default'
    // The example's SECURE listener's Secret (a CA and certificates kept in the bed's state directory).
    if (values.file === undefined) await applyOnBed(bed, namespace, await bedTlsSecret(namespace, 'payments-tls', tls.authority, tls.server))
    await applyOnBed(bed, namespace, manifest)
    const brokers = (resource.spec?.topology?.clusters ?? []).reduce((n, c) => n + (c.brokerIds?.count ?? 0), 0)
    say(`KafkaCluster ${resource.metadata?.name} applied from ${file}; waiting for its ${brokers} brokers`)
    const ms = await waitBrokersReady(bed, namespace, brokers)
    say(`${brokers} brokers Ready in ${Math.round(ms / 1000)} s`)
  }
  const [home] = bed.clusters
  console.log(`
The bed runs until Ctrl-C. In another terminal:
  export KUBECONFIG=${kubeconfig}
  kubectl --context ${home!.name} get kafkaclusters,kafkatopics -A      # kubectl: ${home!.plane.binDir}/kubectl
  kubectl --context ${home!.name} logs -n kafkaplane-system deploy/kafkaplane-operator
  kubectl --context ${bed.clusters.map((c) => c.name).join('|')} get pods -n kafka -o wide
Clients on this machine reach brokers at their pod IPs (the example's EXTERNAL listener, port 9094):
  bin/kafkaplane status --bootstrap-server <pod IP>:9094
and over mTLS at the SECURE listener, port 9095 (the example's certificates are in ${tls.authority.dir}):
  bin/kafkaplane status --bootstrap-server <pod IP>:9095 --tls-ca-file ${tls.authority.ca.certFile} --tls-cert-file ${tls.client.certFile} --tls-key-file ${tls.client.keyFile} --tls-server-name ${BED_TLS_SERVER_NAME}
Pod names resolve through the bed's DNS server: dig @${bed.dnsServer} payments-k8s-1-0.payments-k8s-1.kafka.svc.k8s-1.local`)
  // Signal handlers alone do not keep Node running: without the timer it would exit here, leaving the bed.
  const keepAlive = setInterval(() => {}, 60_000)
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  clearInterval(keepAlive)
  say(`${signal}: stopping the bed and restoring the host`)
} catch (err) {
  if (!isKafkaplaneError(err)) {
    console.error(err)
    process.exitCode = 1
  } else {
    console.error(`kube-bed: error [${err.code}]: ${err.message}\nfix: ${err.fix}${err.detail ? `\n${err.detail}` : ''}`)
    process.exitCode = err.exitCode
  }
} finally {
  const problems = (await bed?.stop()) ?? []
  if (problems.length > 0) {
    console.error(`kube-bed: the host was not fully restored:\n  ${problems.join('\n  ')}`)
    process.exitCode = 1
  } else if (bed) console.log('kube-bed: stopped; the host is as before')
}
