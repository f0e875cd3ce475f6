import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, networkInterfaces, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { KafkaplaneError } from '../core/errors.ts'
import { isAlive } from './broker-process.ts'
import { LocalCertificateAuthority } from './certificates.ts'
import { findFreePorts } from './free-ports.ts'
import { cgroupHierarchies, CGROUP_V1_ROOT, readHostSettings, restoreHostSettings, type HostSettings } from './host-settings.ts'
import { kubeBinary, locateKubeBinaries, type KubeBinaries } from './kube-binaries.ts'
import { KUBERNETES_SERVICE_IP, ProcessGroup, signal, startKubeControlPlane, waitHealthy, type KubeControlPlane, type PlaneProcess } from './kube-control-plane.ts'
import { buildImage, type BuiltImage, type ImageRecipe } from './oci-image.ts'

const run = promisify(execFile)

/** The environment variable that skips the bed's tests (loudly) on a machine that cannot run it. */
export const SKIP_KUBE_BED_ENV = 'KAFKAPLANE_SKIP_KUBE_BED'
/** Where the cluster DNS server listens, on a host address of its own (an empty bridge holding a /32). */
export const BED_DNS_IP = '10.53.0.10'
/** The image the bed's containerds use as the pod sandbox (pause) image. */
export const BED_PAUSE_IMAGE = 'registry.k8s.io/pause:3.10'
/** A small image with busybox's tools (sh, nc, nslookup, ...), for the bed's own tests. */
export const BED_TOOLS_IMAGE = 'docker.io/local/kafkaplane-bed-tools:1'
const DNS_BRIDGE = 'kpdns'
const BED_NAT_CHAIN = 'KAFKAPLANE-BED'
const POD_NETWORK = '10.244' // one /24 per node: 10.244.<n>.0/24, n = 1, 2, ...
const LOCK_FILE = '/run/kafkaplane-kube-bed.lock'
const CNI_BIN_DIR = '/usr/lib/cni'
const BUSYBOX = '/bin/busybox'

export interface KubeBedClusterSpec {
  /** The Kubernetes cluster's name (its kubeconfig context), e.g. `k8s-1`. */
  name: string
  /** One node per zone, labelled `topology.kubernetes.io/zone=<zone>`. */
  zones: readonly string[]
  /** The cluster DNS domain; default `<name>.local`. */
  domain?: string
}

export interface KubeBedOptions {
  /** Default: two clusters, k8s-1 and k8s-2, with zones a, b, c each. */
  clusters?: readonly KubeBedClusterSpec[]
  /** Static local PersistentVolumes made per node (default 2), each `volumeSize` (default 1Gi). */
  volumesPerNode?: number
  volumeSize?: string
  /** The StorageClass of those volumes (default `kafkaplane-local`, made the default class). */
  storageClass?: string
  /** More images to import into every node's containerd. */
  images?: readonly BuiltImage[]
  /** Where the bed keeps its files. Default: a new temp dir, removed by stop(). */
  dir?: string
  binaries?: KubeBinaries
  /** How long to wait for the machine-wide bed lock (one bed per machine at a time): ms, default 30 min. */
  lockTimeoutMs?: number
}

export interface KubeBedNode {
  /** Node name, `<cluster>-<zone>`. */
  readonly name: string
  readonly cluster: string
  readonly zone: string
  /** The node's pod subnet (`10.244.<n>.0/24`) and its bridge. */
  readonly podSubnet: string
  readonly bridge: string
  /** containerd's socket (for `ctr -a <socket> -n k8s.io ...`). */
  readonly containerdSocket: string
  readonly kubeletPid: number | undefined
  readonly containerdPid: number | undefined
  /** Stops the kubelet (SIGTERM by pid): the node goes NotReady, its containers keep running. */
  stopKubelet(): Promise<void>
  /** Starts the kubelet again (after stopKubelet) and waits for its health endpoint. */
  startKubelet(): Promise<void>
}

export interface KubeBedCluster {
  readonly name: string
  readonly domain: string
  readonly plane: KubeControlPlane
  readonly nodes: readonly KubeBedNode[]
}

export interface KubeBedTimings {
  binariesMs: number
  imagesMs: number
  planesMs: number
  nodesMs: number
  /** Of nodesMs: the longest a node took to import the images into its containerd (they import at once). */
  importsMs: number
  startMs: number
}

