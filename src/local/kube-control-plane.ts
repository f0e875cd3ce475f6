import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { stringify } from 'yaml'
import { isKafkaplaneError, KafkaplaneError } from '../core/errors.ts'
import { isAlive } from './broker-process.ts'
import { LocalCertificateAuthority, type CertificateFiles } from './certificates.ts'
import { findFreePorts } from './free-ports.ts'
import { kubeBinary, locateKubeBinaries, type KubeBinaries } from './kube-binaries.ts'

export interface KubeControlPlaneOptions {
  /**
   * Where the plane keeps its certificates (`pki/`), etcd data (`etcd/`), admin kubeconfig and one log
   * file per process (`<process>.log`). Default: a new temp dir, which stop() removes. A given dir is
   * kept, and a plane started again in it (on new ports) finds its CA, certificates and etcd data.
   */
  dir?: string
  /** Also run kube-controller-manager, so that StatefulSets create Pods (and namespaces get their
   * default ServiceAccount). Default false: the ServiceAccount admission plugin is then disabled. */
  controllerManager?: boolean
  /**
   * Make the plane ready for real nodes (src/local/kube-bed.ts): also run kube-scheduler, run the
   * controller-manager with the controllers real pods need (BED_CONTROLLERS: node lifecycle, endpoint
   * slices, volume binding, deployments ...), and let the apiserver reach kubelets (a kubelet client
   * certificate, kubelet serving certificates checked against the plane's CA, `Node,RBAC`
   * authorization). Implies `controllerManager`. Default false.
   */
  realNodes?: boolean
  /**
   * The address kube-apiserver listens on and advertises (its serving certificate names it too), and
   * which the admin kubeconfig points at. Default 127.0.0.1. The test bed gives the host's own address,
   * so that pods reach the apiserver (the operator's in-cluster client, remote-cluster kubeconfigs).
   */
  listenAddress?: string
  /** Names the kubeconfig's cluster, user and context (`<name>`, `<name>-admin`). Default `kube-<n>`. */
  name?: string
  /** The binaries to run. Default: locateKubeBinaries() (which builds them on a fresh machine). */
  binaries?: KubeBinaries
  /** How long each process may take to become healthy: milliseconds, default 120 000. */
  readyTimeoutMs?: number
}

export interface KubectlResult {
  /** Exit code; -1 when kubectl was killed (timeout) or could not start. */
  code: number
  stdout: string
  stderr: string
}

/** How long each step of the start took, in milliseconds; `startMs` is the whole start. */
export interface KubeControlPlaneTimings {
  binariesMs: number
  certificatesMs: number
  etcdMs: number
  apiserverMs: number
  controllerManagerMs: number | undefined
  schedulerMs: number | undefined
  startMs: number
}

export interface KubeControlPlane {
  readonly name: string
  readonly dir: string
  /** Admin kubeconfig (user in group system:masters); its current context is named after the plane. */
  readonly kubeconfigPath: string
  /** The API server's URL, `https://<listenAddress>:<port>`. */
  readonly server: string
  readonly binDir: string
  /** The plane's CA certificate (its key is beside it, `ca.key`: LocalCertificateAuthority.open(dirname) issues more). */
  readonly caFile: string
  readonly timings: KubeControlPlaneTimings
  /** Pids of the processes still owned by this plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler. */
  readonly pids: readonly number[]
  /** Runs kubectl against this plane (its kubeconfig, a cache dir inside the plane's dir). Never throws
   * for a failed command: read `code`. Default timeout 60 s. */
  kubectl(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>
  /**
   * Stops kube-scheduler, kube-controller-manager, then kube-apiserver, then etcd (an apiserver whose etcd is gone
   * hangs for minutes on shutdown), each by pid with SIGTERM and SIGKILL after a grace period, and
   * removes the plane's dir when it made it. Idempotent; concurrent calls share one stop.
   */
  stop(): Promise<void>
}

const STOP_GRACE_MS = 15_000
/** Every plane's Service IP range, and the ClusterIP of its `kubernetes` Service (the apiserver, as
 * pods' in-cluster clients find it in KUBERNETES_SERVICE_HOST). */
export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24'
export const KUBERNETES_SERVICE_IP = '10.0.0.1'
/** The controllers of a plane with real nodes: what StatefulSets, Deployments, Services (as DNS names
 * through endpoint slices), local PersistentVolumes, node failures and service-account token Secrets
 * (a remote cluster's credentials for the operator, `kafkaplane install --remote`) need. */
export const BED_CONTROLLERS = [
  'statefulset-controller', 'deployment-controller', 'replicaset-controller', 'serviceaccount-controller',
  'serviceaccount-token-controller', 'root-ca-certificate-publisher-controller', 'garbage-collector-controller', 'namespace-controller',
  'node-lifecycle-controller', 'taint-eviction-controller', 'endpointslice-controller', 'disruption-controller',
  'persistentvolume-binder-controller', 'persistentvolume-protection-controller',
  'persistentvolumeclaim-protection-controller', 'pod-garbage-collector-controller',
] as const
const ENVTEST_CONTROLLERS = ['statefulset-controller', 'serviceaccount-controller', 'garbage-collector-controller', 'namespace-controller', 'disruption-controller'] as const
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path))
let planes = 0

