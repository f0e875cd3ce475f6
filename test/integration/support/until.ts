import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Reads `read` every `everyMs` until `ok` holds for what it returned (undefined: not there yet), and
 * returns that; fails after `timeoutMs` naming `what`, the last value read and `context()` (a
 * process's log, say).
 */
export async function until<T>(
  what: string,
  read: () => Promise<T | undefined>,
  ok: (v: T) => boolean,
  options: { timeoutMs: number; everyMs: number; context: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  let last: T | undefined
  for (;;) {
    last = await read()
    if (last !== undefined && ok(last)) return last
    if (Date.now() > deadline) assert.fail(`${what}: not reached in ${options.timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 3000)}\n${options.context()}`)
    await sleep(options.everyMs)
  }
}
