/**
 * TLS with client certificates (mTLS) and SASL (PLAIN, SCRAM-SHA-512 over TLS) against a real local
 * cluster with secured listeners and a CA made by openssl: the CLI verbs connect with the documented
 * flags and environment variables, records flow through a TLS client, and a missing certificate or a
 * wrong password is refused by the brokers; `kafkaplane roll --renew-certificates` gives the brokers a new
 * certificate and restarts them onto it under an mTLS writer.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import type { LocalClientSecurity, LocalCluster } from '../../src/local/local-cluster.ts'
import { readFileSync } from 'node:fs'
import { connect } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestCluster } from './support/clusters.ts'
import { runCli, startWatchedCli } from './support/cli.ts'
import { consume, produce } from './support/kafka-io.ts'

describe('TLS and SASL connections', { timeout: 600_000 }, () => {
  let cluster: LocalCluster
  let security: LocalClientSecurity
  before(async () => {
    cluster = await startTestCluster(layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }]), { security: true })
    security = cluster.clientSecurity!
  })
  after(async () => {
    await cluster?.stop()
  })

  const mtls = () => ['--bootstrap-server', security.sslBootstrapServers.join(','), '--tls-ca-file', security.caFile, '--tls-cert-file', security.certFile, '--tls-key-file', security.keyFile]

  test('mTLS: topics create and status through the SSL listener with a client certificate', async () => {
    const created = await runCli(['topics', 'create', '--topic', 'secure', '--partitions', '3', '--replication-factor', '3', ...mtls()])
    assert.equal(created.code, 0, created.stdout + created.stderr)
    const status = await runCli(['status', '--json', ...mtls()])
    assert.equal(status.code, 0, status.stdout + status.stderr)
    const report = JSON.parse(status.stdout) as { brokers: { id: number; state: string; logDirs: unknown[] }[] }
    assert.deepEqual(report.brokers.map((b) => [b.id, b.state]), [[0, 'up'], [1, 'up'], [2, 'up']])
    assert.ok(report.brokers.every((b) => b.logDirs.length === 1), 'status shows each broker log dir')
  })

  test('records flow through a TLS client (acks=all, idempotent)', async () => {
    const target = {
      bootstrapServers: security.sslBootstrapServers,
      tls: { ca: readFileSync(security.caFile, 'utf8'), cert: readFileSync(security.certFile, 'utf8'), key: readFileSync(security.keyFile, 'utf8') },
    }
    await produce(target, 'secure', 'tls', 30)
    const values = await consume(target, 'secure', 30)
    assert.deepEqual(new Set(values), new Set(Array.from({ length: 30 }, (_, i) => `tls-${i}`)))
  })

  test('the same through environment variables, as a broker pod would set them for its probe', async () => {
    const env = {
      ...process.env,
      KAFKAPLANE_BOOTSTRAP_SERVER: security.sslBootstrapServers[1]!,
      KAFKAPLANE_TLS_CA_FILE: security.caFile,
      KAFKAPLANE_TLS_CERT_FILE: security.certFile,
      KAFKAPLANE_TLS_KEY_FILE: security.keyFile,
    }
    const ready = await runCli(['probe', 'ready', '--broker-id', '1', '--override-file', '/nonexistent/override'], { env })
    assert.equal(ready.code, 0, ready.stdout + ready.stderr)
    assert.match(ready.stdout, /^ready: broker 1 is registered, in sync/)
    const live = await runCli(['probe', 'live', '--broker-id', '1'], { env })
    assert.equal(live.code, 0, live.stdout + live.stderr)
  })

  test('the SSL listener refuses a client without a certificate', async () => {
    const r = await runCli(['status', '--bootstrap-server', security.sslBootstrapServers[0]!, '--tls-ca-file', security.caFile], { timeoutMs: 60_000 })
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.doesNotMatch(r.stdout, /cluster: HEALTHY/)
  })

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-512']) {
    test(`SASL ${mechanism} over TLS: right password ready, wrong password refused`, async () => {
      const args = ['--bootstrap-server', security.saslSslBootstrapServers[0]!, '--tls-ca-file', security.caFile, '--sasl-mechanism', mechanism, '--sasl-username', security.saslUser]
      const ok = await runCli(['probe', 'ready', '--broker-id', '0', '--override-file', '/nonexistent/override', ...args, '--sasl-password-file', security.saslPasswordFile])
      assert.equal(ok.code, 0, ok.stdout + ok.stderr)
      const status = await runCli(['status', ...args], { env: { ...process.env, KAFKAPLANE_SASL_PASSWORD: security.saslPassword } })
      assert.equal(status.code, 0, status.stdout + status.stderr)
      assert.match(status.stdout, /^cluster: HEALTHY/)
      const wrong = await runCli(['probe', 'ready', '--broker-id', '0', '--override-file', '/nonexistent/override', ...args, '--timeout-ms', '8000'], {
        env: { ...process.env, KAFKAPLANE_SASL_PASSWORD: 'not-the-password' },
      })
      assert.equal(wrong.code, 1, wrong.stdout + wrong.stderr)
      assert.match(wrong.stdout, /^not ready: cannot read the cluster state/)
    })
  }

  test('roll --renew-certificates: every broker gets a new certificate from the same CA and restarts onto it, one at a time (reason certificates), while an mTLS writer loses nothing', async () => {
    /** The SHA-256 fingerprint of the certificate a broker's SSL listener serves, trusted through the cluster's CA. */
    const served = (address: string) =>
      new Promise<string>((resolve, reject) => {
        const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))]
        const socket = connect({ host, port, ca: readFileSync(security.caFile), cert: readFileSync(security.certFile), key: readFileSync(security.keyFile), servername: 'localhost' }, () => {
          const fingerprint = socket.getPeerCertificate().fingerprint256
          socket.end()
          resolve(fingerprint)
        })
        socket.once('error', reject)
      })
    const before = await Promise.all(security.sslBootstrapServers.map(served))
    assert.equal(new Set(before).size, 1, 'one broker certificate, served by every broker')
    const created = await runCli(['topics', 'create', '--topic', 'renewed', '--partitions', '3', '--replication-factor', '3', ...mtls()])
    assert.equal(created.code, 0, created.stdout + created.stderr)
    const writer = startWatchedCli(['verify', '--topics', 'renewed', '--rate', '40', '--duration-seconds', '86400', '--json', ...mtls()])
    try {
      await writer.waitFor(/acknowledged [1-9]/, 120_000)
      const result = await runCli(['roll', '--data-dir', cluster.dataDir, '--renew-certificates', '--poll-ms', '500'], { timeoutMs: 600_000 })
      assert.equal(result.code, 0, result.stdout + result.stderr)
      assert.match(result.stdout, /^rolled: 3 nodes restarted in 3 batches/)
      assert.equal((result.stderr.match(/restarting broker \d+ \(certificates: broker key store \S+ -> \S+\)/g) ?? []).length, 3, result.stderr)
      await sleep(3000) // writes after the last restart, through the new certificates
    } finally {
      writer.child.kill('SIGINT')
      await writer.exited
    }
    const after = await Promise.all(security.sslBootstrapServers.map(served))
    assert.equal(new Set(after).size, 1, 'one new certificate, served by every broker')
    assert.notEqual(after[0], before[0], 'a new certificate, trusted through the same CA')
    const report = JSON.parse(writer.stdout()) as { acknowledged: number; lost: number; unverified: number; produceErrors: { count: number } }
    assert.ok(report.acknowledged > 100, `the mTLS writer wrote through the roll: ${report.acknowledged}`)
    assert.deepEqual([report.lost, report.unverified, report.produceErrors.count], [0, 0, 0], JSON.stringify(report).slice(0, 2000))
  })
})
