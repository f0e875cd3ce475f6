import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `kafkaplane ARGS` as a child process (this Node, the sources directly) and collects its output. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, options.env)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export function startCli(args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], {
    env: env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** A `kafkaplane` process in the background whose output a test reads while it runs. */
export interface WatchedCli {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
  /** Waits until `pattern` shows in stdout or stderr (or the process exits, or the timeout passes). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>
}

export function startWatchedCli(args: string[], env?: NodeJS.ProcessEnv): WatchedCli {
  const child = startCli(args, env)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (!pattern.test(stdout) && !pattern.test(stderr) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    },
  }
}

/** Stops a background `kafkaplane` by its pid: SIGTERM, then SIGKILL after `graceMs`; nothing when it has exited. */
export async function stopWatchedCli(cli: WatchedCli | undefined, graceMs = 10_000): Promise<void> {
  if (!cli || cli.child.exitCode !== null || cli.child.signalCode !== null) return
  cli.child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([cli.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)))])
  clearTimeout(timer)
  if (code === 'timeout') {
    cli.child.kill('SIGKILL')
    await cli.exited
  }
}