/**
 * Starts a Kubernetes control plane on loopback, envtest style: etcd, kube-apiserver and (when asked)
 * kube-controller-manager as child processes of this one, with no kubelet or scheduler (Pods stay
 * Pending until somebody writes their status); with `realNodes`, also kube-scheduler, ready for the
 * kubelets of src/local/kube-bed.ts. Several planes run side by side, each with its own
 * etcd and ports: they stand for several Kubernetes clusters.
 *
 * 1. Locate the binaries (scripts/fetch-kube.sh; builds them on a fresh machine).
 * 2. Make a CA, the apiserver's serving certificate (SANs localhost, kubernetes.default.svc,
 *    127.0.0.1, 10.0.0.1 and the listen address), an admin client certificate (O=system:masters) and the service-account
 *    signing key pair.
 * 3. Pick free loopback ports below 32768: etcd client and peer, apiserver, controller-manager, scheduler (when a
 *    process then finds its port taken by somebody else, start again on new ports, up to 3 times);
 *    write the admin kubeconfig (certificates embedded) for them.
 * 4. Start etcd and wait for GET /health; start kube-apiserver and wait for GET /healthz (served to
 *    anonymous users); start kube-controller-manager and wait for its /healthz (self-signed); then
 *    kube-scheduler likewise.
 *
 * A process that exits, or is not healthy within `readyTimeoutMs`, fails the start with
 * CONTROL_PLANE_START_FAILED naming the process and the tail of its log; whatever was started is
 * stopped first, and the dir is kept for its logs. Processes share our process group (a Ctrl-C in the
 * terminal reaches them) and are SIGKILLed when this process dies without calling stop() (however it
 * dies, where util-linux's setpriv is installed).
 */
export async function startKubeControlPlane(options: KubeControlPlaneOptions = {}): Promise<KubeControlPlane> {
  const started = performance.now()
  const name = options.name ?? `kube-${++planes}`
  const binaries = options.binaries ?? (await locateKubeBinaries())
  const binariesMs = options.binaries ? 0 : Math.round(performance.now() - started)
  const ownsDir = options.dir === undefined
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `kafkaplane-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-`)))
  await mkdir(dir, { recursive: true })
  let processes = new ProcessGroup()
  try {
    const mark = performance.now()
    const pki = await LocalCertificateAuthority.open(join(dir, 'pki'), `kafkaplane ${name} CA`)
    const files: PlaneFiles = {
      dir,
      kubeconfig: join(dir, 'admin.kubeconfig'),
      ca: pki.ca.certFile,
      serving: await pki.issue({
        name: 'apiserver',
        commonName: 'kube-apiserver',
        dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
        ipAddresses: [...new Set(['127.0.0.1', KUBERNETES_SERVICE_IP, options.listenAddress ?? '127.0.0.1'])],
        usage: 'server',
      }),
      admin: await pki.issue({ name: 'admin', commonName: 'admin', organization: 'system:masters', usage: 'client' }),
      serviceAccount: await pki.keyPair('sa'),
      kubeletClient: options.realNodes
        ? await pki.issue({ name: 'apiserver-kubelet-client', commonName: 'kube-apiserver-kubelet-client', organization: 'system:masters', usage: 'client' })
        : undefined,
    }
    const certificatesMs = Math.round(performance.now() - mark)

    // Ports are free when picked, yet another process may bind one before ours does: then start again on new ones.
    for (let attempt = 1; ; attempt++) {
      try {
        const ports = await findFreePorts(5)
        const steps = await startProcesses(name, binaries, files, ports, processes, options)
        const timings = { binariesMs, certificatesMs, ...steps, startMs: Math.round(performance.now() - started) }
        return plane({ name, dir, ownsDir, kubeconfigPath: files.kubeconfig, caFile: files.ca, server: `https://${options.listenAddress ?? '127.0.0.1'}:${ports[2]}`, binaries, timings, processes })
      } catch (err) {
        if (attempt >= 3 || !isKafkaplaneError(err, 'CONTROL_PLANE_START_FAILED') || !/address already in use/.test(err.detail ?? '')) throw err
        await processes.stopAll()
        processes = new ProcessGroup()
      }
    }
  } catch (err) {
    await processes.stopAll()
    if (err instanceof KafkaplaneError) throw err
    throw new KafkaplaneError('CONTROL_PLANE_START_FAILED', `Kubernetes control plane ${name} did not start: ${(err as Error).message}`, {
      fix: `read the logs in ${dir}`,
      cause: err,
    })
  }
}

