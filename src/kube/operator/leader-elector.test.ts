import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { seededRandom } from '../../core/verify/campaign-scenario.ts'
import type { Clock } from '../../ports/clock.ts'
import { LeaderElector, type LeadershipEnd, type LeaseStore } from './leader-elector.ts'
import { DEFAULT_TIMINGS, type LeaseRecord, type LeaseView } from './lease-decision.ts'

/**
 * The leader elector on simulated time: a clock whose timers fire only when the test advances it, and
 * an in-memory Lease with the API server's optimistic concurrency, whose requests take simulated time
 * and can hang (a crashed or cut-off candidate) or fail (before or after they took effect).
 */
interface Timer {
  at: number
  seq: number
  fire: () => void
}

class FakeClock implements Clock {
  #now = 0
  #seq = 0
  readonly #timers: Timer[] = []

  now(): number {
    return this.#now
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve()
      const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fire: () => {} }
      const onAbort = () => {
        this.#timers.splice(this.#timers.indexOf(timer), 1)
        resolve()
      }
      timer.fire = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#timers.push(timer)
    })
  }

  /** Runs every timer due up to `until`, in order, letting the promise chains they start settle. */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r))
      let next: Timer | undefined
      for (const t of this.#timers) if (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t
      if (!next || next.at > until) break
      this.#timers.splice(this.#timers.indexOf(next), 1)
      this.#now = next.at
      next.fire()
    }
    this.#now = until
    await new Promise((r) => setImmediate(r))
  }
}

/** What happens to one client's requests now. */
type Link = 'up' | 'hang' | 'fail'

class MemoryLease {
  lease: LeaseView | undefined
  #version = 0
  readonly writes: { at: number; record: LeaseRecord }[] = []
  readonly clock: FakeClock
  /** Runs at the API server before each update is checked against the version. */
  beforeUpdate = () => {}

  constructor(clock: FakeClock) {
    this.clock = clock
  }

  /** A client's view: each request takes `latency()` there and back; `link()` may hang or fail it. */
  client(link: () => Link, latency: () => number = () => 20, loseAnswer: () => boolean = () => false): LeaseStore {
    const request = async <T>(apply: () => T): Promise<T> => {
      const state = link()
      if (state === 'hang') return new Promise<T>(() => {})
      await this.clock.sleep(latency())
      if (state === 'fail') throw new Error('connection refused')
      const result = apply()
      await this.clock.sleep(latency())
      if (loseAnswer()) throw new Error('connection reset (the request took effect)')
      return result
    }
    const write = (record: LeaseRecord) => {
      this.lease = { record: { ...record }, version: String(++this.#version) }
      this.writes.push({ at: this.clock.now(), record: { ...record } })
      return true
    }
    return {
      name: 'ops/kafkaplane-operator',
      get: () => request(() => (this.lease ? structuredClone(this.lease) : undefined)),
      create: (record) => request(() => (this.lease ? false : write(record))),
      update: (record, version) =>
        request(() => {
          this.beforeUpdate()
          return this.lease?.version === version ? write(record) : false
        }),
    }
  }
}

/** One candidate, recording when it believed it led: from `acquire` resolving true until `hold` ended (or it crashed or stopped). */
class Candidate {
  readonly elector: LeaderElector
  readonly terms: { from: number; to: number | undefined; end?: LeadershipEnd['reason'] | 'crashed' | 'stopped' }[] = []
  readonly lines: string[] = []
  link: Link = 'up'
  #done: Promise<void>
  readonly clock: FakeClock

  constructor(identity: string, lease: MemoryLease, options: { random?: () => number; latency?: () => number; loseAnswer?: () => boolean } = {}) {
    this.clock = lease.clock
    this.elector = new LeaderElector({
      store: lease.client(() => this.link, options.latency, options.loseAnswer),
      identity,
      clock: lease.clock,
      log: (line) => this.lines.push(`${lease.clock.now()} ${line}`),
      random: options.random ?? (() => 0),
    })
    this.#done = this.#run()
  }

  get leading(): boolean {
    return this.terms.at(-1)?.to === undefined && this.terms.length > 0
  }

  async #run(): Promise<void> {
    if (!(await this.elector.acquire())) return
    this.terms.push({ from: this.clock.now(), to: undefined })
    const end = await this.elector.hold()
    this.#end(end.reason)
  }

  #end(reason: NonNullable<Candidate['terms'][number]['end']>): void {
    const term = this.terms.at(-1)
    if (term && term.to === undefined) Object.assign(term, { to: this.clock.now(), end: reason })
  }

