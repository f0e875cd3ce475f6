import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KnownBrokers } from './following-clients.ts'

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
