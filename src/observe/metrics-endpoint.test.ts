import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Gauge, Registry } from 'prom-client'
import { buildSeries, isPerPartition, type SeriesFamily } from '../core/observe/exporter-series.ts'
import { collectedCluster } from '../core/observe/exporter-series.fixture.ts'
import { joinRendered, renderCollection, renderSeries } from './metrics-endpoint.ts'

/** What prom-client's own Gauge and Registry write for the same families (the text renderSeries must match). */
async function promClient(families: readonly SeriesFamily[]): Promise<{ text: string; contentType: string }> {
  const registry = new Registry()
  for (const f of families) {
    if (f.samples.length === 0) continue
    const gauge = new Gauge({ name: f.name, help: f.help, labelNames: [...f.labelNames], registers: [registry] })
    for (const s of f.samples) gauge.set(s.labels, s.value)
  }
  return { text: await registry.metrics(), contentType: registry.contentType }
}

const FAMILIES: SeriesFamily[] = [
  { name: 'kafka_brokers', help: 'Number of Brokers in the Kafka Cluster.', labelNames: [], samples: [{ labels: {}, value: 3 }] },
  {
    name: 'kafka_consumergroup_lag',
    help: 'Current Approximate Lag of a ConsumerGroup at Topic/Partition',
    labelNames: ['consumergroup', 'topic', 'partition'],
    samples: [
      { labels: { consumergroup: 'billing', topic: 'orders', partition: '0' }, value: 12 },
      { labels: { consumergroup: 'quo"te\\back\nline', topic: 'orders', partition: '1' }, value: -1 },
      // The same series twice: counted once, at its first place, with the last value.
      { labels: { consumergroup: 'billing', topic: 'orders', partition: '0' }, value: 13 },
      { labels: { consumergroup: 'audit', topic: 'orders', partition: '2' }, value: 0.000123 },
    ],
  },
  { name: 'kafkaplane_empty', help: 'left out: no samples', labelNames: ['broker'], samples: [] },
  { name: 'kafkaplane_help_escapes', help: 'a help with a \\ and a\nnew line and "quotes"', labelNames: ['broker'], samples: [{ labels: { broker: '1' }, value: Number.POSITIVE_INFINITY }, { labels: { broker: '2' }, value: Number.NEGATIVE_INFINITY }] },
  { name: 'kafkaplane_big', help: 'large and small values', labelNames: ['broker'], samples: [{ labels: { broker: '0' }, value: 1.5e21 }, { labels: { broker: '1' }, value: 1796163474.1417332 }] },
]

/** renderSeries's bytes as text. */
async function rendered(families: readonly SeriesFamily[]): Promise<{ text: string; contentType: string }> {
  const { body, contentType } = await renderSeries(families)
  return { text: body.toString('utf8'), contentType }
}

test("renderSeries writes what prom-client's Registry writes, with its content type", async () => {
  assert.deepEqual(await rendered(FAMILIES), await promClient(FAMILIES))
})

test('renderSeries writes more than one of its 1 MiB buffers whole, and UTF-8 label values', async () => {
  const samples = Array.from({ length: 30_000 }, (_, i) => ({ labels: { consumergroup: `grüppe-${i}`, topic: 'orders', partition: String(i % 7) }, value: i }))
  const families: SeriesFamily[] = [{ name: 'kafka_consumergroup_lag', help: 'h', labelNames: ['consumergroup', 'topic', 'partition'], samples }]
  const mine = await rendered(families)
  assert.ok(Buffer.byteLength(mine.text) > 1 << 20)
  assert.equal(mine.text, (await promClient(families)).text)
})

test('renderSeries spells NaN as the text format does, and an empty set of families as one new line', async () => {
  const { text } = await rendered([{ name: 'x', help: 'h', labelNames: [], samples: [{ labels: {}, value: Number.NaN }] }])
  assert.equal(text, '# HELP x h\n# TYPE x gauge\nx NaN\n')
  assert.equal((await rendered([])).text, (await promClient([])).text)
})

test('two renderings joined are the rendering of both lists of families', async () => {
  const text = (chunks: readonly Buffer[]) => Buffer.concat(chunks).toString('utf8')
  for (let cut = 0; cut <= FAMILIES.length; cut++) {
    const [a, b] = [await renderSeries(FAMILIES.slice(0, cut)), await renderSeries(FAMILIES.slice(cut))]
    assert.equal(text(joinRendered([a.body], [b.body])), (await rendered(FAMILIES)).text, `cut after ${cut} families`)
  }
})

test("renderCollection writes buildSeries' families under the same budget, per-topic ones first, and counts as it does", async () => {
  const cluster = collectedCluster()
  const full = buildSeries(cluster, 1_000_000)
  const byFamily = (text: string) => text.split('\n# HELP ').map((block, i) => (i === 0 ? block : `# HELP ${block}`).replace(/\n*$/, '\n')).sort()
  for (const budget of [full.fullCount + 10, full.fullCount, full.fullCount - 1, 3]) {
    const built = buildSeries(cluster, budget)
    const mine = renderCollection(cluster, budget)
    assert.deepEqual({ perPartition: mine.perPartition, count: mine.count, fullCount: mine.fullCount }, { perPartition: built.perPartition, count: built.count, fullCount: built.fullCount }, `budget ${budget}`)
    const text = Buffer.concat(mine.body).toString('utf8')
    assert.deepEqual(byFamily(text), byFamily((await rendered(built.families)).text), `budget ${budget}`)
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!)
    const firstPerPartition = names.findIndex((n) => isPerPartition(full.families.find((f) => f.name === n)!))
    if (firstPerPartition >= 0) assert.ok(names.slice(firstPerPartition).every((n) => isPerPartition(full.families.find((f) => f.name === n)!)), 'per-topic families first')
  }
})