  /** kill -9: nothing it sends arrives any more. */
  crash(): void {
    this.#end('crashed')
    this.link = 'hang'
    void this.elector.stop()
  }

  /** SIGTERM: its work ends now, then the Lease is released. */
  async stop(): Promise<void> {
    this.#end('stopped')
    await this.elector.stop()
    await this.#done
  }
}

/** Candidate a leading and b standing by, 20 s in. */
async function leaderAndStandby(): Promise<{ clock: FakeClock; lease: MemoryLease; a: Candidate; b: Candidate }> {
  const clock = new FakeClock()
  const lease = new MemoryLease(clock)
  const a = new Candidate('a', lease)
  await clock.runUntil(100)
  const b = new Candidate('b', lease)
  await clock.runUntil(20_000)
  assert.ok(a.leading && !b.leading, 'a renews: b never takes over')
  return { clock, lease, a, b }
}

test('one candidate: creates the Lease, renews it every retry period, releases it on stop', async () => {
  const clock = new FakeClock()
  const lease = new MemoryLease(clock)
  const a = new Candidate('a', lease)
  await clock.runUntil(1000)
  assert.ok(a.leading)
  // Read (20 ms there and back), decided at 40 ms, created at 60 ms.
  assert.deepEqual(lease.lease?.record, { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: 40, renewTime: 40, leaseTransitions: 0 })
  await clock.runUntil(10_000)
  const renewals = lease.writes.map((w) => w.record.renewTime)
  assert.ok(renewals.length >= 4, `renewed every ~2 s: ${renewals}`)
  for (let i = 1; i < renewals.length; i++) assert.ok(renewals[i]! - renewals[i - 1]! <= DEFAULT_TIMINGS.retryPeriodMs + 100, `${renewals}`)
  assert.equal(lease.lease?.record.acquireTime, 40, 'renewing keeps acquireTime')
  const stopping = a.stop()
  await clock.runUntil(11_000)
  await stopping
  assert.deepEqual(lease.lease?.record, { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: lease.lease!.record.renewTime, renewTime: lease.lease!.record.renewTime, leaseTransitions: 0 })
  assert.match(a.lines.join('\n'), /released Lease ops\/kafkaplane-operator/)
})

test('a standby waits for the holder, says so once, and takes over at once when the holder releases', async () => {
  const { clock, lease, a, b } = await leaderAndStandby()
  assert.equal(b.lines.filter((l) => /held by a: standing by/.test(l)).length, 1)
  const stopping = a.stop()
  const stoppedAt = clock.now()
  await clock.runUntil(40_000)
  await stopping
  assert.ok(b.leading)
  const tookOver = b.terms[0]!.from - stoppedAt
  assert.ok(tookOver <= DEFAULT_TIMINGS.retryPeriodMs + 200, `took over ${tookOver} ms after the release, not after the whole lease`)
  assert.equal(lease.lease?.record.holderIdentity, 'b')
  assert.equal(lease.lease?.record.leaseTransitions, 1)
})

