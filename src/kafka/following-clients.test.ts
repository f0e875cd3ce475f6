import assert from 'node:assert/strict'
import { describe, it, mock } from 'node:test'
import { MultipleErrors } from '@platformatic/kafka'
import { firstToConnect, KnownBrokers } from './following-clients.ts'

const metadata = (...addresses: [number, string, number][]) => ({ brokers: new Map(addresses.map(([id, host, port]) => [id, { host, port }])) })
const names = (brokers: { host: string; port: number }[]) => brokers.map((b) => `${b.host}:${b.port}`)

describe('KnownBrokers', () => {
  it('bootstraps from the given addresses until the client has metadata', () => {
    const known = new KnownBrokers(['10.244.1.5:9094', '10.244.2.7:9094'])
    assert.deepEqual(names(known.order(undefined, 0)), ['10.244.1.5:9094', '10.244.2.7:9094'])
    assert.deepEqual(names(known.order(metadata(), 0)), ['10.244.1.5:9094', '10.244.2.7:9094'])
  })

  it('puts the brokers of its metadata first, the given addresses after, once each', () => {
    const known = new KnownBrokers(['10.244.1.5:9094', '10.244.2.7:9094'])
    assert.deepEqual(names(known.order(metadata([0, '10.244.1.9', 9094], [1, '10.244.2.7', 9094]), 0)), ['10.244.1.9:9094', '10.244.2.7:9094', '10.244.1.5:9094'])
  })

  it('keeps the brokers it knew once the client cleared its metadata', () => {
    const known = new KnownBrokers(['10.244.1.5:9094'])
    known.remember(metadata([0, '10.244.1.9', 9094], [1, '10.244.2.8', 9094]))
    assert.deepEqual(names(known.order(undefined, 0)), ['10.244.1.9:9094', '10.244.2.8:9094', '10.244.1.5:9094'])
  })

  it('starts further along the list on each retry, as the client does', () => {
    const known = new KnownBrokers(['a:1', 'b:2', 'c:3'])
    assert.deepEqual(names(known.order(undefined, 1)), ['b:2', 'c:3', 'a:1'])
    assert.deepEqual(names(known.order(undefined, 5)), ['c:3', 'a:1', 'b:2'])
  })
})

describe('firstToConnect', () => {
  /**
   * Addresses that connect after `ms` (a number), refuse after `ms` (`-ms`), or never answer (`null`, a
   * gone pod's IP: no RST), on mocked timers; what was tried, when, and what the callback got.
   */
  function race(behaviour: Record<string, number | null>, staggerMs = 250) {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
    const tried: string[] = []
    const result: { error?: Error | null; connection?: string; at?: number } = {}
    const brokers = Object.keys(behaviour).map((a) => ({ host: a.split(':')[0]!, port: Number(a.split(':')[1]) }))
    firstToConnect<string>(brokers, (broker, done) => {
      const address = `${broker.host}:${broker.port}`
      tried.push(`${address}@${Date.now()}`)
      const ms = behaviour[address]
      if (ms === null || ms === undefined) return
      setTimeout(() => (ms < 0 ? done(new Error(`${address} refused`)) : done(null, address)), Math.abs(ms))
    }, staggerMs, (error, connection) => {
      assert.equal(result.at, undefined, 'called back once')
      Object.assign(result, { error, connection, at: Date.now() })
    })
    // A millisecond at a time, so that each timer sees its own time (one tick of 10 s shows them all 10 s).
    const tick = (ms: number) => {
      for (let i = 0; i < ms; i++) mock.timers.tick(1)
    }
    return { tried, result, tick }
  }

  it('a live first address: one connection, no other tried', (t) => {
    t.after(() => mock.timers.reset())
    const { tried, result, tick } = race({ 'a:1': 3, 'b:1': 3, 'c:1': 3 })
    tick(2000)
    assert.deepEqual(tried, ['a:1@0'])
    assert.deepEqual(result, { error: null, connection: 'a:1', at: 3 })
  })

  it('three addresses that never answer ahead of a live one: it connects after three staggers, not three connect timeouts', (t) => {
    t.after(() => mock.timers.reset())
    const { tried, result, tick } = race({ 'gone1:1': null, 'gone2:1': null, 'gone3:1': null, 'live:1': 3 })
    tick(2000)
    assert.deepEqual(tried, ['gone1:1@0', 'gone2:1@250', 'gone3:1@500', 'live:1@750'])
    assert.deepEqual(result, { error: null, connection: 'live:1', at: 753 })
  })

  it('a refused address makes way for the next at once', (t) => {
    t.after(() => mock.timers.reset())
    const { tried, result, tick } = race({ 'a:1': -5, 'b:1': -5, 'c:1': 3 })
    tick(2000)
    assert.deepEqual(tried, ['a:1@0', 'b:1@5', 'c:1@10'])
    assert.deepEqual(result, { error: null, connection: 'c:1', at: 13 })
  })

  it('a slow address that connects first still wins over a later one', (t) => {
    t.after(() => mock.timers.reset())
    const { tried, result, tick } = race({ 'slow:1': 400, 'fast:1': 300 })
    tick(2000)
    assert.deepEqual(tried, ['slow:1@0', 'fast:1@250'])
    assert.deepEqual(result, { error: null, connection: 'slow:1', at: 400 })
  })

  it("all refused: the library's MultipleErrors with each address's error, once every one has answered", (t) => {
    t.after(() => mock.timers.reset())
    const { result, tick } = race({ 'a:1': -1000, 'b:1': -10 })
    tick(2000)
    assert.ok(result.error instanceof MultipleErrors)
    assert.deepEqual((result.error as MultipleErrors).errors.map((e: Error) => e.message), ['b:1 refused', 'a:1 refused'])
    assert.equal(result.at, 1000)
  })

  it('no address: an error at once', (t) => {
    t.after(() => mock.timers.reset())
    const { tried, result } = race({})
    assert.deepEqual(tried, [])
    assert.ok(result.error instanceof MultipleErrors)
  })
})
