import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The host-wide sysctls the kubelet and the bridge CNI plugin change (1 / 0 / 0 / 1 on this project's machines before a bed). */
export const BED_SYSCTLS = ['kernel.panic', 'kernel.panic_on_oops', 'vm.overcommit_memory', 'net.ipv4.ip_forward'] as const
/** Host paths a kubelet or containerd creates whatever its own directories are. */
export const BED_HOST_PATHS = ['/var/lib/kubelet', '/run/containerd', '/opt/containerd', '/var/lib/cni', '/run/netns', '/etc/cni'] as const
export const CGROUP_V1_ROOT = '/sys/fs/cgroup'

/**
 * What the Kubernetes test bed may change on the host, as read at one moment: recorded before the bed
 * starts and compared after it stops (src/local/kube-bed.ts restores every difference).
 */
export interface HostSettings {
  sysctls: Record<string, string>
  /** `iptables-save` without comments and packet counters (what is compared). */
  iptables: string
  /** `iptables-save` as it printed (what is restored). */
  iptablesSave: string
  /** Names of the bridge links. */
  bridges: string[]
  /** Mount points (from /proc/self/mountinfo), sorted. */
  mounts: string[]
  /** Per cgroup v1 hierarchy (`cpu`, `memory`, ...), its top-level child cgroups, sorted. */
  cgroups: Record<string, string[]>
  /** The BED_HOST_PATHS that exist. */
  paths: string[]
  /** Entries of /run/netns (network namespaces containerd made). */
  netns: string[]
}

export async function readHostSettings(): Promise<HostSettings> {
  const sysctls: Record<string, string> = {}
  for (const name of BED_SYSCTLS) sysctls[name] = await readSysctl(name)
  const cgroups: Record<string, string[]> = {}
  for (const hierarchy of await cgroupTrees()) cgroups[hierarchy] = await subdirs(join(CGROUP_V1_ROOT, hierarchy))
  const save = await iptablesSave()
  return {
    sysctls,
    iptables: normalizeIptables(save),
    iptablesSave: save,
    bridges: await bridgeNames(),
    mounts: await mountPoints(),
    cgroups,
    paths: BED_HOST_PATHS.filter((path) => existsSync(path)),
    netns: existsSync('/run/netns') ? (await readdir('/run/netns')).sort() : [],
  }
}

/** The differences between two readings, one line each ("sysctl kernel.panic: 1 -> 10"); empty when equal. */
export function hostSettingsDiff(before: HostSettings, after: HostSettings): string[] {
  const lines: string[] = []
  for (const name of Object.keys(before.sysctls)) {
    if (before.sysctls[name] !== after.sysctls[name]) lines.push(`sysctl ${name}: ${before.sysctls[name]} -> ${after.sysctls[name]}`)
  }
  if (before.iptables !== after.iptables) lines.push(`iptables rules differ:\n${lineDiff(before.iptables.split('\n'), after.iptables.split('\n'))}`)
  const list = (what: string, a: readonly string[], b: readonly string[]) => {
    const diff = lineDiff(a, b)
    if (diff !== '') lines.push(`${what}:\n${diff}`)
  }
  list('bridges', before.bridges, after.bridges)
  list('mounts', before.mounts, after.mounts)
  for (const hierarchy of new Set([...Object.keys(before.cgroups), ...Object.keys(after.cgroups)])) {
    list(`cgroups in ${hierarchy}`, before.cgroups[hierarchy] ?? [], after.cgroups[hierarchy] ?? [])
  }
  list('host paths', before.paths, after.paths)
  list('network namespaces', before.netns, after.netns)
  return lines
}

function lineDiff(a: readonly string[], b: readonly string[]): string {
  const inA = new Set(a)
  const inB = new Set(b)
  return [...a.filter((line) => !inB.has(line)).map((line) => `  - ${line}`), ...b.filter((line) => !inA.has(line)).map((line) => `  + ${line}`)].join('\n')
}

/**
 * Puts back what differs from `before`, for what the bed owns: sysctls written back; mounts under
 * `ownedDirs`, /run/netns or a BED_HOST_PATH unmounted (deepest first, lazily when busy); new network
 * namespace files, new BED_HOST_PATHS and new `ownedBridges` removed; the cgroups named `ownedCgroups`
 * removed from every hierarchy (their processes killed first); iptables restored from the saved rules
 * when they differ. Returns what it could not restore (empty when all is back).
 */
export async function restoreHostSettings(
  before: HostSettings,
  owned: { dirs: readonly string[]; bridges: readonly string[]; cgroups: readonly string[] },
): Promise<string[]> {
  const problems: string[] = []
  const attempt = async (what: string, step: () => Promise<unknown>) => {
    try {
      await step()
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message.trim().split('\n').slice(-2).join(' ')}`)
    }
  }
  const hostPrefixes = ['/run/netns/', ...BED_HOST_PATHS.map((path) => `${path}/`)]
  const ownedPrefixes = [...owned.dirs.map((dir) => `${dir}/`), ...hostPrefixes]
  const known = new Set(before.mounts)
  const mounts = (await mountPoints()).filter((m) => !known.has(m) && ownedPrefixes.some((prefix) => `${m}/`.startsWith(prefix)))
  for (const mount of mounts.sort((a, b) => b.split('/').length - a.split('/').length)) {
    await attempt(`umount ${mount}`, () => run('umount', [mount]).catch(() => run('umount', ['-l', mount])))
  }
  const knownNetns = new Set(before.netns)
  if (existsSync('/run/netns')) {
    for (const name of await readdir('/run/netns')) if (!knownNetns.has(name)) await attempt(`rm /run/netns/${name}`, () => rm(join('/run/netns', name), { force: true }))
  }
  for (const bridge of owned.bridges) {
    if (!before.bridges.includes(bridge) && (await bridgeNames()).includes(bridge)) await attempt(`ip link del ${bridge}`, () => run('ip', ['link', 'del', bridge]))
  }
  for (const hierarchy of await cgroupTrees()) {
    for (const cgroup of owned.cgroups) {
      const path = join(CGROUP_V1_ROOT, hierarchy, cgroup)
      if (existsSync(path) && !(before.cgroups[hierarchy] ?? []).includes(cgroup)) await attempt(`rmdir ${path}`, () => removeCgroup(path))
    }
  }
  for (const path of BED_HOST_PATHS) {
    if (!before.paths.includes(path) && existsSync(path)) await attempt(`rm -r ${path}`, () => rm(path, { recursive: true, force: true }))
  }
  for (const [name, value] of Object.entries(before.sysctls)) {
    if ((await readSysctl(name)) !== value) await attempt(`sysctl ${name}=${value}`, () => writeFile(sysctlPath(name), `${value}\n`))
  }
  if ((await iptablesRules()) !== before.iptables) {
    await attempt('iptables-restore', async () => {
      // iptables-restore replaces each table it is given: a table the bed filled that held nothing
      // before is given back empty (its built-in chains, policy ACCEPT, no rules).
      const saved = before.iptablesSave + tablesEmptied(await iptablesSave(), before.iptablesSave)
      await new Promise<void>((resolve, reject) => {
        const child = execFile('iptables-restore', [], (err) => (err ? reject(err) : resolve()))
        child.stdin?.end(saved)
      })
    })
  }
  return problems
}

/** Kills what still runs in a cgroup tree, then removes it deepest first. */
export async function removeCgroup(path: string): Promise<void> {
  for (const name of await subdirs(path)) await removeCgroup(join(path, name))
  for (let tries = 0; ; tries++) {
    const pids = (await readFile(join(path, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number)
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    try {
      await rmdir(path)
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      if (tries >= 50) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

/** The cgroup v1 hierarchies mounted under /sys/fs/cgroup (`cpu`, `memory`, `systemd`, ...; not the v2 `unified`). */
export async function cgroupHierarchies(): Promise<string[]> {
  return cgroupMounts(['cgroup'])
}

/**
 * Every cgroup tree mounted under /sys/fs/cgroup: the v1 hierarchies and, on a hybrid host, the v2
 * `unified` one, where runc makes each container's cgroup too (the bed's node cgroups were left
 * there, empty, before it was recorded and restored as well).
 */
export async function cgroupTrees(): Promise<string[]> {
  return cgroupMounts(['cgroup', 'cgroup2'])
}

async function cgroupMounts(types: readonly string[]): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8')
  const names: string[] = []
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ')
    if (!left || !right || !types.includes(right.split(' ')[0] ?? '')) continue
    const mountPoint = left.split(' ')[4] ?? ''
    if (mountPoint.startsWith(`${CGROUP_V1_ROOT}/`)) names.push(mountPoint.slice(CGROUP_V1_ROOT.length + 1))
  }
  return names.sort()
}

async function subdirs(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()
}

function sysctlPath(name: string): string {
  return join('/proc/sys', ...name.split('.'))
}

async function readSysctl(name: string): Promise<string> {
  return (await readFile(sysctlPath(name), 'utf8')).trim()
}

async function iptablesSave(): Promise<string> {
  try {
    return (await run('iptables-save', [], { maxBuffer: 16 << 20 })).stdout
  } catch {
    return ''
  }
}

async function iptablesRules(): Promise<string> {
  return normalizeIptables(await iptablesSave())
}

/**
 * `iptables-save` output as compared: no comments or packet counters, and no table that holds nothing
 * (only built-in chains with policy ACCEPT, no rules): a table once loaded stays listed, empty, and
 * filters nothing, as before it was loaded.
 */
export function normalizeIptables(save: string): string {
  return iptablesTables(save)
    .filter((table) => !isEmptyTable(table))
    .flatMap((table) => table.lines)
    .join('\n')
}

/** The tables of `current` that are absent or empty in `before`, as `iptables-restore` input that empties them. */
export function tablesEmptied(current: string, before: string): string {
  const kept = new Set(iptablesTables(before).filter((t) => !isEmptyTable(t)).map((t) => t.name))
  return iptablesTables(current)
    .filter((t) => !kept.has(t.name) && !isEmptyTable(t))
    .map((t) => [`*${t.name}`, ...t.lines.filter((line) => /^:\S+ (ACCEPT|DROP|RETURN)/.test(line)).map((line) => `${line.split(' ')[0]} ACCEPT [0:0]`), 'COMMIT', ''].join('\n'))
    .join('')
}

interface IptablesTable {
  name: string
  /** Its lines without comments and counters, from `*name` to `COMMIT`. */
  lines: string[]
}

function iptablesTables(save: string): IptablesTable[] {
  const tables: IptablesTable[] = []
  for (const raw of save.split('\n')) {
    const line = raw.replace(/ \[\d+:\d+\]$/, '')
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('*')) tables.push({ name: line.slice(1), lines: [] })
    tables.at(-1)?.lines.push(line)
  }
  return tables
}

function isEmptyTable(table: IptablesTable): boolean {
  return table.lines.every((line) => line.startsWith('*') || line === 'COMMIT' || / ACCEPT$/.test(line))
}

async function bridgeNames(): Promise<string[]> {
  const entries = await readdir('/sys/class/net').catch(() => [])
  return entries.filter((name) => existsSync(`/sys/class/net/${name}/bridge`)).sort()
}

async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8')
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' ') ?? '')
    .sort()
}