export interface KubeBed {
  readonly dir: string
  readonly clusters: readonly KubeBedCluster[]
  readonly dnsServer: string
  readonly storageClass: string
  readonly timings: KubeBedTimings
  /** The host settings read before the bed changed anything. */
  readonly hostBefore: HostSettings
  /** Pids of every process the bed started that still runs (control planes, CoreDNS, containerds, kubelets). */
  readonly pids: readonly number[]
  /** The pids of the containers' shims (started by the containerds, not by us). */
  shimPids(): number[]
  /**
   * Stops everything (kubelets, the containers and their shims, containerds, CoreDNS, the control
   * planes) by pid, then restores the host settings recorded before (mounts, network namespaces,
   * bridges, cgroups, sysctls, iptables), removes the dir when it made it and releases the lock.
   * Resolves to what could not be restored (empty when all is back). Idempotent.
   */
  stop(): Promise<string[]>
}

/**
 * Why this machine cannot run the bed, or undefined when it can: the bed needs root, writable cgroup
 * v1 hierarchies (the kubelet's cgroupfs driver; cgroup v2-only hosts are not supported yet), the
 * Debian packages of scripts/install-bed-packages.sh and a non-loopback IPv4 address for the nodes.
 */
export async function kubeBedUnsupportedReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `the Kubernetes test bed runs on Linux only (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'the Kubernetes test bed needs root (kubelets mount volumes, containerd makes cgroups and network namespaces)'
  const hierarchies = await cgroupHierarchies()
  for (const needed of ['cpu', 'cpuset', 'memory', 'pids']) {
    if (!hierarchies.includes(needed)) {
      return `the Kubernetes test bed needs cgroup v1 hierarchies under ${CGROUP_V1_ROOT} (found: ${hierarchies.join(', ') || 'none'}; cgroup v2-only hosts are not supported yet)`
    }
  }
  const probe = join(CGROUP_V1_ROOT, 'pids', `kafkaplane-probe-${process.pid}`)
  try {
    await mkdir(probe)
    await rm(probe, { recursive: false, force: true }).catch(() => run('rmdir', [probe]))
  } catch (err) {
    return `the cgroups under ${CGROUP_V1_ROOT} are not writable here (${(err as Error).message})`
  }
  const missing = ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/sbin/runc', `${CNI_BIN_DIR}/bridge`, `${CNI_BIN_DIR}/host-local`, `${CNI_BIN_DIR}/loopback`, '/usr/bin/umoci', BUSYBOX]
    .filter((path) => !existsSync(path) && !existsSync(path.replace('/usr/sbin/', '/usr/bin/')))
  if (missing.length > 0) return `missing ${missing.join(', ')} (run scripts/install-bed-packages.sh)`
  if (!nodeAddress()) return 'the machine has no non-loopback IPv4 address for the kubelets (they refuse 127.0.0.1)'
  return undefined
}

/** The bed's pause and tools images (busybox-static from Debian), built with umoci and cached by content. */
export async function bedImages(): Promise<BuiltImage[]> {
  const applets = (await run(BUSYBOX, ['--list'])).stdout.split('\n').filter((name) => /^[a-z0-9_.[-]+$/.test(name) && name !== 'busybox')
  const pause: ImageRecipe = {
    name: BED_PAUSE_IMAGE.split(':')[0] ?? '',
    tag: BED_PAUSE_IMAGE.split(':')[1] ?? '',
    entries: [{ kind: 'copy', from: BUSYBOX, to: 'bin/busybox' }],
    // PID 1 of the pod sandbox: sleeps until containerd kills it (SIGKILL)
    entrypoint: ['/bin/busybox', 'sleep', '2147483647'],
  }
  const tools: ImageRecipe = {
    name: BED_TOOLS_IMAGE.split(':').slice(0, -1).join(':'),
    tag: BED_TOOLS_IMAGE.split(':').at(-1) ?? '',
    entries: [
      { kind: 'copy', from: BUSYBOX, to: 'bin/busybox' },
      ...applets.map((name) => ({ kind: 'link' as const, to: `bin/${name}`, target: 'busybox' })),
      { kind: 'dir', to: 'tmp', mode: 0o1777 },
    ],
    entrypoint: ['/bin/sh'],
    env: { PATH: '/bin' },
  }
  return [await buildImage(pause), await buildImage(tools)]
}

/**
 * Starts the Kubernetes test bed: several Kubernetes clusters on this machine, each with a control
 * plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler: startKubeControlPlane with
 * realNodes) and one real node per zone (a containerd and a kubelet, each with its own root, state,
 * socket, cgroup root, CNI config, pod subnet and bridge), a flat pod network, one CoreDNS serving every
 * cluster's domain, and static local PersistentVolumes.
 *
 * 1. Check the machine (kubeBedUnsupportedReason) and take the machine-wide lock: the bed changes
 *    host-wide settings, so one bed runs at a time; a second waits.
 * 2. Record the host settings (readHostSettings).
 * 3. Build (or take from the cache) the pause and tools images; start the control planes.
 * 4. Flat network: node n gets 10.244.n.0/24 on its own bridge (the CNI bridge plugin, isGateway, no
 *    masquerade); the host routes between bridges, so pods of every cluster reach each other and the
 *    host. Names: CoreDNS on 10.53.0.10 (an empty bridge holds the address) with one `kubernetes`
 *    block per cluster domain and `forward` for the rest; kubelets hand it to pods as their DNS.
 * 5. Per node: cgroup root in every hierarchy, containerd (config version 2, restrict_oom_score_adj:
 *    this kind of VM drops CAP_SYS_RESOURCE), the images imported, certificates (kubelet serving,
 *    system:node client), kubelet (cgroupfs driver, zone label, own ports and dirs). Nodes start in
 *    parallel; then wait for every node Ready.
 * 6. A StorageClass (no provisioner, WaitForFirstConsumer, Retain) and `volumesPerNode` local PVs per
 *    node, each pinned to its node by nodeAffinity.
 * Any failure stops what started and restores the host before it throws KUBE_BED_START_FAILED.
 */
export async function startKubeBed(options: KubeBedOptions = {}): Promise<KubeBed> {
  const started = performance.now()
  const unsupported = await kubeBedUnsupportedReason()
  if (unsupported) {
    throw new KafkaplaneError('KUBE_BED_UNSUPPORTED', `this machine cannot run the Kubernetes test bed: ${unsupported}`, {
      fix: `run it as root on a Linux machine with cgroup v1 and the packages of scripts/install-bed-packages.sh; or set ${SKIP_KUBE_BED_ENV}=1 to skip its tests`,
    })
  }
  const specs = options.clusters ?? [
    { name: 'k8s-1', zones: ['a', 'b', 'c'] },
    { name: 'k8s-2', zones: ['a', 'b', 'c'] },
  ]
  validateSpecs(specs)
  const release = await takeLock(options.lockTimeoutMs ?? 30 * 60_000)
  const ownsDir = options.dir === undefined
  let dir = options.dir ?? ''
  const processes = new ProcessGroup()
  const planes: KubeControlPlane[] = []
  const nodes: BedNode[] = []
  let hostBefore: HostSettings | undefined
  const owned = { dirs: [] as string[], bridges: [DNS_BRIDGE] as string[], cgroups: [] as string[] }
  const teardown = async (): Promise<string[]> => {
    for (const node of nodes) await node.stopKubelet()
    for (const node of nodes) await stopContainers(node)
    await processes.stopAll() // containerds, CoreDNS
    await Promise.all(planes.map((plane) => plane.stop()))
    const problems = hostBefore ? await restoreHostSettings(hostBefore, owned) : []
    if (ownsDir && dir !== '') await rm(dir, { recursive: true, force: true }).catch((err: Error) => problems.push(`rm -r ${dir}: ${err.message}`))
    await release()
    return problems
  }
  try {
    dir ||= await mkdtemp(join(tmpdir(), 'kafkaplane-bed-'))
    await mkdir(dir, { recursive: true })
    owned.dirs.push(dir)
    hostBefore = await readHostSettings()
    const binaries = options.binaries ?? (await locateKubeBinaries())
    const binariesMs = Math.round(performance.now() - started)

    let mark = performance.now()
    const images = [...(await bedImages()), ...(options.images ?? [])]
    const imagesMs = Math.round(performance.now() - mark)

    mark = performance.now()
    const nodeIp = nodeAddress() ?? ''
    const clusters = specs.map((spec) => ({ name: spec.name, domain: spec.domain ?? `${spec.name}.local`, zones: spec.zones }))
    for (const cluster of clusters) {
      // On the host's address, not loopback: pods reach it (in-cluster clients, remote kubeconfigs).
      planes.push(await startKubeControlPlane({ name: cluster.name, dir: join(dir, cluster.name, 'plane'), realNodes: true, binaries, listenAddress: nodeIp }))
    }
    const planesMs = Math.round(performance.now() - mark)

    mark = performance.now()
    await addDnsAddress()
    await startCoreDns(processes, binaries, dir, clusters.map((c, i) => ({ domain: c.domain, kubeconfig: planes[i]?.kubeconfigPath ?? '', context: c.name })))
    let index = 0
    for (const [c, cluster] of clusters.entries()) {
      const plane = planes[c] as KubeControlPlane
      for (const zone of cluster.zones) {
        index++
        const node = new BedNode({ index, cluster: cluster.name, domain: cluster.domain, zone, plane, nodeIp, dir: join(dir, cluster.name, zone), binaries, processes })
        nodes.push(node)
        owned.bridges.push(node.bridge)
        owned.cgroups.push(node.cgroupRoot)
      }
    }
    await Promise.all(nodes.map((node) => node.start(images)))
    await routeKubernetesService(nodes.map((node) => ({ podSubnet: node.podSubnet, apiserver: planes[clusters.findIndex((c) => c.name === node.cluster)]!.server })))
    for (const plane of planes) await waitNodesReady(plane, nodes.filter((n) => n.cluster === plane.name).map((n) => n.name))
    const storageClass = options.storageClass ?? 'kafkaplane-local'
    for (const plane of planes) {
      await applyVolumes(plane, nodes.filter((n) => n.cluster === plane.name), storageClass, options.volumesPerNode ?? 2, options.volumeSize ?? '1Gi', dir)
    }
    const nodesMs = Math.round(performance.now() - mark)

    let stopping: Promise<string[]> | undefined
    const before = hostBefore
    return {
      dir,
      clusters: clusters.map((cluster, c) => ({
        name: cluster.name,
        domain: cluster.domain,
        plane: planes[c] as KubeControlPlane,
        nodes: nodes.filter((n) => n.cluster === cluster.name),
      })),
      dnsServer: BED_DNS_IP,
      storageClass,
      timings: { binariesMs, imagesMs, planesMs, nodesMs, importsMs: Math.max(0, ...nodes.map((n) => n.importMs)), startMs: Math.round(performance.now() - started) },
      hostBefore: before,
      get pids() {
        return [...planes.flatMap((plane) => plane.pids), ...processes.pids()]
      },
      shimPids: () => nodes.flatMap((node) => shimPidsOf(node.containerdSocket)),
      stop: () => (stopping ??= teardown()),
    }
  } catch (err) {
    const problems = await teardown().catch((e: Error) => [`teardown failed: ${e.message}`])
    const message = err instanceof Error ? err.message : String(err)
    throw new KafkaplaneError('KUBE_BED_START_FAILED', `the Kubernetes test bed did not start: ${message}`, {
      fix: `read the logs in ${dir || 'the bed dir'} (pass options.dir to keep them)${problems.length > 0 ? `; the host was not fully restored: ${problems.join('; ')}` : ''}`,
      detail: err instanceof KafkaplaneError ? err.detail : undefined,
      cause: err,
    })
  }
}

function validateSpecs(specs: readonly KubeBedClusterSpec[]): void {
  const names = new Set<string>()
  let nodes = 0
  for (const spec of specs) {
    if (!/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/.test(spec.name) || names.has(spec.name)) {
      throw new KafkaplaneError('BAD_ARGUMENT', `bed cluster name '${spec.name}' is invalid or repeated`, { fix: 'use distinct short DNS labels such as k8s-1' })
    }
    names.add(spec.name)
    for (const zone of spec.zones) {
      if (!/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/.test(zone)) throw new KafkaplaneError('BAD_ARGUMENT', `bed zone '${zone}' is invalid`, { fix: 'use short DNS labels such as a, b, c' })
    }
    if (new Set(spec.zones).size !== spec.zones.length || spec.zones.length === 0) {
      throw new KafkaplaneError('BAD_ARGUMENT', `bed cluster ${spec.name} needs distinct zones, got [${spec.zones.join(', ')}]`, { fix: 'name each zone once' })
    }
    nodes += spec.zones.length
  }
  if (nodes > 250) throw new KafkaplaneError('BAD_ARGUMENT', `the bed has ${nodes} nodes; at most 250 fit its pod network`, { fix: 'use fewer zones or clusters' })
}

/**
 * The bed's stand-in for kube-proxy, for one Service: the `kubernetes` Service's ClusterIP (10.0.0.1:443,
 * what the kubelet puts in every pod's KUBERNETES_SERVICE_HOST/PORT) is DNATed to the API server of the
 * pod's own Kubernetes cluster, chosen by the pod's node subnet: both clusters use the same Service range
 * and share the host's network namespace, where two kube-proxies would fight over one set of chains.
 * In chain KAFKAPLANE-BED of the nat table, hooked into PREROUTING; the host's iptables are restored
 * from their recording when the bed stops. Other ClusterIPs are not routed: the brokers use headless
 * Services, and every other client of the bed reaches pods by name or pod IP.
 */
async function routeKubernetesService(routes: readonly { podSubnet: string; apiserver: string }[]): Promise<void> {
  const iptables = (...args: string[]) => run('iptables', ['-w', '-t', 'nat', ...args])
  await iptables('-N', BED_NAT_CHAIN)
  await iptables('-A', 'PREROUTING', '-j', BED_NAT_CHAIN)
  for (const route of routes) {
    const { hostname, port } = new URL(route.apiserver)
    await iptables('-A', BED_NAT_CHAIN, '-s', route.podSubnet, '-d', `${KUBERNETES_SERVICE_IP}/32`, '-p', 'tcp', '--dport', '443', '-j', 'DNAT', '--to-destination', `${hostname}:${port}`)
  }
}

/** The first non-loopback IPv4 address that is not one of the bed's bridges. */
function nodeAddress(): string | undefined {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (name.startsWith('kp')) continue
    const address = addresses?.find((a) => a.family === 'IPv4' && !a.internal)
    if (address) return address.address
  }
  return undefined
}

/** One bed at a time on a machine: an exclusive lock file holding the owner's pid; a dead owner's lock is taken over. */
async function takeLock(timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = performance.now() + timeoutMs
  let told = false
  for (;;) {
    try {
      const handle = await open(LOCK_FILE, 'wx')
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      let released = false
      return async () => {
        if (released) return
        released = true
        await rm(LOCK_FILE, { force: true })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const owner = Number((await readFile(LOCK_FILE, 'utf8').catch(() => '')).trim())
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
      await rm(LOCK_FILE, { force: true })
      continue
    }
    if (performance.now() > deadline) {
      throw new KafkaplaneError('KUBE_BED_START_FAILED', `another Kubernetes test bed (pid ${owner}) holds ${LOCK_FILE}`, {
        fix: `wait for it to stop, or stop it (kill ${owner})`,
      })
    }
    if (!told) {
      process.stderr.write(`kube-bed: waiting for the bed of pid ${owner} to stop (one bed per machine: ${LOCK_FILE})\n`)
      told = true
    }
    await sleep(1000)
  }
}

async function addDnsAddress(): Promise<void> {
  await run('ip', ['link', 'add', DNS_BRIDGE, 'type', 'bridge'])
  await run('ip', ['addr', 'add', `${BED_DNS_IP}/32`, 'dev', DNS_BRIDGE])
  await run('ip', ['link', 'set', DNS_BRIDGE, 'up'])
}

async function startCoreDns(
  processes: ProcessGroup,
  binaries: KubeBinaries,
  dir: string,
  zones: readonly { domain: string; kubeconfig: string; context: string }[],
): Promise<void> {
  const [readyPort] = await findFreePorts(1)
  const corefile = [
    ...zones.map(
      (zone) => `${zone.domain}:53 {
  bind ${BED_DNS_IP}
  errors
  ready 127.0.0.1:${readyPort}
  kubernetes ${zone.domain} {
    kubeconfig ${zone.kubeconfig} ${zone.context}
    pods insecure
    ttl 5
  }
}`,
    ),
    `.:53 {
  bind ${BED_DNS_IP}
  errors
  forward . /etc/resolv.conf
}`,
  ].join('\n')
  const coreDir = join(dir, 'coredns')
  await mkdir(coreDir, { recursive: true })
  await writeFile(join(coreDir, 'Corefile'), `${corefile}\n`)
  const coredns = processes.spawn('coredns', kubeBinary(binaries, 'coredns'), coreDir, ['-conf', join(coreDir, 'Corefile')])
  await waitHealthy(coredns, `http://127.0.0.1:${readyPort}/ready`, {}, () => true, performance.now() + 60_000)
}

