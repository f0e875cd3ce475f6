import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { writeJsonAtomically } from '../formats/json-file.ts'
import { KafkaplaneError } from '../core/errors.ts'
import type { Move } from '../core/plan/moves.ts'

/**
 * A plan being executed, kept on disk after every step so that a crash, a Ctrl-C or a lost machine
 * never leaves moves or throttles that nobody knows about. Running the same operation again adopts it;
 * `--cancel` reverts what is in flight and removes every throttle it records.
 */
export interface PlanState {
  format: 1
  /** The cluster the plan belongs to (Kafka's cluster id). */
  clusterId: string
  planId: string
  /** The command that made it, e.g. `brokers remove 3`: a different operation will not adopt it. */
  operation: string
  createdAt: string
  status: 'running' | 'finished' | 'cancelled'
  moves: Move[]
  /** Partitions (`topic-partition`) whose move was sent to the controller at least once. */
  started: string[]
  /** Partitions whose move completed. */
  done: string[]
  /** Every broker and topic a throttle was ever set on by this plan: all are cleared at the end. */
  throttled: { brokers: number[]; topics: string[] }
  /** The rate of the plan's throttle, bytes/s per broker (0 = no throttle). */
  throttleBytesPerSecond: number
}

/** The replication throttle of a plan when its caller names none: bytes/s per broker. */
export const DEFAULT_THROTTLE_BYTES_PER_SECOND = 50 * 1024 * 1024

/** A new plan of `moves`, running, nothing started or throttled yet. */
export function newPlanState(clusterId: string, operation: string, moves: Move[], throttleBytesPerSecond: number): PlanState {
  return {
    format: 1,
    clusterId,
    planId: randomUUID().slice(0, 8),
    operation,
    createdAt: new Date().toISOString(),
    status: 'running',
    moves,
    started: [],
    done: [],
    throttled: { brokers: [], topics: [] },
    throttleBytesPerSecond,
  }
}

export async function readPlanState(file: string): Promise<PlanState | undefined> {
  if (!existsSync(file)) return undefined
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as PlanState
    if (state.format !== 1 || !Array.isArray(state.moves)) throw new Error('unknown format')
    return state
  } catch (err) {
    throw new KafkaplaneError('BAD_ARGUMENT', `${file} is not a kafkaplane plan state (${(err as Error).message})`, {
      fix: `move ${file} away if no plan is running (check with kafka-reassign-partitions --list first)`,
    })
  }
}

/** Written atomically: a crash leaves the old state or the new one, never half of one. */
export async function writePlanState(file: string, state: PlanState): Promise<void> {
  await writeJsonAtomically(file, state, 1)
}
