/**
 * TLS with client certificates (mTLS) and SASL (PLAIN, SCRAM-SHA-512 over TLS) against a real local
 * cluster with secured listeners and a CA made by openssl: the CLI verbs connect with the documented
 * flags and environment variables, records flow through a TLS client, and a missing certificate or a
 * wrong password is refused by the brokers.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import type { LocalClientSecurity, LocalCluster } from '../../src/local/local-cluster.ts'
import { readFileSync } from 'node:fs'
import { startTestCluster } from './support/clusters.ts'
import { runCli } from './support/cli.ts'
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
})
