import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'

const helper = new URL('./interrupt.ts', import.meta.url).href

/**
 * Runs `body` in a node process of its own (signals are process-wide) with `untilStopped` imported,
 * sends it SIGINT `signals` times once it says "ready", and returns what it wrote and how it ended.
 */
async function underSignals(body: string, signals: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `import { untilStopped } from ${JSON.stringify(helper)}\nconst io = { stdout: process.stdout, stderr: process.stderr, env: process.env }\n// Work in progress keeps the process alive, as a real operation's sockets and timers do.\nconst work = setInterval(() => {}, 1000)\n${body}\nclearInterval(work)`
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  let sent = 0
  child.stdout.on('data', (d) => {
    stdout += d
    // One signal per "ready" line, so that the second comes after the first was handled.
    while (sent < signals && stdout.split('ready').length - 1 > sent) {
      sent++
      child.kill('SIGINT')
    }
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

test('the first Ctrl-C stops the operation after its step and says how to go on; the handlers go with it', async () => {
  const out = await underSignals(
    `const code = await untilStopped(io, 'run the same command to continue.', async (signal) => {
  process.stdout.write('ready\\n')
  await new Promise((resolve) => signal.addEventListener('abort', resolve))
  process.stdout.write('stopped after the step\\n')
  return 1
})
process.stdout.write('listeners ' + process.listenerCount('SIGINT') + ' ' + process.listenerCount('SIGTERM') + '\\n')
process.exitCode = code`,
    1,
  )
  assert.equal(out.code, 1, out.stderr)
  assert.match(out.stdout, /stopped after the step\nlisteners 0 0\n/)
  assert.equal(out.stderr, '\nkafkaplane: stopping after this step; run the same command to continue. Ctrl-C again to quit now.\n')
})

test('a second Ctrl-C quits at once with exit 130; without a note the first says nothing', async () => {
  const out = await underSignals(
    `await untilStopped(io, undefined, async (signal) => {
  process.stdout.write('ready\\n')
  await new Promise((resolve) => signal.addEventListener('abort', resolve))
  process.stdout.write('ready again\\n')
  await new Promise(() => {})
})`,
    2,
  )
  assert.equal(out.code, 130, out.stdout + out.stderr)
  assert.equal(out.stderr, '')
})
