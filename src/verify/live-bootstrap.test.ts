import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { findLiveBootstrap, noAddressAnswered, type BrokerProbe } from './live-bootstrap.ts'

/**
 * A probe that answers `brokers` at the addresses given (at once for afterMs 0, else after a timer),
 * fails at once at those given 'refuse', and never answers at the others; `aborted` gets the addresses
 * whose probe was stopped while it waited.
 */
function fakeProbe(answers: Record<string, { afterMs: number; brokers: string[] } | 'refuse'>, aborted: string[] = []): BrokerProbe {
  return (address, signal) => {
    const answer = answers[address]
    if (answer === 'refuse') return Promise.reject(new Error('ECONNREFUSED'))
    if (answer?.afterMs === 0) return Promise.resolve(answer.brokers)
    return new Promise((resolve, reject) => {
      const timer = answer && setTimeout(() => resolve(answer.brokers), answer.afterMs)
      signal.addEventListener('abort', () => {
        if (!answer) aborted.push(address)
        clearTimeout(timer)
        reject(new Error('aborted'))
      })
    })
  }
}

describe('findLiveBootstrap', () => {
  it('finds the live address behind dead ones in one answer, not one dead address after another; its fresh brokers first', async () => {
    const aborted: string[] = []
    const started = performance.now()
    const found = await findLiveBootstrap(['dead1', 'dead2', 'dead3', 'dead4', 'live:9092'], fakeProbe({ 'live:9092': { afterMs: 30, brokers: ['b0:9092', 'b1:9092'] } }, aborted), 5000)
    assert.ok(performance.now() - started < 1000)
    assert.deepEqual(found.bootstrap, ['b0:9092', 'b1:9092', 'live:9092', 'dead1', 'dead2', 'dead3', 'dead4'])
    assert.deepEqual(found.answered, ['live:9092'])
    assert.deepEqual(aborted.sort(), ['dead1', 'dead2', 'dead3', 'dead4'], 'the probes still waiting are stopped')
  })

  it('puts the first answer\'s brokers first, then the other addresses that answered, then the rest, each once', async () => {
    const probe = fakeProbe({
      slow: { afterMs: 40, brokers: ['x:1'] },
      fast: { afterMs: 0, brokers: ['b0:9092', 'fast'] },
      alsoFast: { afterMs: 0, brokers: ['b0:9092'] },
    })
    const found = await findLiveBootstrap(['dead', 'slow', 'alsoFast', 'fast', 'dead'], probe, 5000)
    assert.deepEqual(found.tried, ['dead', 'slow', 'alsoFast', 'fast'])
    assert.deepEqual(found.answered, ['alsoFast', 'fast'], 'the answers of the same moment, in the order they came')
    assert.deepEqual(found.bootstrap, ['b0:9092', 'alsoFast', 'fast', 'dead', 'slow'])
  })

  it('gives up at its timeout when none answers, and keeps the candidates as they were', async () => {
    const started = performance.now()
    const found = await findLiveBootstrap(['d1', 'd2', 'd3', 'd4', 'd5', 'd6'], fakeProbe({}), 100)
    assert.ok(performance.now() - started < 1000)
    assert.deepEqual(found, { bootstrap: ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'], answered: [], tried: ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'] })
    assert.equal(noAddressAnswered(found), 'no address answered of 6 tried: d1, d2, d3, d4, d5, ...')
  })

  it('ends as soon as every probe failed, without waiting out its timeout', async () => {
    const started = performance.now()
    const found = await findLiveBootstrap(['r1', 'r2'], fakeProbe({ r1: 'refuse', r2: 'refuse' }), 60_000)
    assert.ok(performance.now() - started < 1000)
    assert.deepEqual(found.answered, [])
    assert.equal(noAddressAnswered(found), 'no address answered of 2 tried: r1, r2')
  })

  it('has nothing to do without candidates', async () => {
    assert.deepEqual(await findLiveBootstrap([], fakeProbe({}), 60_000), { bootstrap: [], answered: [], tried: [] })
  })

  it('takes a probe that throws at once as one that failed', async () => {
    const found = await findLiveBootstrap(['bad', 'good'], (address) => {
      if (address === 'bad') throw new Error('bad address')
      return Promise.resolve(['b0:9092'])
    }, 1000)
    assert.deepEqual(found.bootstrap, ['b0:9092', 'good', 'bad'])
  })
})
