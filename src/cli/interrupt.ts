import type { CommandIO } from './command.ts'

/**
 * Runs a verb's long operation under Ctrl-C (SIGINT) and SIGTERM: the first asks it to stop after the
 * current step (aborts the signal `run` gets) and, with a `note` (what is left and how to go on), says
 * so on stderr; a second quits at once (exit 130). The handlers are removed when `run` settles.
 */
export async function untilStopped<T>(io: CommandIO, note: string | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController()
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130)
    if (note !== undefined) io.stderr.write(`\nkafkaplane: stopping after this step; ${note} Ctrl-C again to quit now.\n`)
    abort.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await run(abort.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
