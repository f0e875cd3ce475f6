import { retrying } from '../core/retry.ts'
import { systemClock } from '../operations/system-clock.ts'
import type { CommandIO } from './command.ts'

/** How long a verb's first reads are tried again while the cluster does not answer. */
export const ANSWER_WITHIN_MS = 60_000

/**
 * A read a verb starts with, tried again every 2 s while the cluster does not answer (a retriable
 * error: a controller stopped for a moment, a leader moving, the bootstrap broker restarting) for at
 * most 60 s, saying so; any other error, or the limit, ends the verb with the last error.
 */
export function untilAnswered<T>(io: CommandIO, read: () => Promise<T>): Promise<T> {
  return retrying(read, {
    limitMs: ANSWER_WITHIN_MS,
    intervalMs: 2000,
    onRetry: (err) => io.stderr.write(`  cluster not answering (${err.message}); retrying\n`),
    now: () => systemClock.now(),
    sleep: (ms) => systemClock.sleep(ms),
  })
}
