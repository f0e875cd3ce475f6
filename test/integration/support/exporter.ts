import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { startWatchedCli, type WatchedCli } from './cli.ts'

/** Starts `kafkaplane exporter` on a free port, collecting every second; resolves with the process and its /metrics URL. */
export async function startExporter(bootstrap: string[], extra: string[] = []): Promise<{ cli: WatchedCli; url: string }> {
  const cli = startWatchedCli(['exporter', '--bootstrap-server', bootstrap.join(','), '--host', '127.0.0.1', '--port', '0', '--interval-seconds', '1', ...extra])
  await cli.waitFor(/serving GET \/metrics on 127\.0\.0\.1:\d+/, 90_000)
  const port = /serving GET \/metrics on 127\.0\.0\.1:(\d+)/.exec(cli.stderr())?.[1]
  if (!port) {
    await stopExporter(cli)
    assert.fail(`the exporter did not start: ${cli.stderr()}`)
  }
  return { cli, url: `http://127.0.0.1:${port}/metrics` }
}

export async function stopExporter(cli: WatchedCli | undefined): Promise<void> {
  if (cli) await stopProcess(cli.child, cli.exited)
}

/** SIGTERM to the process (by its pid), SIGKILL after 10 s; resolves once it has exited. */
export async function stopProcess(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)])
  if (code === 'timeout') {
    child.kill('SIGKILL')
    await exited
  }
}
