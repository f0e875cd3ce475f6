import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { KafkaplaneError } from '../core/errors.ts'
import { writeJsonAtomically } from '../formats/json-file.ts'
import type { RollState } from './roller.ts'

/** The roll kept in `file`, or undefined when there is none. */
export async function readRollState(file: string): Promise<RollState | undefined> {
  if (!existsSync(file)) return undefined
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as RollState
    if (state.format !== 1 || !Array.isArray(state.requested) || !Array.isArray(state.done)) throw new Error('unknown format')
    return state
  } catch (err) {
    throw new KafkaplaneError('BAD_ARGUMENT', `${file} is not a kafkaplane roll state (${(err as Error).message})`, {
      fix: `move ${file} away if no roll is running`,
    })
  }
}

/** Written atomically before every restart (`writeJsonAtomically`). */
export function writeRollState(file: string, state: RollState): Promise<void> {
  return writeJsonAtomically(file, state, 1)
}
