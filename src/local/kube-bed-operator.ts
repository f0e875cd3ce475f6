import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse, stringify } from 'yaml'
import { KafkaplaneError } from '../core/errors.ts'
import { LocalCertificateAuthority, type CertificateFiles } from './certificates.ts'
import type { KubeBed, KubeBedCluster } from './kube-bed.ts'

const run = promisify(execFile)
const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url))
/** The operator's namespace on the bed: `kafkaplane install`'s default. */
export const BED_OPERATOR_NAMESPACE = 'kafkaplane-system'

/**
 * The operator on the test bed, installed the way the README tells a user to: the first cluster is its
 * home (`kafkaplane install --image IMG --home-context k8s-1 | kubectl apply`), every other cluster gets
 * its identity (`kafkaplane install --remote | kubectl apply`), and the home cluster the Secret with
 * their contexts (`kafkaplane remote-secret --context k8s-2 | kubectl apply`; the bed's API servers
 * listen on the host's address, which pods reach). Resolves once the operator's pod runs.
 */
export async function installBedOperator(bed: KubeBed, image: string, log: (line: string) => void = () => {}): Promise<void> {
  const [home, ...remotes] = bed.clusters as [KubeBedCluster, ...KubeBedCluster[]]
  await apply(home, await kafkaplane(['install', '--image', image, '--home-context', home.name]), true)
  for (const remote of remotes) {
    await apply(remote, await kafkaplane(['install', '--remote']), true)
    await apply(home, await kafkaplane(['remote-secret', '--context', remote.name, '--kubeconfig', remote.plane.kubeconfigPath]), false)
  }
  log(`operator installed in ${home.name}${remotes.length > 0 ? `, reaching ${remotes.map((r) => r.name).join(', ')}` : ''}`)
  const deadline = performance.now() + 180_000
  for (;;) {
    const phase = await home.plane.kubectl(['get', 'pods', '-n', BED_OPERATOR_NAMESPACE, '-l', 'app.kubernetes.io/component=operator', '-o', 'jsonpath={.items[*].status.phase}'])
    if (phase.code === 0 && phase.stdout.trim() === 'Running') return
    if (performance.now() > deadline) {
      const describe = await home.plane.kubectl(['describe', 'pods', '-n', BED_OPERATOR_NAMESPACE])
      throw new KafkaplaneError('KUBE_REQUEST_FAILED', `the operator's pod did not run within 180 s (phase "${phase.stdout.trim()}")`, { fix: 'read its events below', detail: describe.stdout.slice(-3000) })
    }
    await sleep(1000)
  }
}

/** The name the bed example's SECURE listener's certificates are issued to: its addresses are pod IPs, so clients verify this name (`--tls-server-name`). */
export const BED_TLS_SERVER_NAME = 'kafka.payments.bed'

/** The bed example's certificates, made once in `dir`: a CA, the SECURE listener's certificate and a client's (kept when present). */
export async function bedCertificates(dir: string): Promise<{ authority: LocalCertificateAuthority; server: CertificateFiles; client: CertificateFiles }> {
  const authority = await LocalCertificateAuthority.open(dir, 'kafkaplane test bed CA')
  const server = await authority.issue({ name: 'secure-1', commonName: BED_TLS_SERVER_NAME, dnsNames: [BED_TLS_SERVER_NAME], usage: 'server' })
  const client = await authority.issue({ name: 'client', commonName: 'kafkaplane-client', usage: 'client' })
  return { authority, server, client }
}

/**
 * A TLS listener's Secret (the bed example's `payments-tls`) as cert-manager writes it: type
 * kubernetes.io/tls, `tls.crt`, `tls.key` in PKCS#1 (cert-manager's default encoding, which Kafka's PEM
 * key store cannot read: the operator's copy re-encodes it) and `ca.crt`, the CA of the clients.
 */
export async function bedTlsSecret(namespace: string, name: string, authority: LocalCertificateAuthority, certificate: CertificateFiles): Promise<string> {
  const base64 = async (file: string) => (await readFile(file)).toString('base64')
  const key = (await run('openssl', ['pkey', '-in', certificate.keyFile, '-traditional'])).stdout
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': await base64(certificate.certFile), 'tls.key': Buffer.from(key).toString('base64'), 'ca.crt': await base64(authority.ca.certFile) },
  })
}

/** Creates `namespace` in every cluster of the bed (a KafkaCluster's objects go to the same namespace everywhere) and applies `manifest` (YAML) in the home cluster. */
export async function applyOnBed(bed: KubeBed, namespace: string, manifest: string): Promise<void> {
  for (const cluster of bed.clusters) {
    const exists = await cluster.plane.kubectl(['get', 'namespace', namespace])
    if (exists.code !== 0) await kubectl(cluster, ['create', 'namespace', namespace])
  }
  await apply(bed.clusters[0]!, manifest, false)
}

async function kafkaplane(args: string[]): Promise<string> {
  try {
    return (await run(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { maxBuffer: 64 << 20 })).stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new KafkaplaneError('KUBE_REQUEST_FAILED', `kafkaplane ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`, { fix: 'see the message above' })
  }
}

async function apply(cluster: KubeBedCluster, manifest: string, serverSide: boolean): Promise<void> {
  await kubectl(cluster, ['apply', ...(serverSide ? ['--server-side'] : []), '-f', '-'], manifest)
}

async function kubectl(cluster: KubeBedCluster, args: string[], input?: string): Promise<string> {
  const result = await cluster.plane.kubectl(args, { ...(input === undefined ? {} : { input }), timeoutMs: 120_000 })
  if (result.code !== 0) {
    throw new KafkaplaneError('KUBE_REQUEST_FAILED', `kubectl ${args.join(' ')} on ${cluster.name} failed: ${result.stderr.trim()}`, { fix: `check the bed's API server of ${cluster.name}` })
  }
  return result.stdout
}

/** Waits until `count` broker pods of `namespace` are Ready over the bed's clusters; resolves to how long it took (ms). */
export async function waitBrokersReady(bed: KubeBed, namespace: string, count: number, timeoutMs = 600_000): Promise<number> {
  const started = performance.now()
  for (;;) {
    let ready = 0
    for (const cluster of bed.clusters) {
      const result = await cluster.plane.kubectl(['get', 'pods', '-n', namespace, '-l', 'app.kubernetes.io/component=broker', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}'])
      if (result.code === 0) ready += result.stdout.split('\n').filter((s) => s === 'True').length
    }
    if (ready >= count) return Math.round(performance.now() - started)
    if (performance.now() - started > timeoutMs) {
      throw new KafkaplaneError('KUBE_REQUEST_FAILED', `${ready} of ${count} brokers Ready after ${Math.round(timeoutMs / 1000)} s`, { fix: `kubectl describe pods -n ${namespace} in each cluster, and the operator's log` })
    }
    await sleep(2000)
  }
}

/** One kubeconfig with every cluster of the bed, its contexts named after them (k8s-1, k8s-2), for kubectl and kafkaplane. */
export async function bedKubeconfig(bed: KubeBed): Promise<string> {
  const configs = await Promise.all(bed.clusters.map(async (c) => parse(await readFile(c.plane.kubeconfigPath, 'utf8')) as { clusters: unknown[]; users: unknown[]; contexts: unknown[] }))
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: configs.flatMap((c) => c.clusters),
    users: configs.flatMap((c) => c.users),
    contexts: configs.flatMap((c) => c.contexts),
    'current-context': bed.clusters[0]!.name,
  })
}
