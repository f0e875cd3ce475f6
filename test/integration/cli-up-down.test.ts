/**
 * `kafkaplane up` and `down` end to end, as a user runs them: a detached cluster with a kept data
 * dir that restarts with its data, and a foreground cluster stopped by Ctrl-C (SIGINT) that serves
 * its live view (`--dashboard-port 0`) until then.
 */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isAlive } from '../../src/local/broker-process.ts'
import { readClusterState } from '../../src/local/cluster-state.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import { freeBasePort, killClusterIn, removeDir, TEST_JVM_OPTIONS, tempDir } from './support/clusters.ts'
import { runCli, startWatchedCli } from './support/cli.ts'
import { consume, produce } from './support/kafka-io.ts'
import { until } from './support/until.ts'

describe('kafkaplane up --detach / down with a kept data dir', { timeout: 600_000 }, () => {
  let root: string
  let dataDir: string
  after(async () => {
    if (dataDir) await killClusterIn(dataDir)
    if (root) await removeDir(root)
  })

  test('starts, refuses a second start, stops, and restarts with its data', async () => {
    root = await tempDir('cli')
    dataDir = join(root, 'kept')
    const basePort = await freeBasePort(3)
    const upArgs = ['up', '--detach', '--data-dir', dataDir, '--base-port', String(basePort), '--brokers', '3', '--zones', 'a,b,c', '--heap', '384m', '--security', ...TEST_JVM_OPTIONS.map((o) => `--jvm-option=${o}`)]
    const first = await runCli(upArgs)
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, new RegExp(`bootstrap: 127\\.0\\.0\\.1:${basePort},127\\.0\\.0\\.1:${basePort + 1},127\\.0\\.0\\.1:${basePort + 2}`))
    assert.match(first.stdout, /health: 3\/3 brokers registered and unfenced/)
    for (const id of [0, 1, 2]) assert.match(first.stderr, new RegExp(`broker ${id}: ready`))
    const state = (await readClusterState(dataDir))!
    assert.equal(Object.keys(state.pids).length, 3)
    assert.ok(Object.values(state.pids).every(isAlive))

    const bootstrap = [`127.0.0.1:${basePort}`]
    const admin = createAdmin({ bootstrapServers: bootstrap })
    await admin.createTopics({ topics: ['kept'], partitions: 1, replicas: 3 })
    await admin.close()
    await produce(bootstrap, 'kept', 'v', 10)

    const again = await runCli(upArgs)
    assert.equal(again.code, 2)
    assert.match(again.stderr, /CLUSTER_RUNNING.*already running from/)
    assert.match(again.stderr, /fix: stop it first with `kafkaplane down --data-dir/)

    const down = await runCli(['down', '--data-dir', dataDir])
    assert.equal(down.code, 0, down.stderr)
    assert.match(down.stdout, /stopped 3 nodes/)
    assert.ok(Object.values(state.pids).every((pid) => !isAlive(pid)), 'every broker JVM is gone')
    assert.ok(existsSync(join(dataDir, 'node-0', 'data', 'meta.properties')), 'a kept data dir survives down')

    // No layout flags: restart the cluster as it was, same cluster id, same data.
    const restart = await runCli(['up', '--detach', '--data-dir', dataDir])
    assert.equal(restart.code, 0, restart.stderr)
    assert.match(restart.stdout, new RegExp(`cluster ${state.clusterId} is ready`))
    assert.match(restart.stderr, /restarting the local Kafka cluster of 3 brokers/)
    // So were the JVM options: every restarted JVM runs with them.
    for (const pid of Object.values((await readClusterState(dataDir))!.pids)) {
      assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('-XX:TieredStopAtLevel=1'), `pid ${pid} runs with --jvm-option`)
    }
    // --security was kept with the cluster: the summary's mTLS and SASL_SSL flags connect.
    for (const kind of ['mTLS', 'SASL_SSL']) {
      const flags = new RegExp(`^${kind}: +(.*)$`, 'm').exec(restart.stdout)?.[1]
      assert.ok(flags, `the summary shows the ${kind} flags:\n${restart.stdout}`)
      // Ready means every broker registered; a restarted follower may take a moment more to rejoin
      // the ISR (seen once: DEGRADED, kept-0 at min.insync.replicas), so healthy is waited for.
      const status = await until(`${kind}: kafkaplane status HEALTHY`, () => runCli(['status', ...flags.split(' ')]), (s) => s.code !== 0 || /^cluster: HEALTHY/.test(s.stdout), { timeoutMs: 30_000, everyMs: 1000, context: () => '' })
      assert.equal(status.code, 0, `${kind}: ${status.stdout}${status.stderr}`)
      assert.match(status.stdout, /^cluster: HEALTHY/)
    }
    assert.deepEqual(new Set(await consume(bootstrap, 'kept', 10)), new Set(Array.from({ length: 10 }, (_, i) => `v-${i}`)))

    const finalDown = await runCli(['down', '--data-dir', dataDir])
    assert.equal(finalDown.code, 0, finalDown.stderr)
    const nothing = await runCli(['down', '--data-dir', join(dataDir, 'nothing-here')])
    assert.equal(nothing.code, 0)
    assert.match(nothing.stdout, /nothing to stop/)
  })
})

describe('kafkaplane up in the foreground', { timeout: 300_000 }, () => {
  let stateHome: string
  after(async () => {
    if (stateHome) {
      await killClusterIn(join(stateHome, 'kafkaplane', 'local-cluster'))
      await removeDir(stateHome)
    }
  })

  test('runs until Ctrl-C, serving its live view, then stops both and deletes its data', async () => {
    stateHome = await tempDir('state')
    const dataDir = join(stateHome, 'kafkaplane', 'local-cluster')
    const basePort = await freeBasePort(3)
    const up = startWatchedCli(['up', '--brokers', '3', '--base-port', String(basePort), '--heap', '384m', '--dashboard-port', '0'], { ...process.env, XDG_STATE_HOME: stateHome })
    try {
      await up.waitFor(/Press Ctrl-C/, 180_000)
      assert.match(up.stderr(), /Press Ctrl-C/, up.stderr())
      // The default layout: brokers spread over k8s-1/k8s-2 and zones a/b/c.
      assert.match(up.stdout(), /node\s+roles\s+cluster\s+zone\s+rack/)
      assert.match(up.stdout(), /0\s+broker\+controller\s+k8s-1\s+a\s+a/)
      assert.match(up.stdout(), /1\s+broker\+controller\s+k8s-2\s+b\s+b/)
      const pids = Object.values((await readClusterState(dataDir))!.pids)
      assert.equal(pids.length, 3)

      // The live view of this cluster: its page, and its data once the first read is in (a few seconds).
      const url = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(up.stdout())?.[1]
      assert.ok(url, `up printed no dashboard URL:\n${up.stdout()}`)
      const page = await fetch(url)
      assert.equal(page.status, 200)
      assert.match(await page.text(), /<script/)
      let brokers: number[] = []
      for (const deadline = Date.now() + 15_000; brokers.length < 3 && Date.now() < deadline; await sleep(250)) {
        const message = (await (await fetch(`${url}view.json`)).json()) as { view?: { brokers: { id: number; state: string }[] } }
        brokers = (message.view?.brokers ?? []).filter((b) => b.state === 'up').map((b) => b.id)
      }
      assert.deepEqual(brokers.sort(), [0, 1, 2], `the live view shows brokers up: ${brokers}; up said:\n${up.stderr()}`)

      up.child.kill('SIGINT')
      assert.equal(await up.exited, 0, up.stderr())
      assert.match(up.stderr(), /every broker stopped/)
      await assert.rejects(fetch(url), 'the live view stopped with the cluster')
      assert.ok(pids.every((pid) => !isAlive(pid)), 'every broker JVM is gone')
      assert.equal(existsSync(dataDir), false, 'an ephemeral cluster is deleted')
    } finally {
      up.child.kill('SIGKILL')
    }
  })
})