interface PlaneFiles {
  dir: string
  kubeconfig: string
  ca: string
  serving: CertificateFiles
  admin: CertificateFiles
  serviceAccount: { privateKeyFile: string; publicKeyFile: string }
  kubeletClient: CertificateFiles | undefined
}

/** Writes the kubeconfig for these ports, then starts etcd, kube-apiserver, kube-controller-manager and kube-scheduler in turn. */
async function startProcesses(
  name: string,
  binaries: KubeBinaries,
  files: PlaneFiles,
  ports: readonly number[],
  processes: ProcessGroup,
  options: KubeControlPlaneOptions,
): Promise<Pick<KubeControlPlaneTimings, 'etcdMs' | 'apiserverMs' | 'controllerManagerMs' | 'schedulerMs'>> {
  const [etcdPort, etcdPeerPort, apiserverPort, controllerManagerPort, schedulerPort] = ports
  const { dir, serving, serviceAccount } = files
  const address = options.listenAddress ?? '127.0.0.1'
  const server = `https://${address}:${apiserverPort}`
  await writeFile(files.kubeconfig, await adminKubeconfig(name, server, files.ca, files.admin), { mode: 0o600 })
  const caPem = await readFile(files.ca, 'utf8')
  const deadline = () => performance.now() + (options.readyTimeoutMs ?? 120_000)

  let mark = performance.now()
  const etcdUrl = `http://127.0.0.1:${etcdPort}`
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`
  const etcd = processes.spawn('etcd', kubeBinary(binaries, 'etcd'), dir, [
    `--name=${name}`,
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
    '--unsafe-no-fsync=true',
  ])
  await waitHealthy(etcd, `${etcdUrl}/health`, {}, (body) => /"health":\s*"true"/.test(body), deadline())
  const etcdMs = Math.round(performance.now() - mark)

  mark = performance.now()
  const realNodes = options.realNodes ?? false
  const controllerManager = realNodes || (options.controllerManager ?? false)
  const kubeletClient = files.kubeletClient
  const apiserver = processes.spawn('kube-apiserver', kubeBinary(binaries, 'kube-apiserver'), dir, [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${apiserverPort}`,
    `--cert-dir=${join(dir, 'kube-apiserver')}`,
    `--tls-cert-file=${serving.certFile}`,
    `--tls-private-key-file=${serving.keyFile}`,
    `--client-ca-file=${files.ca}`,
    realNodes ? '--authorization-mode=Node,RBAC' : '--authorization-mode=RBAC',
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--allow-privileged=true',
    `--service-account-issuer=${server}/`,
    `--service-account-key-file=${serviceAccount.publicKeyFile}`,
    `--service-account-signing-key-file=${serviceAccount.privateKeyFile}`,
    '--endpoint-reconciler-type=none',
    ...(controllerManager ? [] : ['--disable-admission-plugins=ServiceAccount']),
    ...(realNodes && kubeletClient
      ? [
          `--kubelet-client-certificate=${kubeletClient.certFile}`,
          `--kubelet-client-key=${kubeletClient.keyFile}`,
          `--kubelet-certificate-authority=${files.ca}`,
          '--kubelet-preferred-address-types=InternalIP',
        ]
      : []),
  ])
  await waitHealthy(apiserver, `${server}/healthz`, { ca: caPem }, (body) => body.trim() === 'ok', deadline())
  const apiserverMs = Math.round(performance.now() - mark)

  if (!controllerManager) return { etcdMs, apiserverMs, controllerManagerMs: undefined, schedulerMs: undefined }
  mark = performance.now()
  const manager = processes.spawn('kube-controller-manager', kubeBinary(binaries, 'kube-controller-manager'), dir, [
    `--kubeconfig=${files.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${controllerManagerPort}`,
    `--cert-dir=${join(dir, 'kube-controller-manager')}`,
    '--leader-elect=false',
    `--root-ca-file=${files.ca}`,
    `--service-account-private-key-file=${serviceAccount.privateKeyFile}`,
    `--controllers=${(realNodes ? BED_CONTROLLERS : ENVTEST_CONTROLLERS).join(',')}`,
  ])
  await waitHealthy(manager, `https://127.0.0.1:${controllerManagerPort}/healthz`, { rejectUnauthorized: false }, (body) => body.trim() === 'ok', deadline())
  const controllerManagerMs = Math.round(performance.now() - mark)
  if (!realNodes) return { etcdMs, apiserverMs, controllerManagerMs, schedulerMs: undefined }

  mark = performance.now()
  const scheduler = processes.spawn('kube-scheduler', kubeBinary(binaries, 'kube-scheduler'), dir, [
    `--kubeconfig=${files.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${schedulerPort}`,
    `--cert-dir=${join(dir, 'kube-scheduler')}`,
    '--leader-elect=false',
  ])
  await waitHealthy(scheduler, `https://127.0.0.1:${schedulerPort}/healthz`, { rejectUnauthorized: false }, (body) => body.trim() === 'ok', deadline())
  return { etcdMs, apiserverMs, controllerManagerMs, schedulerMs: Math.round(performance.now() - mark) }
}