test('the holder crashes: a standby takes over once the record has not changed for the lease duration, never sooner', async () => {
  const { clock, lease, a, b } = await leaderAndStandby()
  a.crash()
  const crashedAt = clock.now()
  const lastRenewal = lease.writes.at(-1)!.at
  await clock.runUntil(60_000)
  assert.ok(b.leading)
  assert.ok(b.terms[0]!.from - lastRenewal >= DEFAULT_TIMINGS.leaseDurationMs, `${b.terms[0]!.from - lastRenewal} ms after a's last renewal`)
  // b saw a's last renewal at most a retry period after it was written, and tries at most a retry period after it expired.
  const afterCrash = b.terms[0]!.from - crashedAt
  assert.ok(afterCrash <= DEFAULT_TIMINGS.leaseDurationMs + 2 * DEFAULT_TIMINGS.retryPeriodMs, `${afterCrash} ms after the crash`)
  assert.equal(lease.lease?.record.leaseTransitions, 1)
})

test('a holder cut off from the API server stops leading at the renew deadline, before anybody may take over', async () => {
  const { clock, lease, a, b } = await leaderAndStandby()
  const cutAt = clock.now()
  a.link = 'fail'
  await clock.runUntil(60_000)
  const term = a.terms[0]!
  assert.equal(term.end, 'lost')
  assert.ok(term.to! - cutAt <= DEFAULT_TIMINGS.renewDeadlineMs, `a stopped ${term.to! - cutAt} ms after the cut`)
  assert.match(a.lines.join('\n'), /could not renew Lease ops\/kafkaplane-operator \(Error: connection refused|could not renew Lease ops\/kafkaplane-operator \(connection refused/)
  assert.ok(b.terms[0]!.from >= term.to! + (DEFAULT_TIMINGS.leaseDurationMs - DEFAULT_TIMINGS.renewDeadlineMs) - DEFAULT_TIMINGS.retryPeriodMs, 'b took over well after a stopped')
  // Requests that hang (no answer at all) end leading at the same deadline.
  const c = new Candidate('c', new MemoryLease(clock))
  await clock.runUntil(61_000)
  c.link = 'hang'
  await clock.runUntil(80_000)
  assert.equal(c.terms[0]!.end, 'lost')
  assert.ok(c.terms[0]!.to! - 61_000 <= DEFAULT_TIMINGS.renewDeadlineMs)
})

test('a holder that finds another holder named in the Lease stops leading at once', async () => {
  const clock = new FakeClock()
  const lease = new MemoryLease(clock)
  const a = new Candidate('a', lease)
  await clock.runUntil(5000)
  lease.lease = { version: 'other', record: { holderIdentity: 'intruder', leaseDurationSeconds: 15, acquireTime: 5000, renewTime: 5000, leaseTransitions: 9 } }
  await clock.runUntil(8000)
  assert.equal(a.terms[0]!.end, 'lost')
  assert.ok(a.terms[0]!.to! <= 5000 + DEFAULT_TIMINGS.retryPeriodMs + 100)
})

test('a renewal that loses the race to another write is tried again; the holder keeps leading', async () => {
  const clock = new FakeClock()
  const lease = new MemoryLease(clock)
  let updates = 0
  // The second renewal meets a newer version than it read (somebody wrote between its read and its write).
  lease.beforeUpdate = () => {
    if (++updates === 2) lease.lease = { ...lease.lease!, version: `${lease.lease!.version}-newer` }
  }
  const a = new Candidate('a', lease)
  await clock.runUntil(20_000)
  assert.ok(updates > 3)
  assert.ok(a.leading)
  assert.equal(lease.lease?.record.holderIdentity, 'a')
  assert.equal(a.lines.filter((l) => /could not renew Lease ops\/kafkaplane-operator \(somebody else wrote it first\); trying again/.test(l)).length, 1)
})

/**
 * Never two leaders at once, under random timing and faults: 2 or 3 candidates start at random
 * times; requests take 0-400 ms each way and may lose their answer after taking effect; candidates
 * crash (and come back under the same name, as a restarted container does), get cut off for a while
 * (requests failing or hanging), or stop (releasing). A candidate that loses the Lease comes back too.
 * No two candidates' terms (from acquiring to losing, crashing or stopping) overlap in time; and once
 * the faults end, within a lease duration and a few retries exactly one candidate leads.
 */
test('property: never two leaders at once; after the faults, exactly one leads', async () => {
  const fault = fc.record({
    at: fc.integer({ min: 0, max: 90_000 }),
    who: fc.nat(2),
    what: fc.constantFrom('crash', 'stop', 'fail', 'hang'),
    forMs: fc.integer({ min: 1000, max: 30_000 }),
  })
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: 3 }),
      fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 3, maxLength: 3 }),
      fc.array(fault, { maxLength: 8 }),
      fc.integer(),
      fc.integer({ min: 0, max: 20 }),
      async (count, starts, faults, seed, lossPercent) => {
        const clock = new FakeClock()
        const lease = new MemoryLease(clock)
        const rand = seededRandom(seed)
        let quiet = false
        const options = { random: rand, latency: () => Math.floor(rand() * 400), loseAnswer: () => !quiet && rand() * 100 < lossPercent }
        const everyone: Candidate[] = []
        const current: (Candidate | undefined)[] = new Array(count).fill(undefined)
        const start = (i: number) => {
          // One process per name: the one before it is gone (a container restarts after its process ended).
          current[i]?.crash()
          const c = new Candidate(`pod-${i}`, lease, options)
          everyone.push(c)
          current[i] = c
        }
        const events = [
          ...starts.slice(0, count).map((at, i) => ({ at, run: () => start(i) })),
          ...faults
            .filter((f) => f.who < count)
            .flatMap((f) => {
              const target = () => current[f.who]
              switch (f.what) {
                case 'crash':
                  return [{ at: f.at, run: () => target()?.crash() }, { at: f.at + f.forMs, run: () => start(f.who) }]
                case 'stop':
                  return [{ at: f.at, run: () => void target()?.stop() }, { at: f.at + f.forMs, run: () => start(f.who) }]
                default:
                  return [
                    { at: f.at, run: () => target() && (target()!.link = f.what as Link) },
                    { at: f.at + f.forMs, run: () => target() && (target()!.link = 'up') },
                  ]
              }
            }),
        ].sort((a, b) => a.at - b.at)
        for (const event of events) {
          await clock.runUntil(event.at)
          event.run()
          // A candidate that lost the Lease exits, and its pod starts it again.
          for (let i = 0; i < count; i++) if (current[i]?.terms.at(-1)?.end === 'lost') start(i)
        }
        // The faults end: every cut-off candidate is restarted with a working link.
        const quietFrom = Math.max(clock.now(), 20_000)
        await clock.runUntil(quietFrom)
        quiet = true
        for (let i = 0; i < count; i++) if (current[i] === undefined || current[i]!.link !== 'up') start(i)
        await clock.runUntil(quietFrom + 40_000)
        for (let i = 0; i < count; i++) if (current[i]?.terms.at(-1)?.end === 'lost') start(i)
        await clock.runUntil(quietFrom + 80_000)

        const terms = everyone.flatMap((c) => c.terms.map((t) => ({ who: c, from: t.from, to: t.to ?? Infinity })))
        for (const t of terms) {
          for (const u of terms) {
            if (t === u || t.who === u.who) continue
            assert.ok(t.to <= u.from || u.to <= t.from, `two leaders at once: ${t.who.elector.identity} [${t.from}, ${t.to}) and ${u.who.elector.identity} [${u.from}, ${u.to})\n${everyone.map((c) => c.lines.join('\n')).join('\n---\n')}`)
          }
        }
        const leading = everyone.filter((c) => c.leading && c.link === 'up')
        assert.equal(leading.length, 1, `leading at the end: ${leading.map((c) => c.elector.identity)}`)
        for (const c of everyone) c.link = 'hang'
        for (const c of everyone) void c.elector.stop()
      },
    ),
    { numRuns: 100 },
  )
})
