import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'

/** A relay to a broker that can be made to drop connection attempts, as a gone pod IP does. */
export interface SynDroppingRelay {
  /** `127.0.0.1:port`, relaying to the broker until dropSyns(). */
  address: string
  /** The relay's process, SIGKILLed by stop(). */
  pid: number
  /**
   * From now on the address drops every SYN (no RST: a connect waits out its timeout) and the connections
   * it relayed go silent: the relay's process is stopped (SIGSTOP) and its accept queue filled. Checks
   * that a new connect there indeed gets no answer.
   */
  dropSyns(): Promise<void>
  /** Kills the relay's process and closes the connections that filled its queue; safe to call twice. */
  stop(): void
}

const BACKLOG = 2

/**
 * Starts a TCP relay to 127.0.0.1:`port` in a process of its own on a free loopback port, listening with
 * a short accept queue so that, once its process is stopped, a few connections fill the queue and the
 * kernel drops further SYNs. Killed with the test process, in case stop() is never reached.
 */
export async function startSynDroppingRelay(port: number): Promise<SynDroppingRelay> {
  const script = `
    const net = require('node:net')
    const server = net.createServer((client) => {
      const upstream = net.connect(${port}, '127.0.0.1')
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
      client.pipe(upstream).pipe(client)
    })
    server.listen({ port: 0, host: '127.0.0.1', backlog: ${BACKLOG} }, () => console.log(server.address().port))`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const pid = child.pid!
  const kill = () => {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
  process.once('exit', kill)
  const relayPort = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the relay exited (${code}) before it listened`)))
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())))
  })
  const fillers: Socket[] = []
  return {
    address: `127.0.0.1:${relayPort}`,
    pid,
    async dropSyns() {
      process.kill(pid, 'SIGSTOP')
      // The kernel accepts backlog + 1 connections for a listener that does not accept them; past that it drops SYNs.
      for (let i = 0; i < BACKLOG + 3; i++) fillers.push(connect(relayPort, '127.0.0.1').on('error', () => {}))
      await new Promise((r) => setTimeout(r, 300))
      const answered = await new Promise<boolean>((resolve) => {
        const probe = connect({ port: relayPort, host: '127.0.0.1', timeout: 1000 })
        probe.once('connect', () => (probe.destroy(), resolve(true)))
        probe.once('timeout', () => (probe.destroy(), resolve(false)))
        probe.once('error', () => resolve(true))
      })
      if (answered) throw new Error(`${relayPort} still answers a connect: the relay's accept queue is not full`)
    },
    stop() {
      for (const f of fillers) f.destroy()
      kill()
      process.removeListener('exit', kill)
    },
  }
}
