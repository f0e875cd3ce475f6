import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { writeJsonAtomically } from '../formats/json-file.ts'
import { join } from 'node:path'
import { KafkaplaneError } from '../core/errors.ts'
import type { Topology } from '../core/topology/topology.ts'
import type { ControllerMode } from './cluster-spec.ts'

/**
 * What a local cluster's data dir holds, in `<dataDir>/cluster.json`: enough to restart the same
 * cluster (`up --data-dir`) and to stop it from another process (`down`).
 *
 *   <dataDir>/cluster.json          this state
 *   <dataDir>/log4j2.yaml           broker logging
 *   <dataDir>/tls/                  with security: the cluster's CA, broker and client certificates
 *   <dataDir>/node-<id>/server.properties, data/ (log.dirs), logs/ (server.log, stdout.log)
 */
export interface ClusterState {
  format: 1
  clusterId: string
  kafkaVersion: string
  /** Deleted when the cluster stops (`up` without --data-dir). */
  ephemeral: boolean
  topology: Topology
  basePort: number
  config: Record<string, string>
  /** Dimensions that make broker.rack; absent in older state files (then: the zone). */
  rackDimensions?: string[]
  heap: string
  /** More JVM options for every node, after kafkaplane's own (`up --jvm-option`); absent: none. */
  jvmOptions?: string[]
  /** Where the KRaft controllers run (see ControllerMode); absent in older state files (then: combined). */
  controllerMode?: ControllerMode
  /** Secured listeners (SSL with mTLS, SASL_SSL); certificates in <dataDir>/tls. Absent: plaintext only. */
  security?: { saslUsers: Record<string, string> }
  /** Node id -> pid of its JVM, while it runs. */
  pids: Record<string, number>
  /** Node id -> hash of the server.properties its JVM started with (absent in older state files). */
  runningConfig?: Record<string, string>
  /** Node id -> the Kafka version its JVM started with (absent in older state files). */
  runningVersion?: Record<string, string>
  /** With `security`: node id -> hash of the broker key store (certificate and key) its JVM started with. */
  runningCertificates?: Record<string, string>
}

export const STATE_FILE = 'cluster.json'
/** Where `kafkaplane roll` keeps the roll of the cluster in a data dir. */
export const ROLL_STATE_FILE = 'roll.json'

export function nodeDir(dataDir: string, id: number): string {
  return join(dataDir, `node-${id}`)
}

export async function readClusterState(dataDir: string): Promise<ClusterState | undefined> {
  const path = join(dataDir, STATE_FILE)
  if (!existsSync(path)) return undefined
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as ClusterState
    if (state.format !== 1 || typeof state.clusterId !== 'string') throw new Error('unknown format')
    return state
  } catch (err) {
    throw new KafkaplaneError('DATA_DIR_CONFLICT', `${path} is not a kafkaplane cluster state (${(err as Error).message})`, {
      fix: `use another --data-dir, or delete ${dataDir} if its data is not needed`,
    })
  }
}

/** Written atomically (`writeJsonAtomically`): a broker restarted while another starts writes it twice at once. */
export async function writeClusterState(dataDir: string, state: ClusterState): Promise<void> {
  await writeJsonAtomically(join(dataDir, STATE_FILE), state)
}

/** The cluster.id a node's storage was formatted with, or undefined when it is not formatted yet. */
export async function formattedClusterId(dataDir: string, id: number): Promise<string | undefined> {
  const meta = join(nodeDir(dataDir, id), 'data', 'meta.properties')
  if (!existsSync(meta)) return undefined
  const match = /^cluster\.id=(.+)$/m.exec(await readFile(meta, 'utf8'))
  return match?.[1]?.trim()
}

/**
 * Refuses a data dir whose node storage belongs to another cluster: Kafka would refuse to start such a
 * node anyway, with a message that is harder to act on.
 */
export async function assertNodesBelongTo(dataDir: string, clusterId: string, ids: readonly number[]): Promise<void> {
  for (const id of ids) {
    const found = await formattedClusterId(dataDir, id)
    if (found !== undefined && found !== clusterId) {
      throw new KafkaplaneError(
        'DATA_DIR_CONFLICT',
        `${join(nodeDir(dataDir, id), 'data')} belongs to Kafka cluster ${found}, but ${join(dataDir, STATE_FILE)} is cluster ${clusterId}`,
        { fix: `use another --data-dir, or delete ${dataDir} if its data is not needed` },
      )
    }
  }
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return true
  return (await readdir(dir)).length === 0
}
