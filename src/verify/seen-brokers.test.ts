import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SeenBrokers } from './seen-brokers.ts'

const metadata = (lastUpdate: number, ...addresses: [number, string, number][]) => ({ lastUpdate, brokers: new Map(addresses.map(([id, host, port]) => [id, { host, port }])) })

describe('SeenBrokers', () => {
  it('bootstraps from the given addresses until a client has seen the brokers', () => {
    const book = new SeenBrokers(['10.244.1.5:9094', '10.244.2.7:9094'])
    book.observe(undefined)
    book.observe(metadata(5, ))
    assert.deepEqual(book.bootstrapServers(), ['10.244.1.5:9094', '10.244.2.7:9094'])
  })

  it('puts the addresses seen last first, keeps the given ones after, once each', () => {
    const book = new SeenBrokers(['10.244.1.5:9094', '10.244.2.7:9094'])
    book.observe(metadata(10, [0, '10.244.1.9', 9094], [1, '10.244.2.7', 9094]))
    assert.deepEqual(book.bootstrapServers(), ['10.244.1.9:9094', '10.244.2.7:9094', '10.244.1.5:9094'])
  })

  it('keeps the freshest metadata of all the clients, whatever order they report in', () => {
    const book = new SeenBrokers(['a:1'])
    book.observe(metadata(20, [0, 'new', 9092]))
    book.observe(metadata(10, [0, 'old', 9092]))
    assert.deepEqual(book.bootstrapServers(), ['new:9092', 'a:1'])
    book.observe(metadata(30, [0, 'newer', 9092], [1, '::1', 9093]))
    assert.deepEqual(book.bootstrapServers(), ['newer:9092', '[::1]:9093', 'a:1'])
  })

  it('offers as candidates every address a client reported, the freshest list first, then older ones, then the given ones', () => {
    const book = new SeenBrokers(['given:9092', 'old:9092'])
    book.observe(metadata(10, [0, 'old', 9092], [1, 'older', 9092]))
    book.observe(metadata(30, [0, 'new', 9092]))
    book.observe(metadata(20, [0, 'stale', 9092], [1, 'old', 9092]))
    assert.deepEqual(book.candidates(), ['new:9092', 'old:9092', 'stale:9092', 'older:9092', 'given:9092'])
    assert.deepEqual(book.bootstrapServers(), ['new:9092', 'given:9092', 'old:9092'])
  })
})
