import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * One broker JVM. Started detached in its own process group, so that a Ctrl-C in the terminal reaches
 * kafkaplane, which then stops brokers in order, rather than every JVM at once; stdout and stderr go
 * to the node's `logs/stdout.log`. A process can also be adopted by pid (for `kafkaplane down`).
 */
export class BrokerProcess {
  readonly pid: number
  #exitCode: number | null | undefined
  #exited: Promise<number | null> | undefined
  readonly #child: ChildProcess | undefined

  private constructor(pid: number, child: ChildProcess | undefined) {
    this.pid = pid
    this.#child = child
    if (child) {
      this.#exited = new Promise((resolve) => {
        child.once('exit', (code) => {
          this.#exitCode = code
          resolve(code)
        })
      })
    }
  }

  /** Resolves with the exit code (null when killed by a signal or adopted) once the process is gone. */
  get exited(): Promise<number | null> {
    // An adopted process is not our child: poll for it, and only once somebody waits.
    this.#exited ??= (async () => {
      while (isAlive(this.pid)) await sleep(100)
      this.#exitCode = null
      return null
    })()
    return this.#exited
  }

  static spawn(command: string, args: readonly string[], options: { stdoutFile: string; env: NodeJS.ProcessEnv; cwd: string }): BrokerProcess {
    const out = openSync(options.stdoutFile, 'a')
    try {
      const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', out, out] })
      if (child.pid === undefined) throw new Error(`could not start ${command}`)
      child.unref()
      return new BrokerProcess(child.pid, child)
    } finally {
      closeSync(out)
    }
  }

  /** Adopts a running process by pid; undefined if it is gone or is not the expected JVM. */
  static adopt(pid: number, cmdlineMustInclude: string): BrokerProcess | undefined {
    if (!isAlive(pid)) return undefined
    const cmdline = `/proc/${pid}/cmdline`
    if (existsSync('/proc/self/cmdline') && (!existsSync(cmdline) || !readFileSync(cmdline, 'utf8').includes(cmdlineMustInclude))) {
      return undefined // the pid was reused by another process
    }
    return new BrokerProcess(pid, undefined)
  }

  get running(): boolean {
    return this.#exitCode === undefined && isAlive(this.pid)
  }

  signal(signal: NodeJS.Signals): void {
    try {
      process.kill(this.pid, signal)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return
    this.signal('SIGTERM')
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs)
    try {
      await this.#waitExit()
    } finally {
      clearTimeout(timer)
    }
  }

  async kill(): Promise<void> {
    if (!this.running) return
    this.signal('SIGKILL')
    await this.#waitExit()
  }

  /** The child is unref'd so a detached cluster outlives us; while we wait for its exit, hold the loop. */
  async #waitExit(): Promise<void> {
    this.#child?.ref()
    try {
      await this.exited
    } finally {
      this.#child?.unref()
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A zombie (exited, not yet reaped by its parent) is not alive.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}
