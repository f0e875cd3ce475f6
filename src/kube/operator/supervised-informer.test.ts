import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node'
import { SupervisedInformer } from './supervised-informer.ts'

/** A stand-in for client-node's informer: start() lists (or fails), errors are raised by the test. */
class FakeInformer {
  starts = 0
  stops = 0
  failNextStarts = 0
  readonly handlers = new Map<string, ((arg?: unknown) => void)[]>()
  on(verb: string, cb: (arg?: unknown) => void) {
    this.handlers.set(verb, [...(this.handlers.get(verb) ?? []), cb])
  }
  off() {}
  emit(verb: string, arg?: unknown) {
    for (const cb of this.handlers.get(verb) ?? []) cb(arg)
  }
  async start() {
    this.starts++
    if (this.failNextStarts > 0) {
      this.failNextStarts--
      this.emit('error', new Error('connect ECONNREFUSED'))
    }
  }
  async stop() {
    this.stops++
  }
  list() {
    return []
  }
  get() {
    return undefined
  }
}

const supervise = (fake: FakeInformer, changes: KubernetesObject[] = [], lines: string[] = []) =>
  new SupervisedInformer({
    name: 'KafkaCluster',
    informer: fake as unknown as Informer<KubernetesObject> & ObjectCache<KubernetesObject>,
    onChange: (o) => changes.push(o),
    backoff: { baseMs: 20, maxMs: 100 },
    log: (l) => lines.push(l),
  })

describe('SupervisedInformer', () => {
  it('restarts the informer after a watch error, with backoff, and says so', async () => {
    const fake = new FakeInformer()
    const lines: string[] = []
    const informer = supervise(fake, [], lines)
    await informer.start()
    assert.equal(fake.starts, 1)
    fake.emit('error', new Error('watch closed: 500 Internal Server Error'))
    await sleep(5)
    assert.equal(fake.starts, 1, 'not before the backoff')
    await sleep(60)
    assert.equal(fake.starts, 2)
    assert.equal(informer.restarts, 1)
    assert.match(lines[0]!, /watch of KafkaCluster failed \(watch closed: 500 Internal Server Error\); restarting in 20 ms/)
    fake.emit('error', new Error('again'))
    await sleep(100)
    assert.equal(fake.starts, 3)
    assert.match(lines[1]!, /restarting in 40 ms/, 'consecutive failures back off further')
    await informer.stop()
  })

  it('start() retries a failing first list until it succeeds', async () => {
    const fake = new FakeInformer()
    fake.failNextStarts = 2
    await supervise(fake).start()
    assert.equal(fake.starts, 3)
  })

  it('passes adds, updates and deletes on; after stop() nothing restarts', async () => {
    const fake = new FakeInformer()
    const changes: KubernetesObject[] = []
    const informer = supervise(fake, changes)
    await informer.start()
    for (const verb of ['add', 'update', 'delete']) fake.emit(verb, { metadata: { name: verb } })
    assert.deepEqual(changes.map((c) => c.metadata?.name), ['add', 'update', 'delete'])
    fake.emit('error', new Error('boom'))
    await informer.stop()
    await sleep(60)
    assert.equal(fake.starts, 1)
    assert.equal(fake.stops, 1)
  })
})
