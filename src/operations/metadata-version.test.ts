import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { MetadataVersionAdmin } from '../ports/metadata-version.ts'
import { finalizeMetadataVersion } from './metadata-version.ts'

const clock = () => {
  let t = 0
  return { now: () => t, sleep: async (ms: number) => void (t += ms) }
}

/** A cluster whose brokers take `lag` describes to report a raised level. */
function cluster(finalized: number, supported: Record<number, number>, lag = 2): MetadataVersionAdmin & { raised: number[] } {
  let level = finalized
  let pending: number | undefined
  let calls = 0
  const raised: number[] = []
  return {
    raised,
    describe: async () => {
      if (pending !== undefined && ++calls > lag) level = pending
      return { finalized: level, supported: new Map(Object.entries(supported).map(([id, max]) => [Number(id), max])) }
    },
    raise: async (to) => {
      raised.push(to)
      pending = to
    },
  }
}

describe('finalizing the metadata.version after a version roll', () => {
  it('raises it to the newest level every node supports, and waits until the brokers report it', async () => {
    const kafka = cluster(27, { 0: 33, 1: 33, 2: 33 })
    assert.deepEqual(await finalizeMetadataVersion(kafka, [0, 1, 2], clock()), { kind: 'finalized', from: 27, to: 33 })
    assert.deepEqual(kafka.raised, [33])
  })

  it('is held back, changing nothing, by a node on the old binary or not live', async () => {
    const old = cluster(27, { 0: 33, 1: 27, 2: 33 })
    assert.deepEqual(await finalizeMetadataVersion(old, [0, 1, 2], clock()), { kind: 'held-back', level: 27, behind: [1] })
    const down = cluster(27, { 0: 33, 2: 33 })
    assert.deepEqual(await finalizeMetadataVersion(down, [0, 1, 2], clock()), { kind: 'held-back', level: 27, behind: [1] })
    assert.deepEqual([...old.raised, ...down.raised], [])
  })

  it('does nothing when it is already the newest', async () => {
    const kafka = cluster(33, { 0: 33, 1: 33 })
    assert.deepEqual(await finalizeMetadataVersion(kafka, [0, 1], clock()), { kind: 'current', level: 33 })
    assert.deepEqual(kafka.raised, [])
  })

  it('fails, naming both levels, when the brokers never report the raised level', async () => {
    const kafka = cluster(27, { 0: 33 }, Number.POSITIVE_INFINITY)
    await assert.rejects(finalizeMetadataVersion(kafka, [0], clock(), 5000), /raised to level 33, but the brokers still report level 27 after 5 s/)
  })
})