/** Kubelet certificates are issued one after another (nodes start in parallel). */
let certificateQueue: Promise<unknown> = Promise.resolve()

/** One node: a containerd and a kubelet of one cluster, in one zone. */
class BedNode implements KubeBedNode {
  readonly name: string
  readonly cluster: string
  readonly zone: string
  readonly podSubnet: string
  readonly bridge: string
  readonly containerdSocket: string
  readonly cgroupRoot: string
  readonly #index: number
  readonly #domain: string
  readonly #plane: KubeControlPlane
  readonly #nodeIp: string
  readonly #dir: string
  readonly #binaries: KubeBinaries
  readonly #processes: ProcessGroup
  #containerd: PlaneProcess | undefined
  #kubelet: PlaneProcess | undefined
  #kubeletArgs: string[] = []
  #healthzPort = 0
  /** How long importing the images took (ms). */
  importMs = 0

  constructor(parts: { index: number; cluster: string; domain: string; zone: string; plane: KubeControlPlane; nodeIp: string; dir: string; binaries: KubeBinaries; processes: ProcessGroup }) {
    this.#index = parts.index
    this.cluster = parts.cluster
    this.zone = parts.zone
    this.name = `${parts.cluster}-${parts.zone}`
    this.podSubnet = `${POD_NETWORK}.${parts.index}.0/24`
    this.bridge = `kpbr${parts.index}`
    this.#domain = parts.domain
    this.#plane = parts.plane
    this.#nodeIp = parts.nodeIp
    this.#dir = parts.dir
    this.#binaries = parts.binaries
    this.#processes = parts.processes
    this.containerdSocket = join(parts.dir, 'containerd', 'containerd.sock')
    this.cgroupRoot = `kafkaplane-bed-${process.pid}-${this.name}`
  }

