/**
 * `kafkaplane dashboard` as a process against one real 3-broker cluster laid out over two Kubernetes
 * clusters x three zones, on kafkaplane's defaults (RF 3, min.insync.replicas 2), its page open in a
 * real headless Chromium (Debian's, installed by scripts/install-browser.sh, driven by playwright-core):
 * the brokers by domain, a broker stopped and started again drawn live (no reload), bad flags.
 * Screenshots are kept in test-artifacts/dashboard/ (ignored by git).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ProduceAcks } from '@platformatic/kafka'
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import type { LocalCluster } from '../../src/local/local-cluster.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { runCli, startWatchedCli, stopWatchedCli, type WatchedCli } from './support/cli.ts'
import { fill, produce, waitForPartitions } from './support/kafka-io.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/dashboard/', import.meta.url))
const topology = layoutBrokers(3, [
  { name: 'cluster', values: ['k8s-1', 'k8s-2'] },
  { name: 'zone', values: ['a', 'b', 'c'] },
])
const PARTITIONS = 6
const RECORDS = 30
/** Written to the topic whose replication factor is raised while the page watches (at 1 MiB/s). */
const MOVED_BYTES = 4 * 1024 * 1024
/** The broker the test stops and starts again. */
const VICTIM = 1

describe('kafkaplane dashboard in a headless Chromium, on a real cluster', { timeout: 600_000 }, () => {
  let cluster: LocalCluster | undefined
  let dashboard: WatchedCli | undefined
  /** Other processes a test starts (dashboards, `kafkaplane replication-factor fix`), stopped in after(). */
  const others: WatchedCli[] = []
  const startOther = (args: string[]): WatchedCli => {
    const cli = startWatchedCli(args)
    others.push(cli)
    return cli
  }
  /** Starts a dashboard; resolves with it and its page's URL. */
  const startDashboard = async (bootstrap: string, extra: string[] = []): Promise<{ cli: WatchedCli; url: string }> => {
    const cli = startOther(['dashboard', '--bootstrap-server', bootstrap, '--host', '127.0.0.1', '--port', '0', '--interval-seconds', '1', ...extra])
    await cli.waitFor(/serving http:\/\/127\.0\.0\.1:\d+\//, 30_000)
    const port = /serving http:\/\/127\.0\.0\.1:(\d+)\//.exec(cli.stderr())?.[1]
    assert.ok(port, `the dashboard did not start: ${cli.stderr()}`)
    return { cli, url: `http://127.0.0.1:${port}/` }
  }
  let browserServer: BrowserServer | undefined
  let browser: Browser | undefined
  let page: Page
  let scratch = ''
  let url = ''
  const requests: string[] = []

  /** The text of the first element matching `selector`, once `ok` holds for it (the page redraws on each view). */
  const waitForText = async (what: string, selector: string, ok: (text: string) => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs
    let last: string | null = null
    while (Date.now() < deadline) {
      last = await page.locator(selector).first().textContent({ timeout: 1_000 }).catch(() => null)
      if (last !== null && (await ok(last))) return last
      await page.waitForTimeout(250)
    }
    assert.fail(`${what}: ${selector} still shows ${JSON.stringify(last)} after ${timeoutMs} ms\nthe dashboard said:\n${dashboard?.stderr()}`)
  }
  const shot = async (name: string) => {
    await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true })
  }
  const notReloaded = async () => assert.equal(await page.evaluate(() => (globalThis as { kafkaplaneMarker?: string }).kafkaplaneMarker), 'set once', 'the page was not reloaded')

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (fix: scripts/install-browser.sh as root)`)
    await mkdir(ARTIFACTS, { recursive: true })
    scratch = await tempDir('dashboard')
    cluster = await startTestCluster(topology)
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      await admin.createTopics({ topics: ['orders'], partitions: PARTITIONS, replicas: 3 })
      await waitForPartitions(cluster.bootstrapServers, 'orders', (ps) => ps.every((p) => p.leader >= 0))
      await produce(cluster.bootstrapServers, 'orders', 'r', RECORDS)
      // The group `billing` committed at 0 everywhere: it lags by every record. The first commit creates
      // __consumer_offsets, whose coordinator may not answer at once (retriable).
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.alterConsumerGroupOffsets({ groupId: 'billing', topics: [{ name: 'orders', partitionOffsets: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: 0n })) }] })
          break
        } catch (err) {
          if (attempt >= 60) throw err
          await new Promise((r) => setTimeout(r, 500))
        }
      }
    } finally {
      await admin.close()
    }
    ;({ cli: dashboard, url } = await startDashboard(cluster.bootstrapServers.join(',')))
    browserServer = await chromium.launchServer({ executablePath: CHROMIUM, headless: true })
    browser = await chromium.connect(browserServer.wsEndpoint())
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    page.on('request', (r) => requests.push(r.url()))
    // A busy machine (brokers catching up, other clusters) can take a while: the waits below are on the DOM.
    page.setDefaultTimeout(60_000)
  })

  after(async () => {
    await browser?.close().catch(() => {})
    const chromiumPid = browserServer?.process().pid
    await browserServer?.close().catch(() => {})
    if (chromiumPid !== undefined && browserServer?.process().exitCode === null) process.kill(chromiumPid, 'SIGKILL')
    for (const cli of others) await stopWatchedCli(cli)
    await cluster?.stop()
    if (scratch) await removeDir(scratch)
  })

  test('the page shows the 3 brokers up, laid out by Kubernetes cluster x zone, with partitions, restarts, domain losses and lag', async () => {
    await page.goto(url)
    await page.waitForSelector('[data-broker-id][data-state="up"]')
    await waitForText('3 brokers up', '#layout', async () => (await page.locator('[data-broker-id][data-state="up"]').count()) === 3)
    assert.match((await page.locator('#layout caption').textContent()) ?? '', /Brokers by cluster \(rows\) and zone \(columns\)/)
    for (const id of cluster!.brokerIds()) {
      const { cluster: k8s, zone } = cluster!.brokerLabels(id)
      const card = page.locator(`td[data-row="${k8s}"][data-column="${zone}"] [data-broker-id="${id}"]`)
      assert.equal(await card.count(), 1, `broker ${id} in the cell ${k8s} x ${zone}`)
      assert.match((await card.textContent()) ?? '', /UP/, 'the state is written, not only coloured')
      assert.match((await card.locator('[data-field="replicas"]').textContent()) ?? '', /^\d+$/)
    }
    // Log dir usage is read (DescribeLogDirs), so each broker shows its data.
    await waitForText('disk usage', `[data-broker-id="0"] [data-field="disk"]`, (t) => /data, .* free of /.test(t))
    // The first views may come while __consumer_offsets' replicas still join their ISRs.
    await waitForText('a healthy cluster', '#verdict', (t) => /HEALTHY/.test(t))
    const total = Number(await page.locator('[data-count="total"]').textContent())
    assert.ok(total >= PARTITIONS, `${total} partitions`)
    assert.equal(await page.locator('[data-count="healthy"]').textContent(), String(total))
    assert.equal(await page.locator('[data-count="under-replicated-total"]').textContent(), '0')
    assert.equal(await page.locator('[data-may-restart="yes"]').count(), 3, 'every broker may restart')
    // Losing k8s-1 (two of the three brokers, two of the three controllers) loses writes and the quorum;
    // losing any one zone loses nothing.
    const k8s1 = page.locator('[data-domain="cluster=k8s-1"]')
    assert.equal(await k8s1.getAttribute('data-survives'), 'no')
    assert.match((await k8s1.textContent()) ?? '', /loses its majority/)
    for (const zone of ['a', 'b', 'c']) assert.equal(await page.locator(`[data-domain="zone=${zone}"]`).getAttribute('data-survives'), 'yes')
    const billing = page.locator('[data-group="billing"]')
    await waitForText('the group', '[data-group="billing"] td:nth-child(5)', (t) => t === String(RECORDS))
    assert.match((await billing.textContent()) ?? '', /orders/)
    // Everything the page loaded came from the dashboard itself.
    assert.deepEqual(requests.filter((r) => !r.startsWith(url)), [])
    await shot('1-all-up')
    await page.evaluate(() => ((globalThis as { kafkaplaneMarker?: string }).kafkaplaneMarker = 'set once'))
  })

  test('a stopped broker shows down and its partitions under-replicated, live, without a reload', async () => {
    const pid = cluster!.pids().get(VICTIM)
    assert.ok(pid !== undefined)
    const updatesBefore = Number(await page.locator('#footer').getAttribute('data-updates'))
    await cluster!.stopBroker(VICTIM) // SIGTERM to its JVM's pid, waited for
    assert.throws(() => process.kill(pid, 0), 'the JVM is gone')
    await page.waitForSelector(`[data-broker-id="${VICTIM}"][data-state="down"]`, { timeout: 60_000 })
    assert.match((await page.locator(`[data-broker-id="${VICTIM}"]`).textContent()) ?? '', /DOWN/)
    // RF 3 on 3 brokers: every partition had a replica on it; each is now at min.insync.replicas 2.
    const total = await page.locator('[data-count="total"]').textContent()
    await waitForText('every partition under-replicated', '[data-count="under-replicated-total"]', (t) => t === total)
    assert.equal(await page.locator('[data-count="at-min-isr"]').textContent(), total)
    assert.equal(await page.locator('[data-count="offline"]').textContent(), '0')
    assert.match((await page.locator('#verdict').textContent()) ?? '', /DEGRADED/)
    assert.ok((await page.locator('[data-health="at-min-isr"]').count()) > 0, 'the worst partitions are named')
    // Its partners may not restart now: each would take partitions below min.insync.replicas.
    for (const id of cluster!.brokerIds().filter((b) => b !== VICTIM)) {
      const row = page.locator(`[data-restart-broker="${id}"]`)
      assert.equal(await row.getAttribute('data-may-restart'), 'no')
      assert.match((await row.textContent()) ?? '', /would drop below min.insync.replicas 2/)
    }
    assert.ok(Number(await page.locator('#footer').getAttribute('data-updates')) > updatesBefore, 'new views arrived')
    await notReloaded()
    await shot(`2-broker-${VICTIM}-down`)
  })

  test('started again, the broker shows up and every partition back in sync', async () => {
    await cluster!.startBroker(VICTIM)
    await page.waitForSelector(`[data-broker-id="${VICTIM}"][data-state="up"]`, { timeout: 180_000 })
    await waitForText('every partition back in sync', '[data-count="under-replicated-total"]', (t) => t === '0', 180_000)
    await waitForText('a healthy cluster again', '#verdict', (t) => /HEALTHY/.test(t))
    assert.equal(await page.locator('[data-may-restart="yes"]').count(), 3)
    await notReloaded()
    await shot(`3-broker-${VICTIM}-up-again`)
  })

  test('a partition being moved shows its progress: bytes copied to its new replicas and an ETA', async () => {
    // RF 1 on broker 0, filled, then raised to 3 by kafkaplane at a throttle: two new replicas to copy.
    const admin = createAdmin({ bootstrapServers: cluster!.bootstrapServers })
    try {
      await admin.createTopics({ topics: ['moving'], partitions: -1, replicas: -1, assignments: [{ partition: 0, brokers: [0] }] })
      await waitForPartitions(cluster!.bootstrapServers, 'moving', (ps) => ps.length === 1 && ps.every((p) => p.leader >= 0))
    } finally {
      await admin.close()
    }
    await fill(cluster!.bootstrapServers, 'moving', MOVED_BYTES, ProduceAcks.LEADER)
    const mover = startOther(['replication-factor', 'fix', '--target', '3', '--topics', 'moving', '--throttle', '1MiB', '--bootstrap-server', cluster!.bootstrapServers.join(','), '--state-file', join(scratch, 'moving-plan.json'), '--poll-ms', '500'])
    const move = page.locator('[data-move="moving-0"]')
    await move.waitFor({ timeout: 60_000 })
    assert.match((await move.textContent()) ?? '', /moving-0 → replicas .* \(adding (1, 2|2, 1)\)/)
    // Part of the way: some bytes copied, not all; and, with a rate from two views, an ETA.
    const bar = move.locator('progress')
    await waitForText('a partial copy', '[data-move="moving-0"]', async () => {
      const [value, max] = [Number(await bar.getAttribute('value').catch(() => 0)), Number(await bar.getAttribute('max').catch(() => 0))]
      return value > 0 && max > 0 && value < max
    })
    await waitForText('an ETA', '#moves', (t) => /partition being reassigned: .* of .* \(\d+%\); .*\/s since the view before; about \d+ s left/.test(t))
    await shot('4-moving')
    assert.equal(await mover.exited, 0, mover.stdout() + mover.stderr())
    await page.waitForSelector('[data-reassignments="0"]')
    await waitForText('the moved topic in sync', '#verdict', (t) => /HEALTHY/.test(t))
  })

  test('--layout zone: the brokers in one row, a column per zone', async () => {
    const oneRow = await startDashboard(cluster!.bootstrapServers.join(','), ['--layout', 'zone'])
    const other = await browser!.newPage()
    other.setDefaultTimeout(60_000)
    try {
      await other.goto(oneRow.url)
      await other.waitForSelector('[data-broker-id][data-state="up"]')
      assert.match((await other.locator('#layout caption').textContent()) ?? '', /^Brokers by zone \(columns\)$/)
      assert.equal(await other.locator('#layout tbody tr').count(), 1)
      for (const id of cluster!.brokerIds()) {
        assert.equal(await other.locator(`td[data-row=""][data-column="${cluster!.brokerLabels(id).zone}"] [data-broker-id="${id}"]`).count(), 1, `broker ${id} in its zone's column`)
      }
    } finally {
      await other.close()
      await stopWatchedCli(oneRow.cli)
    }
  })

  test('a cluster that cannot be read, and a dashboard that stopped, are said on the page', async () => {
    // Nothing listens on port 1: every read fails at once.
    const unreachable = await startDashboard('127.0.0.1:1')
    const other = await browser!.newPage()
    other.setDefaultTimeout(60_000)
    try {
      await other.goto(unreachable.url)
      await other.waitForSelector('body[data-stale="yes"]')
      assert.match((await other.locator('#footer').textContent()) ?? '', /The last collection failed at .*: Metadata request failed: Cannot connect to any broker/)
      await other.waitForSelector('#connection[data-connection="live"]')
      await stopWatchedCli(unreachable.cli)
      await other.waitForSelector('#connection[data-connection="reconnecting"]', { timeout: 30_000 })
      assert.match((await other.locator('#connection').textContent()) ?? '', /Disconnected from the dashboard server; reconnecting/)
    } finally {
      await other.close()
    }
  })

  test('a bad flag exits 2 naming the value and the fix', async () => {
    const interval = await runCli(['dashboard', '--interval-seconds', '0'])
    assert.equal(interval.code, 2, interval.stderr)
    assert.match(interval.stderr, /--interval-seconds 0 is not a whole number between 1 and 86400\nfix: pass --interval-seconds N with 1 <= N <= 86400/)
    const layout = await runCli(['dashboard', '--layout', 'cluster,zone,rack'])
    assert.equal(layout.code, 2, layout.stderr)
    assert.match(layout.stderr, /--layout "cluster,zone,rack" names 3 dimensions.*\nfix: pass --layout ROW or --layout ROW,COLUMN/)
  })
})
