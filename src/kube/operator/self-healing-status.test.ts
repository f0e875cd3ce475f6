import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ExecuteResult } from '../../executor/executor.ts'
import { gate, lookStatus, planEnded, planStarted } from './self-healing-status.ts'

const settings = { graceMs: 1_800_000, maxPlansPerHour: 2 }
const now = Date.parse('2026-12-01T10:00:00.000Z')
const result = (change: Partial<ExecuteResult>): ExecuteResult => ({ status: 'finished', moved: 3, inFlight: 0, bytes: 3 * 1048576, elapsedMs: 12_400, leaderElectionFailures: [], waitsFor: [], throttlesLeft: [], ...change })

test('a gone broker within its grace period: watching, with when it went and when its replicas move', () => {
  const status = lookStatus({ kind: 'decided', decision: { kind: 'healthy', reasons: [], gone: [{ id: 3, goneMs: 60_000 }] } }, now, settings)
  assert.equal(status.phase, 'watching')
  assert.deepEqual(status.goneBrokers, [{ id: 3, since: '2026-12-01T09:59:00.000Z', drainAt: '2026-12-01T10:29:00.000Z' }])
  assert.equal(status.message, 'broker 3 gone since 2026-12-01T09:59:00.000Z: its replicas move to the brokers left at 2026-12-01T10:29:00.000Z unless it returns (spec.selfHealing.goneBrokerGraceSeconds 1800)')
  // A later look at the same broker says the same: the status changes only when something does.
  assert.deepEqual(lookStatus({ kind: 'decided', decision: { kind: 'healthy', reasons: [], gone: [{ id: 3, goneMs: 90_000 }] } }, now + 30_000, settings), status)
})

test('nothing to fix, with what waits named; rate-limited; no placement', () => {
  assert.deepEqual(lookStatus({ kind: 'decided', decision: { kind: 'healthy', reasons: [], gone: [] } }, now, settings), { phase: 'watching', message: 'nothing to fix' })
  const stranded = lookStatus({ kind: 'decided', decision: { kind: 'healthy', reasons: ['1 partition(s) have no replica on a live broker'], gone: [] } }, now, settings)
  assert.equal(stranded.message, 'nothing to fix; 1 partition(s) have no replica on a live broker')
  const limited = lookStatus({ kind: 'decided', decision: { kind: 'rate-limited', reasons: ['broker 3 gone for 1800 s'], started: 2 } }, now, settings)
  assert.equal(limited.phase, 'rate-limited')
  assert.match(limited.message, /^2 plans started in the last hour \(spec\.selfHealing\.maxPlansPerHour 2\): the next waits; broker 3 gone/)
  const blocked = lookStatus({ kind: 'decided', decision: { kind: 'infeasible', problems: ['t-0 cannot have 3 replicas on 2 brokers'] } }, now, settings)
  assert.deepEqual(blocked, { phase: 'blocked', message: 'no placement meets the hard goals: t-0 cannot have 3 replicas on 2 brokers' })
})

test('what it waits for: a roll, another plan, reassignments it did not start; a failed look; turned off', () => {
  assert.equal(lookStatus({ kind: 'roll' }, now, settings).phase, 'waiting')
  assert.match(lookStatus({ kind: 'roll' }, now, settings).message, /a roll of this KafkaCluster runs/)
  const other = lookStatus({ kind: 'other-plan', operation: 'KafkaCluster kafka/kafka scale', createdAt: '2026-12-01T09:00:00Z' }, now, settings)
  assert.deepEqual(other, { phase: 'waiting', message: 'an unfinished plan (KafkaCluster kafka/kafka scale, started 2026-12-01T09:00:00Z) holds this KafkaCluster: the self-healer waits for it to end' })
  assert.match(lookStatus({ kind: 'foreign', reassignments: 2, example: 'orders-1' }, now, settings).message, /^2 partition reassignment\(s\) not started by the self-healer are in flight \(e\.g\. orders-1\)/)
  assert.deepEqual(lookStatus({ kind: 'failed', message: 'Kafka not answering' }, now, settings), { phase: 'failed', message: 'Kafka not answering; looking again' })
  assert.equal(lookStatus({ kind: 'disabled' }, now, settings).phase, 'disabled')
})

test('a plan: an Event when it starts and when it ends (finished, waiting for brokers, failed); none when interrupted', () => {
  const started = planStarted({ planId: 'p1', moves: 3, reasons: ['broker 3 gone for 1800 s (grace 1800 s): moving its 3 replicas to the brokers left'] }, now)
  assert.deepEqual(started.lastPlan, { planId: 'p1', startedAt: '2026-12-01T10:00:00.000Z', moves: 3, reasons: ['broker 3 gone for 1800 s (grace 1800 s): moving its 3 replicas to the brokers left'], result: 'running' })
  assert.deepEqual(started.event, { reason: 'SelfHealingStarted', type: 'Normal', message: 'plan p1: 3 partition moves (broker 3 gone for 1800 s (grace 1800 s): moving its 3 replicas to the brokers left)' })

  const finished = planEnded(started.lastPlan, { result: result({}) }, now + 13_000)
  assert.equal(finished.lastPlan.result, 'finished')
  assert.equal(finished.lastPlan.endedAt, '2026-12-01T10:00:13.000Z')
  assert.deepEqual(finished.event, { reason: 'SelfHealingFinished', type: 'Normal', message: 'plan p1 finished: 3 partitions moved, 3.0 MiB copied in 12 s' })

  const waiting = planEnded(started.lastPlan, { result: result({ status: 'waiting', moved: 1, waitsFor: [4] }) }, now)
  assert.equal(waiting.event?.reason, 'SelfHealingWaiting')
  assert.equal(waiting.event?.type, 'Warning')
  assert.match(waiting.event!.message, /1\/3 moves done, the rest need broker 4/)

  const failed = planEnded(started.lastPlan, { error: 'Kafka refused' }, now)
  assert.deepEqual([failed.lastPlan.result, failed.event?.reason, failed.event?.type], ['failed', 'SelfHealingFailed', 'Warning'])

  const interrupted = planEnded(started.lastPlan, { result: result({ status: 'interrupted', moved: 1, inFlight: 2 }) }, now)
  assert.equal(interrupted.event, undefined)
  assert.equal(interrupted.lastPlan.result, 'interrupted')
  assert.equal(interrupted.lastPlan.endedAt, undefined, 'it continues')
})

test('the gate: no look while a roll runs or another operation\'s plan is unfinished; the healer\'s own plan is continued', () => {
  const operation = 'KafkaCluster kafka/kafka self-healing'
  const own = { operation, createdAt: '2026-12-01T09:00:00Z' }
  const other = { operation: 'KafkaCluster kafka/kafka scale', createdAt: '2026-12-01T09:00:00Z' }
  assert.equal(gate({ rolling: false, unfinished: undefined, operation }), undefined)
  assert.equal(gate({ rolling: false, unfinished: own, operation }), undefined)
  assert.deepEqual(gate({ rolling: false, unfinished: other, operation }), { kind: 'other-plan', ...other })
  assert.deepEqual(gate({ rolling: true, unfinished: own, operation }), { kind: 'roll' }, 'not even its own plan while a roll runs')
  assert.deepEqual(gate({ rolling: true, unfinished: other, operation }), { kind: 'roll' })
})