  get kubeletPid(): number | undefined {
    return this.#kubelet?.exit === undefined ? this.#kubelet?.pid : undefined
  }

  get containerdPid(): number | undefined {
    return this.#containerd?.exit === undefined ? this.#containerd?.pid : undefined
  }

  async start(images: readonly BuiltImage[]): Promise<void> {
    const dir = this.#dir
    await mkdir(join(dir, 'containerd'), { recursive: true })
    await this.#makeCgroupRoot()
    await this.#writeCniConfig()
    await writeFile(join(dir, 'containerd', 'config.toml'), this.#containerdConfig())
    this.#containerd = this.#processes.spawn(`containerd-${this.name}`, '/usr/bin/containerd', dir, ['--config', join(dir, 'containerd', 'config.toml')])
    await this.#waitContainerd()
    const importing = performance.now()
    for (const image of images) {
      const base = image.reference.slice(0, image.reference.lastIndexOf(':'))
      await this.ctr(['images', 'import', '--base-name', base, image.tarFile])
    }
    this.importMs = Math.round(performance.now() - importing)
    await this.#writeKubeletFiles()
    await this.startKubelet()
  }

  /** Runs ctr against this node's containerd in the k8s.io namespace (an image import of a few hundred MB
   * unpacks for minutes on a busy 2-core machine: 30 minutes at most). */
  async ctr(args: readonly string[]): Promise<string> {
    try {
      return (await run('/usr/bin/ctr', ['-a', this.containerdSocket, '-n', 'k8s.io', ...args], { timeout: 1_800_000, maxBuffer: 16 << 20 })).stdout
    } catch (err) {
      const e = err as Error & { stderr?: string }
      throw new Error(`ctr ${args.slice(0, 2).join(' ')} on node ${this.name} failed: ${(e.stderr || e.message).trim()}`)
    }
  }

  async startKubelet(): Promise<void> {
    if (this.kubeletPid !== undefined) return
    this.#kubelet = this.#processes.spawn(`kubelet-${this.name}`, kubeBinary(this.#binaries, 'kubelet'), this.#dir, this.#kubeletArgs)
    await waitHealthy(this.#kubelet, `http://127.0.0.1:${this.#healthzPort}/healthz`, {}, (body) => body.trim() === 'ok', performance.now() + 120_000)
  }

  async stopKubelet(): Promise<void> {
    if (this.#kubelet) await this.#processes.stop(this.#kubelet)
  }

  /**
   * The node's cgroup root must exist in every v1 hierarchy, cpuset with the parent's cpus and mems.
   * Its cpu.shares is 1024 per CPU of the machine: a cgroup competes with the host's other runnable
   * threads as ONE entity, so at the default 1024 a node's pods got one thread's worth of CPU on a busy
   * machine (brokers took minutes to load their classes); a real node has the machine's CPUs.
   */
  async #makeCgroupRoot(): Promise<void> {
    for (const hierarchy of await cgroupHierarchies()) {
      const path = join(CGROUP_V1_ROOT, hierarchy, this.cgroupRoot)
      await mkdir(path, { recursive: true })
      if (hierarchy.split(',').includes('cpu')) await writeFile(join(path, 'cpu.shares'), `${1024 * cpus().length}`)
      if (hierarchy === 'cpuset' || hierarchy.split(',').includes('cpuset')) {
        for (const file of ['cpuset.cpus', 'cpuset.mems']) {
          await writeFile(join(path, file), await readFile(join(CGROUP_V1_ROOT, hierarchy, file), 'utf8'))
        }
      }
    }
  }

  async #writeCniConfig(): Promise<void> {
    const confDir = join(this.#dir, 'cni')
    await mkdir(confDir, { recursive: true })
    const conf = {
      cniVersion: '0.4.0',
      name: `kafkaplane-${this.name}`,
      plugins: [
        {
          type: 'bridge',
          bridge: this.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: this.podSubnet, gateway: `${POD_NETWORK}.${this.#index}.1` }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: join(this.#dir, 'cni-ipam'),
          },
        },
      ],
    }
    await writeFile(join(confDir, '10-bridge.conflist'), `${JSON.stringify(conf, null, 2)}\n`)
  }

  #containerdConfig(): string {
    const d = join(this.#dir, 'containerd')
    const cri = 'plugins."io.containerd.grpc.v1.cri"'
    return `version = 2
root = "${d}/root"
state = "${d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${this.containerdSocket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/opt"

[${cri}]
  sandbox_image = "${BED_PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = "${CNI_BIN_DIR}"
  conf_dir = "${join(this.#dir, 'cni')}"
`
  }

  async #waitContainerd(): Promise<void> {
    const deadline = performance.now() + 60_000
    for (;;) {
      const p = this.#containerd
      if (!p || p.exit !== undefined) throw new Error(`containerd of node ${this.name} exited (${p?.exit}); log: ${p?.logFile}`)
      if (existsSync(this.containerdSocket)) {
        const ok = await this.ctr(['version']).then(() => true, () => false)
        if (ok) return
      }
      if (performance.now() > deadline) throw new Error(`containerd of node ${this.name} did not answer in time; log: ${p.logFile}`)
      await sleep(200)
    }
  }

