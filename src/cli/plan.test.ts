import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { parseReassignment } from '../formats/reassignment-json.ts'
import { main } from './main.ts'

let dir: string
const file = (name: string) => join(dir, name)

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kafkaplane-plan-'))
  await writeFile(
    file('wise.yaml'),
    'dimensions: [cluster, zone]\nbrokers:\n' +
      [0, 1, 2, 3, 4, 5].map((id) => `  - {id: ${id}, cluster: k8s-${id < 3 ? 1 : 2}, zone: ${'abc'[id % 3]}}`).join('\n') +
      '\n',
  )
  await writeFile(
    file('blockport.yaml'),
    'dimensions: [zone]\nbrokers:\n' +
      [1001, 1002, 1003, 1004, 1005, 0, 1, 2, 3, 4].map((id, i) => `  - {id: ${id}, zone: ${'aabbc'[i % 5]}}`).join('\n') +
      '\n',
  )
  // Everything on the k8s-1 brokers: one Kubernetes cluster loss takes every partition down.
  await writeFile(file('lopsided.json'), JSON.stringify({ version: 1, partitions: [0, 1, 2].map((p) => ({ topic: 'orders', partition: p, replicas: [0, 1, 2] })) }))
  await writeFile(file('rf1.json'), JSON.stringify({ version: 1, partitions: [0, 1, 2, 3].map((p) => ({ topic: 'logs', partition: p, replicas: [1001 + p] })) }))
})
after(() => rm(dir, { recursive: true, force: true }))

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const sink = (append: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (append(String(chunk)), done()) })
  const code = await main(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: process.env })
  return { code, stdout, stderr }
}

test('plan assign writes reassignment JSON that Kafka and kafkaplane both read', async () => {
  const r = await run('plan', 'assign', '--topology', file('wise.yaml'), '--topic', 'payments', '--partitions', '6', '--replication-factor', '6', '--min-insync', '3')
  assert.equal(r.code, 0, r.stderr)
  const assignment = parseReassignment(r.stdout, 'stdout')
  assert.equal(assignment.length, 6)
  assert.ok(assignment.every((p) => new Set(p.replicas).size === 6))
  assert.match(r.stderr, /moves: 6 partitions change/)
  assert.match(r.stderr, /cluster\s+6\/6\s+6\/6/)
})

test('plan check exits 1 on a placement that a cluster loss would stop, and rebalance fixes it', async () => {
  const checked = await run('plan', 'check', '--topology', file('wise.yaml'), '--current', file('lopsided.json'), '--min-insync', '1')
  assert.equal(checked.code, 1)
  assert.match(checked.stdout, /even-spread-on-every-dimension\s+hard\s+VIOLATED/)
  assert.match(checked.stdout, /3 partitions would stop taking acks=all writes after a domain loss/)
  const fixed = await run('plan', 'rebalance', '--topology', file('wise.yaml'), '--current', file('lopsided.json'), '--min-insync', '1')
  assert.equal(fixed.code, 0, fixed.stderr)
  await writeFile(file('fixed.json'), fixed.stdout)
  const recheck = await run('plan', 'check', '--topology', file('wise.yaml'), '--current', file('fixed.json'), '--min-insync', '1')
  assert.equal(recheck.code, 0, recheck.stdout)
})

test('plan replication-factor: --check lists and exits 1, then the fix keeps old replicas', async () => {
  const checked = await run('plan', 'replication-factor', '--check', '--target', '3', '--topology', file('blockport.yaml'), '--current', file('rf1.json'))
  assert.equal(checked.code, 1)
  assert.equal(checked.stdout, 'logs: 4 partitions at RF 1 (target 3)\n')
  const fixed = await run('plan', 'replication-factor', '--target', '3', '--topology', file('blockport.yaml'), '--current', file('rf1.json'))
  assert.equal(fixed.code, 0, fixed.stderr)
  for (const p of parseReassignment(fixed.stdout, 'stdout')) {
    assert.equal(p.replicas.length, 3)
    assert.equal(p.replicas[0], 1001 + p.partition, 'the existing replica stays the leader')
  }
})

