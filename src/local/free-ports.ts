import { createServer } from 'node:net'
import { KafkaplaneError } from '../core/errors.ts'

export interface PortClaim {
  port: number
  /** What would listen there, for the error message ("node 3 broker listener"). */
  owner: string
}

/**
 * Refuses to go on when any port is taken, before anything starts: binding 127.0.0.1:port shows
 * whether a broker could. The fix names --base-port since every local port derives from it.
 */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  for (const claim of claims) {
    const error = await tryListen(claim.port)
    if (error) {
      throw new KafkaplaneError(
        'PORT_IN_USE',
        `port ${claim.port} (${claim.owner}) is already in use on 127.0.0.1${error === 'EADDRINUSE' ? '' : ` (${error})`}`,
        { fix: `stop whatever listens on ${claim.port} (ss -ltnp 'sport = :${claim.port}'), or choose other ports with --base-port` },
      )
    }
  }
}

function tryListen(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}

/**
 * `count` distinct loopback ports that are free now, picked at random in [min, max] (default
 * 20000-32767: below Linux's ephemeral range, 32768-60999, so that no outgoing connection takes one
 * before our process binds it). A port is handed out once per process, so callers in one process never
 * race for it; another process still may, and whoever binds it second gets "address in use".
 */
export async function findFreePorts(count: number, range: { min?: number; max?: number } = {}): Promise<number[]> {
  const min = range.min ?? 20000
  const max = range.max ?? 32767
  const found = new Set<number>()
  for (let attempt = 0; found.size < count && attempt < count * 50; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min + 1))
    if (!found.has(port) && !handedOut.has(port) && (await tryListen(port)) === undefined) found.add(port)
  }
  if (found.size < count) {
    throw new KafkaplaneError('PORT_IN_USE', `found only ${found.size} of ${count} free ports in ${min}-${max} on 127.0.0.1`, {
      fix: `free some ports in ${min}-${max} (ss -ltn), or stop the processes that hold them`,
    })
  }
  for (const port of found) handedOut.add(port)
  return [...found]
}

const handedOut = new Set<number>()