  async #writeKubeletFiles(): Promise<void> {
    const dir = join(this.#dir, 'kubelet')
    await mkdir(join(dir, 'pod-logs'), { recursive: true })
    // one certificate at a time: openssl's serial file (ca.srl) of the cluster's CA is not safe to share
    const issue = certificateQueue.then(async () => {
      const pki = await LocalCertificateAuthority.open(dirname(this.#plane.caFile))
      const serving = await pki.issue({ name: `kubelet-${this.name}`, commonName: this.name, dnsNames: [this.name], ipAddresses: [this.#nodeIp], usage: 'server' })
      const client = await pki.issue({ name: `kubelet-client-${this.name}`, commonName: `system:node:${this.name}`, organization: 'system:nodes', usage: 'client' })
      return { serving, client }
    })
    certificateQueue = issue.catch(() => undefined)
    const { serving, client } = await issue
    const base64 = async (file: string) => (await readFile(file)).toString('base64')
    const kubeconfig = join(dir, 'kubelet.kubeconfig')
    await writeFile(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: this.cluster, cluster: { server: this.#plane.server, 'certificate-authority-data': await base64(this.#plane.caFile) } }],
        users: [{ name: this.name, user: { 'client-certificate-data': await base64(client.certFile), 'client-key-data': await base64(client.keyFile) } }],
        contexts: [{ name: this.name, context: { cluster: this.cluster, user: this.name } }],
        'current-context': this.name,
      }),
      { mode: 0o600 },
    )
    const [port, healthzPort] = await findFreePorts(2)
    this.#healthzPort = healthzPort ?? 0
    const config = {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: this.#nodeIp,
      port,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: this.#plane.caFile } },
      authorization: { mode: 'AlwaysAllow' },
      tlsCertFile: serving.certFile,
      tlsPrivateKeyFile: serving.keyFile,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: `/${this.cgroupRoot}`,
      failCgroupV1: false,
      failSwapOn: false,
      makeIPTablesUtilChains: false,
      containerRuntimeEndpoint: `unix://${this.containerdSocket}`,
      clusterDNS: [BED_DNS_IP],
      clusterDomain: this.#domain,
      podLogsDir: join(dir, 'pod-logs'),
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      // the bed's nodes share the machine: no node claims it all
      maxPods: 30,
    }
    await writeFile(join(dir, 'config.yaml'), stringify(config))
    this.#kubeletArgs = [
      `--config=${join(dir, 'config.yaml')}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${join(dir, 'root')}`,
      `--node-ip=${this.#nodeIp}`,
      `--hostname-override=${this.name}`,
      `--node-labels=topology.kubernetes.io/zone=${this.zone},topology.kubernetes.io/region=${this.cluster}`,
    ]
  }
}

/** Pids of the containerd shims serving this socket (their command line names it: `-address <socket>`). */
function shimPidsOf(socket: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (cmdline[0]?.endsWith('containerd-shim-runc-v2') && cmdline.includes(socket)) pids.push(Number(entry))
    } catch {
      // gone
    }
  }
  return pids
}

/**
 * Kills a node's containers: every process in the node's cgroup tree (pods, their sandboxes), then
 * the node's shims by pid. containerd is stopped after (by the process group).
 */
async function stopContainers(node: BedNode): Promise<void> {
  for (const hierarchy of ['pids', 'memory']) {
    const root = join(CGROUP_V1_ROOT, hierarchy, node.cgroupRoot)
    if (!existsSync(root)) continue
    for (const pid of await cgroupTreePids(root)) signal(pid, 'SIGKILL')
  }
  const shims = shimPidsOf(node.containerdSocket)
  for (const pid of shims) signal(pid, 'SIGTERM')
  const deadline = performance.now() + 5000
  while (shims.some(isAlive) && performance.now() < deadline) await sleep(100)
  for (const pid of shims.filter(isAlive)) signal(pid, 'SIGKILL')
  while (shims.some(isAlive)) await sleep(50)
}

async function cgroupTreePids(path: string): Promise<number[]> {
  const pids = (await readFile(join(path, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number)
  const children = (await readdir(path, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory())
  for (const child of children) pids.push(...(await cgroupTreePids(join(path, child.name))))
  return pids
}

async function waitNodesReady(plane: KubeControlPlane, names: readonly string[]): Promise<void> {
  const deadline = performance.now() + 180_000
  let last = ''
  for (;;) {
    const result = await plane.kubectl(['get', 'nodes', '-o', 'json'])
    if (result.code === 0) {
      const items = (JSON.parse(result.stdout) as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items
      const ready = new Set(items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name))
      const waiting = names.filter((name) => !ready.has(name))
      if (waiting.length === 0) return
      last = `not Ready yet: ${waiting.join(', ')}`
    } else {
      last = result.stderr.trim()
    }
    if (performance.now() > deadline) throw new Error(`nodes of ${plane.name} were not Ready in time (${last}); kubelet logs in the bed dir`)
    await sleep(500)
  }
}

async function applyVolumes(plane: KubeControlPlane, nodes: readonly BedNode[], storageClass: string, perNode: number, size: string, dir: string): Promise<void> {
  const objects: unknown[] = [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: storageClass, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Retain',
    },
  ]
  for (const node of nodes) {
    for (let i = 0; i < perNode; i++) {
      const path = join(dir, 'volumes', node.name, `pv-${i}`)
      await mkdir(path, { recursive: true })
      objects.push({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: `${node.name}-pv-${i}`, labels: { 'topology.kubernetes.io/zone': node.zone } },
        spec: {
          capacity: { storage: size },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: storageClass,
          local: { path },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node.name] }] }] } },
        },
      })
    }
  }
  const manifest = objects.map((o) => stringify(o)).join('---\n')
  const applied = await plane.kubectl(['apply', '-f', '-'], { input: manifest })
  if (applied.code !== 0) throw new Error(`applying the local volumes to ${plane.name} failed: ${applied.stderr.trim()}`)
}
