import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ReadinessLog } from './readiness-log.ts'

test('readiness log: a change of answer, or of the kind of reason, is logged once; repeats are not', () => {
  const log = new ReadinessLog()
  const said = [
    log.record(false, 'not ready: broker 1 is catching up: not yet in the ISR of 12 partitions (t-0, t-1, t-2, ...)'),
    log.record(false, 'not ready: broker 1 is catching up: not yet in the ISR of 3 partitions (t-4)'),
    log.record(true, 'ready: broker 1 is registered, in sync, and no partition is offline or under min.insync.replicas'),
    log.record(true, 'ready: broker 1 is registered, in sync, and no partition is offline or under min.insync.replicas'),
    log.record(false, 'not ready: 2 partitions are under min.insync.replicas (t-0, t-3)'),
    log.record(false, 'not ready: 1 partitions are under min.insync.replicas (t-3)'),
    log.record(false, 'not ready: cannot read the cluster state through 10.0.0.1:9092: timed out after 5000 ms'),
    log.record(true, 'ready: broker 1 is registered, in sync, and no partition is offline or under min.insync.replicas'),
  ]
  assert.deepEqual(said.map((s) => s?.split(':')[0]), ['first answer', undefined, 'became ready', undefined, 'became NOT ready', undefined, 'still not ready, now', 'became ready'])
  assert.match(said[4]!, /2 partitions are under min.insync.replicas \(t-0, t-3\)/, 'the line logged is the answer itself')
})

test('readiness log: a broker ready from its first answer logs that answer, then nothing until it changes', () => {
  const log = new ReadinessLog()
  assert.equal(log.record(true, 'ready: ...'), 'first answer: ready: ...')
  assert.equal(log.record(true, 'ready: ...'), undefined)
  assert.match(log.record(false, 'not ready: broker 1 is not registered') ?? '', /^became NOT ready: not ready: broker 1 is not registered$/)
})
