import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import type { Topology } from '../../../src/core/topology/topology.ts'
import { BrokerProcess } from '../../../src/local/broker-process.ts'
import { nodeDir, readClusterState } from '../../../src/local/cluster-state.ts'
import { LocalCluster, type LocalClusterOptions } from '../../../src/local/local-cluster.ts'
import { cacheDir } from '../../../src/local/paths.ts'

/**
 * A base port whose broker ports (base..base+n), controller ports (base+100..) and secured listener
 * ports (base+200.., base+300..) are all free now. Bases are 400 apart, so two clusters never overlap.
 */
export async function freeBasePort(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30) * 400
    const ports = [0, 200, 300].flatMap((offset) => Array.from({ length: nodes }, (_, i) => base + offset + i)).concat([0, 1, 2].map((i) => base + 100 + i))
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base
  }
  throw new Error('no free port range found')
}

export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `kafkaplane-${prefix}-`))
}

/** The JVM options of the suite's local clusters (startTestCluster; tests that run `kafkaplane up` pass them as --jvm-option=OPT). */
export const TEST_JVM_OPTIONS = ['-XX:TieredStopAtLevel=1'] as const

/**
 * Starts a real local cluster for a test, in a temp dir, and makes sure its JVMs die with the test
 * process even when the test fails before its `after` hook (the hook should still call stop()).
 */
export async function startTestCluster(
  topology: Topology,
  options: Partial<LocalClusterOptions> = {},
): Promise<LocalCluster> {
  const dataDir = options.dataDir ?? (await tempDir('cluster'))
  const cluster = await LocalCluster.start({
    topology,
    dataDir,
    ephemeral: true,
    basePort: await freeBasePort(topology.brokers.length),
    cacheDir: cacheDir(),
    heap: '384m',
    // C1 only: a node's start at about 0.6 of the CPU, and its JIT done within seconds (bench/RESULTS.md,
    // broker-start); the suite's clusters share 2 cores. Not a Kafka setting: nothing they test changes.
    jvmOptions: TEST_JVM_OPTIONS,
    ...options,
  })
  process.once('exit', () => cluster.killAllNow())
  return cluster
}

/**
 * Kills (SIGKILL) every broker JVM recorded in a data dir's cluster.json: the cleanup for clusters
 * that a test started through the CLI, run even when the test failed. Returns how many it killed.
 */
export async function killClusterIn(dataDir: string): Promise<number> {
  const state = await readClusterState(dataDir).catch(() => undefined)
  if (!state) return 0
  let killed = 0
  for (const [id, pid] of Object.entries(state.pids)) {
    const process = BrokerProcess.adopt(pid, join(nodeDir(dataDir, Number(id)), 'server.properties'))
    if (process) {
      await process.kill()
      killed++
    }
  }
  return killed
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}
