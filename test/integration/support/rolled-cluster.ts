import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { layoutBrokers } from '../../../src/core/topology/layout.ts'
import type { LocalCluster, LocalClusterOptions } from '../../../src/local/local-cluster.ts'
import { runCli } from './cli.ts'
import { killClusterIn, removeDir, startTestCluster, tempDir } from './clusters.ts'

/** A real local cluster over zones a, b, c for tests that roll it (`kafkaplane roll`), with topics made by `kafkaplane topics create` at RF 3. */
export interface RolledCluster {
  cluster: LocalCluster
  bootstrap: string
  /** For the writers' files (VerifiableProducer). */
  scratch: string
  /** Processes the test starts (writers): killed by stop(). */
  children: ChildProcess[]
  /** Kills the writers, the JVMs a roll started (by their recorded pids; this handle may not know them), stops the cluster. */
  stop(): Promise<void>
}

export async function startRolledCluster(name: string, brokers: number, topics: readonly (readonly [topic: string, partitions: number])[], options: Pick<LocalClusterOptions, 'controllers'> = {}): Promise<RolledCluster> {
  const scratch = await tempDir(name)
  const cluster = await startTestCluster(layoutBrokers(brokers, [{ name: 'zone', values: ['a', 'b', 'c'] }]), options)
  const bootstrap = cluster.bootstrapServers.join(',')
  const children: ChildProcess[] = []
  const stop = async () => {
    for (const child of children) child.kill('SIGKILL')
    await killClusterIn(cluster.dataDir)
    await cluster.stop()
    await removeDir(scratch)
  }
  try {
    for (const [topic, partitions] of topics) {
      const made = await runCli(['topics', 'create', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '3', '--bootstrap-server', bootstrap])
      assert.equal(made.code, 0, made.stdout + made.stderr)
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { cluster, bootstrap, scratch, children, stop }
}