function plane(parts: {
  name: string
  dir: string
  ownsDir: boolean
  kubeconfigPath: string
  caFile: string
  server: string
  binaries: KubeBinaries
  timings: KubeControlPlaneTimings
  processes: ProcessGroup
}): KubeControlPlane {
  const { dir, kubeconfigPath, processes } = parts
  let stopping: Promise<void> | undefined
  return {
    name: parts.name,
    dir,
    kubeconfigPath,
    server: parts.server,
    caFile: parts.caFile,
    binDir: parts.binaries.binDir,
    timings: parts.timings,
    get pids() {
      return processes.pids()
    },
    kubectl: (args, options = {}) =>
      runKubectl(
        kubeBinary(parts.binaries, 'kubectl'),
        ['--kubeconfig', kubeconfigPath, '--cache-dir', join(dir, 'kubectl-cache'), ...args],
        options.input,
        options.timeoutMs ?? 60_000,
        { ...process.env, KUBECONFIG: kubeconfigPath },
      ),
    stop: () =>
      (stopping ??= (async () => {
        await processes.stopAll()
        if (parts.ownsDir) await rm(dir, { recursive: true, force: true })
      })()),
  }
}

async function adminKubeconfig(name: string, server: string, caFile: string, admin: { certFile: string; keyFile: string }): Promise<string> {
  const base64 = async (file: string) => (await readFile(file)).toString('base64')
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': await base64(caFile) } }],
    users: [{ name: `${name}-admin`, user: { 'client-certificate-data': await base64(admin.certFile), 'client-key-data': await base64(admin.keyFile) } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
  })
}

/** One process of a plane or bed: its output goes to `<dir>/<name>.log`. */
export interface PlaneProcess {
  name: string
  logFile: string
  child: ChildProcess
  pid: number
  /** Set once the process has exited: its exit code, or the signal that ended it. */
  exit: string | undefined
  exited: Promise<void>
}

/**
 * The processes of one plane, in start order. They are killed (SIGKILL) when this Node process exits
 * while they still run, so a test that dies before its `after()` hook leaves nothing behind: by an
 * 'exit' hook, and, for deaths that skip it (a signal, SIGKILL), by the kernel: each binary is started
 * through util-linux's `setpriv --pdeathsig KILL`, which execs it (same pid) with a parent-death signal.
 */
