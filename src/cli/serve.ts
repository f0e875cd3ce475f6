import { badArgument, type CommandIO } from './command.ts'
import { untilStopped } from './interrupt.ts'

/** A server a verb runs until Ctrl-C (`kafkaplane exporter`, `kafkaplane dashboard`). */
export interface Served {
  /** Listens (port 0: any free one) and starts its work; resolves with the port it listens on. */
  start(): Promise<{ port: number }>
  stop(): Promise<void>
}

/**
 * Starts `server` on `host:port`, logs `serving(port)`, runs until Ctrl-C or SIGTERM, stops it and logs
 * `stopped`. A port that cannot be listened on is a BAD_ARGUMENT naming it (exit 2), the server stopped.
 */
export async function serveUntilStopped(io: CommandIO, server: Served, where: { host: string; port: number }, log: { line: (text: string) => void; serving: (port: number) => string; stopped: string }): Promise<void> {
  const listening = await startServed(server, where)
  log.line(log.serving(listening.port))
  await untilStopped(io, undefined, (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })))
  await server.stop()
  log.line(log.stopped)
}

/**
 * Starts `server` on `where`; resolves with the port it listens on. A port that cannot be listened on
 * is a BAD_ARGUMENT naming `flag` and the address, the server stopped.
 */
export async function startServed(server: Served, where: { host: string; port: number; flag?: string }): Promise<{ port: number }> {
  try {
    return await server.start()
  } catch (err) {
    await server.stop()
    const code = (err as NodeJS.ErrnoException).code
    const flag = where.flag ?? '--port'
    if (code === 'EADDRINUSE' || code === 'EACCES') throw badArgument(`${flag} ${where.port}: ${where.host}:${where.port} cannot be listened on (${code})`, `pass a free ${flag}`)
    throw err
  }
}

/** Log lines stamped with the time, on stderr. */
export function timestampedLog(io: CommandIO): (line: string) => void {
  return (line) => io.stderr.write(`${new Date().toISOString()} ${line}\n`)
}
