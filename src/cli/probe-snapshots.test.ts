import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SnapshotKeeper } from './probe-snapshots.ts'

/** A read function the test completes by hand, counting calls; the clock is the test's own. */
function harness(maxAgeMs: number) {
  let now = 0
  const reads: { startedAt: number; resolve: (v: number) => void; reject: (e: Error) => void }[] = []
  const keeper = new SnapshotKeeper(
    () =>
      new Promise<number>((resolve, reject) => {
        reads.push({ startedAt: now, resolve, reject })
      }),
    { maxAgeMs, now: () => now },
  )
  return {
    keeper,
    reads,
    at: (t: number) => void (now = t),
  }
}
const tick = () => new Promise((r) => setImmediate(r))

test('probes inside maxAgeMs share one read; a later probe reads again', async () => {
  const h = harness(2000)
  const first = h.keeper.get()
  const second = h.keeper.get()
  assert.equal(h.reads.length, 1, 'the second probe waits for the read in flight')
  h.at(300)
  h.reads[0]!.resolve(1)
  assert.deepEqual(await first, { value: 1, ageMs: 0 })
  assert.deepEqual(await second, { value: 1, ageMs: 0 })
  h.at(1900)
  assert.deepEqual(await h.keeper.get(), { value: 1, ageMs: 1900 })
  h.at(2001)
  const third = h.keeper.get()
  assert.equal(h.reads.length, 2, 'older than maxAgeMs: read again')
  h.reads[1]!.resolve(2)
  assert.deepEqual(await third, { value: 2, ageMs: 0 })
  h.keeper.close()
})

test('a failed read fails the probes waiting for it and is not kept', async () => {
  const h = harness(2000)
  const first = h.keeper.get()
  h.reads[0]!.reject(new Error('broker gone'))
  await assert.rejects(first, /broker gone/)
  const second = h.keeper.get()
  assert.equal(h.reads.length, 2)
  h.reads[1]!.resolve(7)
  assert.equal((await second).value, 7)
  h.keeper.close()
})

test('probes at a steady period find a snapshot read ahead of them, at most maxAgeMs old', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const h = harness(2000)
  for (let i = 0; i < 3; i++) {
    h.at(i * 10_000)
    const answer = h.keeper.get()
    h.at(i * 10_000 + 300)
    h.reads.at(-1)!.resolve(i)
    assert.equal((await answer).value, i)
  }
  assert.equal(h.reads.length, 3, 'on demand until the period is known')
  // The read ahead is due 2 x 300 + 200 = 800 ms before the next probe, at 29,200 ms.
  h.at(29_200)
  t.mock.timers.tick(29_200 - 20_300)
  await tick()
  assert.equal(h.reads.length, 4, 'read ahead started')
  assert.equal(h.reads[3]!.startedAt, 29_200)
  h.at(29_750)
  h.reads[3]!.resolve(3)
  await tick()
  h.at(30_000)
  assert.deepEqual(await h.keeper.get(), { value: 3, ageMs: 800 })
  assert.equal(h.reads.length, 4, 'the probe did not wait for a read of its own')
  h.keeper.close()
})