export class ProcessGroup {
  readonly #processes: PlaneProcess[] = []
  readonly #killOnExit = () => {
    for (const p of this.#processes) if (p.exit === undefined) signal(p.pid, 'SIGKILL')
  }

  spawn(name: string, command: string, dir: string, args: readonly string[], env?: NodeJS.ProcessEnv): PlaneProcess {
    if (this.#processes.length === 0) process.on('exit', this.#killOnExit)
    const logFile = join(dir, `${name}.log`)
    const out = openSync(logFile, 'a')
    let child: ChildProcess
    try {
      child = setpriv
        ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', command, ...args], { cwd: dir, env, stdio: ['ignore', out, out] })
        : spawn(command, args, { cwd: dir, env, stdio: ['ignore', out, out] })
    } finally {
      closeSync(out)
    }
    const entry: PlaneProcess = { name, logFile, child, pid: child.pid ?? -1, exit: undefined, exited: Promise.resolve() }
    entry.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        entry.exit ??= `could not start: ${err.message}`
        resolve()
      })
      child.once('exit', (code, sig) => {
        entry.exit = sig ?? `exit code ${code}`
        resolve()
      })
    })
    child.unref()
    this.#processes.push(entry)
    return entry
  }

  /** Stops one process of the group (SIGTERM, SIGKILL after the grace period); false when it had already exited. */
  async stop(p: PlaneProcess): Promise<boolean> {
    if (p.exit !== undefined || p.pid <= 0) return false
    p.child.ref()
    signal(p.pid, 'SIGTERM')
    const timer = setTimeout(() => signal(p.pid, 'SIGKILL'), STOP_GRACE_MS)
    await p.exited
    clearTimeout(timer)
    // exit fired: the pid is reaped, unless a child of its own kept it (not the case for these binaries)
    while (isAlive(p.pid)) await sleep(50)
    return true
  }

  pids(): number[] {
    return this.#processes.filter((p) => p.exit === undefined && p.pid > 0).map((p) => p.pid)
  }

  /** Stops the processes in reverse start order, each SIGTERM then SIGKILL after STOP_GRACE_MS. */
  async stopAll(): Promise<void> {
    for (const p of [...this.#processes].reverse()) await this.stop(p)
    process.off('exit', this.#killOnExit)
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/** Polls `url` until it answers 200 with a body `healthy` accepts; fails when the process exits or time runs out. */
export async function waitHealthy(
  p: PlaneProcess,
  url: string,
  tls: { ca?: string; rejectUnauthorized?: boolean },
  healthy: (body: string) => boolean,
  deadline: number,
): Promise<void> {
  let last = 'no answer yet'
  for (;;) {
    if (p.exit !== undefined) throw await startFailed(p, `${p.name} exited while starting (${p.exit})`)
    const answer = await get(url, tls)
    if (answer.status === 200 && healthy(answer.body)) return
    last = answer.status === 0 ? answer.body : `HTTP ${answer.status}: ${answer.body.trim().split('\n').slice(-3).join(' ')}`
    if (performance.now() > deadline) throw await startFailed(p, `${p.name} was not healthy in time (${url}: ${last})`)
    await sleep(250)
  }
}

async function startFailed(p: PlaneProcess, message: string): Promise<KafkaplaneError> {
  // give a dying process a moment to flush its last words
  await Promise.race([p.exited, sleep(200)])
  return new KafkaplaneError('CONTROL_PLANE_START_FAILED', `${message}; log: ${p.logFile}`, {
    fix: `read ${p.logFile}; a port taken by another process or a machine short of memory are the usual causes`,
    detail: await logTail(p.logFile, 20),
  })
}

export async function logTail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)}...` : line))
    .join('\n')
}

function get(url: string, tls: { ca?: string; rejectUnauthorized?: boolean }): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest
    const req = request(url, { method: 'GET', timeout: 3000, ...tls }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', (err) => resolve({ status: 0, body: err.message }))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (err) => resolve({ status: 0, body: err.message }))
    req.end()
  })
}

export function runKubectl(command: string, args: string[], input: string | undefined, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', (err) => resolve({ code: -1, stdout, stderr: `${stderr}${err.message}` }))
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.on('error', () => {}) // kubectl may exit before reading its input; its exit code tells
    child.stdin.end(input ?? '')
  })
}
