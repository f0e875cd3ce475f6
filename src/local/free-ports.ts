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
