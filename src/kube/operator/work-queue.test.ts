import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { backoffDelay } from './backoff.ts'
import { WorkQueue } from './work-queue.ts'

describe('WorkQueue', () => {
  it('collapses repeated adds of a queued key into one reconcile', async () => {
    const runs: string[] = []
    const queue = new WorkQueue({ workers: 1, reconcile: async (key) => void runs.push(key) })
    queue.add('ns/a')
    queue.add('ns/b')
    queue.add('ns/b')
    queue.add('ns/b')
    await queue.idle()
    assert.deepEqual(runs.sort(), ['ns/a', 'ns/b'])
    await queue.stop()
  })

  it('never runs one key twice at once, and runs it again when it was added while running', async () => {
    let active = 0
    let most = 0
    let runs = 0
    const queue = new WorkQueue({
      workers: 4,
      reconcile: async () => {
        active++
        most = Math.max(most, active)
        runs++
        await sleep(20)
        active--
      },
    })
    queue.add('ns/a')
    await sleep(5)
    queue.add('ns/a') // while running: dirty
    queue.add('ns/a') // still one re-run
    await sleep(100)
    await queue.idle()
    assert.equal(most, 1)
    assert.equal(runs, 2)
    await queue.stop()
  })

  it('runs different keys side by side, up to the workers', async () => {
    let active = 0
    let most = 0
    const queue = new WorkQueue({
      workers: 2,
      reconcile: async () => {
        active++
        most = Math.max(most, active)
        await sleep(20)
        active--
      },
    })
    for (const k of ['a', 'b', 'c', 'd']) queue.add(k)
    await queue.idle()
    assert.equal(most, 2)
    await queue.stop()
  })

  it('retries a failing key with exponential backoff and resets the count on success', async () => {
    const times: number[] = []
    const errors: number[] = []
    const queue = new WorkQueue({
      backoff: { baseMs: 20, maxMs: 1000 },
      onError: (_key, _err, _attempt, retryInMs) => errors.push(retryInMs),
      reconcile: async () => {
        times.push(Date.now())
        if (times.length < 4) throw new Error('API server not answering')
      },
    })
    queue.add('ns/a')
    const deadline = Date.now() + 2000
    while (times.length < 4 && Date.now() < deadline) await sleep(10)
    assert.deepEqual(errors, [20, 40, 80])
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    gaps.forEach((gap, i) => assert.ok(gap >= [20, 40, 80][i]! - 2, `gap ${i}: ${gap} ms`))
    assert.equal(queue.failures('ns/a'), 0)
    await queue.stop()
  })

  it('requeues after requeueAfterMs, the earliest pending time winning', async () => {
    let runs = 0
    const queue = new WorkQueue({ reconcile: async () => (++runs === 1 ? { requeueAfterMs: 30 } : {}) })
    queue.add('ns/a')
    await queue.idle()
    assert.equal(runs, 1)
    queue.addAfter('ns/a', 5000) // later than the pending 30 ms: ignored
    await sleep(80)
    assert.equal(runs, 2)
    await queue.stop()
  })

  it('stop() aborts the reconciles in flight and waits for them', async () => {
    let sawAbort = false
    const queue = new WorkQueue({
      reconcile: async (_key, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
        sawAbort = signal.aborted
      },
    })
    queue.add('ns/a')
    await sleep(5)
    await queue.stop()
    assert.equal(sawAbort, true)
    queue.add('ns/b')
    assert.equal(queue.length, 0, 'a stopped queue takes no work')
  })

  it('backoff doubles from the base up to the maximum', () => {
    assert.deepEqual([1, 2, 3, 4, 10].map((a) => backoffDelay(a, { baseMs: 100, maxMs: 1000 })), [100, 200, 400, 800, 1000])
  })
})