test('plan migrate prints stages', async () => {
  const r = await run('plan', 'migrate', '--topology', file('blockport.yaml'), '--current', file('rf1.json'), '--from', '1001,1002,1003,1004,1005', '--to', '0,1,2,3,4', '--max-moves-per-stage', '2')
  assert.equal(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout) as { version: number; stages: { partitions: unknown[] }[] }
  assert.equal(doc.version, 1)
  assert.ok(doc.stages.length >= 1)
  const last = new Map<string, number[]>()
  for (const stage of doc.stages) {
    const into = new Map<number, number>()
    for (const p of parseReassignment(JSON.stringify(stage), 'stage')) {
      last.set(`${p.topic}-${p.partition}`, [...p.replicas])
      for (const b of p.replicas) into.set(b, (into.get(b) ?? 0) + 1)
    }
    assert.ok([...into.values()].every((n) => n <= 2), 'at most 2 moves per broker per stage')
  }
  assert.equal(last.size, 4)
  assert.ok([...last.values()].every((replicas) => replicas.every((b) => b < 1000)))
})

test('plan advise recommends RF 6 / min.insync 3 for 2 clusters x 3 zones', async () => {
  const r = await run('plan', 'advise', '--topology', file('wise.yaml'))
  assert.equal(r.code, 0)
  assert.match(r.stdout, /recommended: replication factor 6, min.insync.replicas 3/)
})

test('impossible requests and malformed files exit 2 naming the value', async () => {
  const cases: [string[], RegExp][] = [
    [['plan', 'assign', '--topology', file('wise.yaml'), '--topic', 't', '--partitions', '3', '--replication-factor', '7'], /replication factor 7 is more than the 6 brokers/],
    [['plan', 'check', '--topology', file('wise.yaml'), '--current', file('rf1.json')], /broker 1001 \(a replica of logs-0\) is not in the topology/],
    [['plan', 'migrate', '--topology', file('blockport.yaml'), '--current', file('rf1.json'), '--from', '1001', '--to', '99'], /--to: broker 99 is not in the topology/],
    [['plan', 'rebalance', '--topology', file('wise.yaml'), '--current', file('wise.yaml')], /wise.yaml is not valid JSON/],
    [['plan', 'rebalance', '--topology', file('lopsided.json') + '.missing', '--current', file('lopsided.json')], /cannot read topology file .*ENOENT/],
    [['plan', 'rebalance', '--topology', file('wise.yaml')], /needs --current FILE/],
    [['plan', 'rebalance', '--topology', file('wise.yaml'), '--current', file('lopsided.json'), '--min-insync', '2', '--topic-config', file('x')], /exclusive/],
    [['plan', 'shuffle', '--topology', file('wise.yaml'), '--current', file('lopsided.json')], /unknown plan operation "shuffle"/],
    [['plan', 'rebalance', '--topology', file('wise.yaml'), '--current', file('lopsided.json'), '--tolerance', '2'], /--tolerance 2 is not a fraction/],
  ]
  for (const [argv, message] of cases) {
    const r = await run(...argv)
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message)
    assert.match(r.stderr, /fix: /)
    assert.equal(r.stdout, '', 'nothing is planned')
  }
  await writeFile(file('sizes.json'), '{"orders-0": -1}')
  const sizes = await run('plan', 'rebalance', '--topology', file('wise.yaml'), '--current', file('lopsided.json'), '--partition-sizes', file('sizes.json'))
  assert.equal(sizes.code, 2)
  assert.match(sizes.stderr, /sizes.json: orders-0 must be >= 0/)
  await writeFile(file('bad.json'), '{"version":1,"partitions":[{"topic":"t","partition":-1,"replicas":[]}]}')
  const bad = await run('plan', 'check', '--topology', file('wise.yaml'), '--current', file('bad.json'))
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /partitions\[0\]\.partition must be >= 0; partitions\[0\]\.replicas must NOT have fewer than 1 items/)
})
