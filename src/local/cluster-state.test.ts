import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { readClusterState, writeClusterState, type ClusterState } from './cluster-state.ts'

test('state writes at the same moment all land, whole, and leave no temp file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cluster-state-'))
  try {
    const state = (n: number): ClusterState => ({ format: 1, clusterId: 'abc', kafkaVersion: '4.1.1', ephemeral: false, topology: { dimensions: ['zone'], brokers: [] }, basePort: 9092, config: {}, heap: '512m', pids: { '0': n } })
    await Promise.all(Array.from({ length: 20 }, (_, n) => writeClusterState(dir, state(n))))
    const read = await readClusterState(dir)
    assert.ok(read && read.pids['0']! >= 0 && read.pids['0']! < 20)
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
