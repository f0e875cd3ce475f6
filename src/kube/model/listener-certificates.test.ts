import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import type { V1Pod, V1Secret, V1StatefulSet } from '@kubernetes/client-node'
import { parse } from 'yaml'
import { LocalCertificateAuthority } from '../../local/certificates.ts'
import { renderKafkaCluster } from '../manifests/render.ts'
import { podRestartReasons } from '../manifests/pod-restart-reasons.ts'
import { kafkaClusterModel, type KafkaClusterModel, type KafkaClusterResource } from './kafka-cluster-model.ts'
import { listenerCertificates, type SecretData, type TlsListener } from './listener-certificates.ts'

const example = () => parse(readFileSync(new URL('../../../examples/kafka-cluster.yaml', import.meta.url), 'utf8')) as KafkaClusterResource
const SECURE = { name: 'SECURE', port: 9095, protocol: 'SSL', advertisedAddress: 'kafka-{id}.example.com:{port}', tls: { secretName: 'payments-tls' } }

/** The example with one more listener (SECURE unless given), interBrokerListener as given. */
function withListener(listener: Record<string, unknown> = SECURE, interBrokerListener?: string): KafkaClusterResource {
  const resource = example()
  const spec = resource.spec as { listeners: unknown[]; interBrokerListener?: string }
  spec.listeners = [...spec.listeners, listener]
  if (interBrokerListener !== undefined) spec.interBrokerListener = interBrokerListener
  return resource
}

function model(resource: KafkaClusterResource): KafkaClusterModel {
  const result = kafkaClusterModel(resource)
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors))
  return result.model
}

function refused(resource: KafkaClusterResource): string {
  const result = kafkaClusterModel(resource)
  assert.ok(!result.ok, 'refused')
  return result.errors.map((e) => `${e.path}: ${e.message}; ${e.fix}`).join('\n')
}

let dir = ''
let authority: LocalCertificateAuthority
/** A Secret's data as cert-manager writes it, from files of the test CA (the key in PKCS#1 unless `pkcs8`). */
let secretOf: (name: string, options?: { pkcs8?: boolean; ca?: boolean }) => Promise<SecretData>

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'listener-certificates-'))
  authority = await LocalCertificateAuthority.open(dir)
  secretOf = async (name, options = {}) => {
    const files = await authority.issue({ name, commonName: `${name}.example.com`, dnsNames: [`*.${name}.example.com`], usage: 'server' })
    const key = options.pkcs8 ? readFileSync(files.keyFile) : execFileSync('openssl', ['pkey', '-in', files.keyFile, '-traditional'])
    return {
      'tls.crt': readFileSync(files.certFile).toString('base64'),
      'tls.key': Buffer.from(key).toString('base64'),
      ...(options.ca === false ? {} : { 'ca.crt': readFileSync(authority.ca.certFile).toString('base64') }),
    }
  }
})

after(() => rmSync(dir, { recursive: true, force: true }))

test('a TLS listener needs tls.secretName, only TLS listeners have it, and brokers do not replicate over TLS yet', () => {
  const { tls: _, ...bare } = SECURE
  assert.match(refused(withListener(bare)), /an SSL or SASL_SSL listener needs tls\.secretName .*add tls: \{secretName: SECRET\}/)
  assert.match(refused(withListener({ ...SECURE, protocol: 'PLAINTEXT' })), /remove tls from a PLAINTEXT or SASL_PLAINTEXT listener/)
  assert.match(refused(withListener(SECURE, 'SECURE')), /spec\.interBrokerListener: TLS between brokers is not supported yet/)
  assert.match(refused(withListener({ ...SECURE, tls: { secretName: 'Not_A_Name' } })), /secretName/)
  // The default: mTLS.
  assert.deepEqual(model(withListener()).tlsListeners, [{ name: 'SECURE', secretName: 'payments-tls', clientAuthentication: 'required' }])
})

test("a TLS listener's broker properties: Kafka's per-listener PEM key store and trust store from the mounted copy", () => {
  const broker = model(withListener()).brokers[0]!
  const tls = Object.fromEntries(Object.entries(broker.properties).filter(([k]) => k.startsWith('listener.name.secure.')))
  assert.deepEqual(tls, {
    'listener.name.secure.ssl.keystore.type': 'PEM',
    'listener.name.secure.ssl.keystore.location': '/etc/kafkaplane-tls/secure.keystore.pem',
    'listener.name.secure.ssl.client.auth': 'required',
    'listener.name.secure.ssl.truststore.type': 'PEM',
    'listener.name.secure.ssl.truststore.location': '/etc/kafkaplane-tls/secure.ca.crt',
  })
  assert.match(broker.properties['listener.security.protocol.map']!, /,SECURE:SSL$/)
  const none = model(withListener({ ...SECURE, tls: { secretName: 'payments-tls', clientAuthentication: 'none' } })).brokers[0]!
  assert.equal(none.properties['listener.name.secure.ssl.client.auth'], 'none')
  assert.equal(none.properties['listener.name.secure.ssl.truststore.location'], undefined, 'no trust store without client authentication')
})

const listeners: TlsListener[] = [{ name: 'SECURE', secretName: 'payments-tls', clientAuthentication: 'required' }]

test("the copy: the key re-encoded as PKCS#8 (Kafka's PEM key store reads no other), then the chain; the CA; a hash that follows the certificate", async () => {
  const data = await secretOf('one')
  assert.match(Buffer.from(data['tls.key']!, 'base64').toString(), /^-----BEGIN RSA PRIVATE KEY-----/, 'cert-manager\'s default encoding, PKCS#1')
  const result = listenerCertificates(listeners, new Map([['payments-tls', data]]), 'kafka', new Date())
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems))
  const keyStore = Buffer.from(result.value.data['secure.keystore.pem']!, 'base64').toString()
  assert.match(keyStore, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----/)
  assert.equal(new X509Certificate(keyStore.slice(keyStore.indexOf('-----BEGIN CERTIFICATE-----'))).subject, 'CN=one.example.com')
  assert.equal(Buffer.from(result.value.data['secure.ca.crt']!, 'base64').toString().trim(), readFileSync(authority.ca.certFile, 'utf8').trim())
  assert.deepEqual(result.value.certificates.map((c) => [c.listener, c.secret, c.subject]), [['SECURE', 'payments-tls', 'CN=one.example.com']])
  assert.match(result.value.hash, /^[0-9a-f]{12}$/)
  const again = listenerCertificates(listeners, new Map([['payments-tls', data]]), 'kafka', new Date())
  assert.ok(again.ok)
  assert.equal(again.value.hash, result.value.hash, 'the same Secret, the same hash')
  const renewed = listenerCertificates(listeners, new Map([['payments-tls', await secretOf('two', { pkcs8: true })]]), 'kafka', new Date())
  assert.ok(renewed.ok)
  assert.notEqual(renewed.value.hash, result.value.hash, 'a renewed certificate, another hash')
})

test('a Secret that fails a check names the listener, the Secret, the key and the fix, and gives no copy', async () => {
  const good = await secretOf('three')
  const problems = (secrets: Map<string, SecretData | undefined>, now = new Date(), which = listeners) => {
    const result = listenerCertificates(which, secrets, 'kafka', now)
    assert.ok(!result.ok, 'refused')
    return result.problems.join('\n')
  }
  assert.match(problems(new Map([['payments-tls', undefined]])), /^listener SECURE: Secret kafka\/payments-tls does not exist; create it with tls\.crt, tls\.key and ca\.crt/)
  const { 'ca.crt': _, ...noCa } = good
  assert.match(problems(new Map([['payments-tls', noCa]])), /has no ca\.crt; .*or set tls\.clientAuthentication: none/)
  const withoutClients: TlsListener[] = [{ ...listeners[0]!, clientAuthentication: 'none' }]
  assert.ok(listenerCertificates(withoutClients, new Map([['payments-tls', noCa]]), 'kafka', new Date()).ok, 'no ca.crt needed without client authentication')
  const other = await secretOf('four')
  assert.match(problems(new Map([['payments-tls', { ...good, 'tls.key': other['tls.key']! }]])), /tls\.key is not the key of tls\.crt's certificate \(CN=three\.example\.com\)/)
  assert.match(problems(new Map([['payments-tls', { ...good, 'tls.crt': Buffer.from('not a certificate').toString('base64') }]])), /tls\.crt is not a PEM certificate/)
  assert.match(problems(new Map([['payments-tls', { ...good, 'tls.key': Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n').toString('base64') }]])), /tls\.key is not an unencrypted PEM private key/)
  const tenYears = new Date(Date.now() + 10 * 365 * 86_400_000)
  assert.match(problems(new Map([['payments-tls', good]]), tenYears), /tls\.crt's certificate \(CN=three\.example\.com\) expired on \d{4}-/)
})

test('rendered: the copy in each Kubernetes cluster before the brokers, mounted read-only, its hash on the pod template; a pod with an older hash restarts for its certificates', async () => {
  const m = model(withListener())
  const one = listenerCertificates(m.tlsListeners, new Map([['payments-tls', await secretOf('five')]]), 'kafka', new Date())
  assert.ok(one.ok)
  const groups = renderKafkaCluster(m, {}, one.value)
  for (const group of groups) {
    const kinds = group.objects.map((o) => o.kind)
    assert.ok(kinds.indexOf('Secret') < kinds.indexOf('StatefulSet'), `the copy before the brokers: ${kinds}`)
    const secret = group.objects.find((o) => o.kind === 'Secret') as V1Secret
    assert.equal(secret.metadata!.name, `payments-${group.cluster}-tls`)
    assert.deepEqual(secret.data, one.value.data)
    const sts = group.objects.find((o) => o.kind === 'StatefulSet') as V1StatefulSet
    const pod = sts.spec!.template
    assert.equal(pod.metadata!.annotations!['kafkaplane.io/certificates-hash'], one.value.hash)
    assert.deepEqual(pod.spec!.volumes!.find((v) => v.name === 'listener-tls'), { name: 'listener-tls', secret: { secretName: `payments-${group.cluster}-tls`, defaultMode: 0o440 } })
    assert.deepEqual(pod.spec!.containers[0]!.volumeMounts!.find((v) => v.name === 'listener-tls'), { name: 'listener-tls', mountPath: '/etc/kafkaplane-tls', readOnly: true })
  }
  // Without TLS listeners: no copy, no mount, no hash.
  const plain = renderKafkaCluster(model(example()), {}, one.value)[0]!
  assert.ok(!plain.objects.some((o) => o.kind === 'Secret'))
  const plainSts = plain.objects.find((o) => o.kind === 'StatefulSet') as V1StatefulSet
  assert.equal(plainSts.spec!.template.metadata!.annotations!['kafkaplane.io/certificates-hash'], undefined)

  const two = listenerCertificates(m.tlsListeners, new Map([['payments-tls', await secretOf('six')]]), 'kafka', new Date())
  assert.ok(two.ok)
  const before = groups[0]!.objects.find((o) => o.kind === 'StatefulSet') as V1StatefulSet
  const renewed = renderKafkaCluster(m, {}, two.value)[0]!.objects.find((o) => o.kind === 'StatefulSet') as V1StatefulSet
  const pod: V1Pod = { metadata: structuredClone(before.spec!.template.metadata), spec: before.spec!.template.spec! }
  assert.deepEqual(podRestartReasons(pod, before), [])
  assert.deepEqual(podRestartReasons(pod, renewed), [{ kind: 'certificates', detail: `listener certificates ${one.value.hash} -> ${two.value.hash}` }])
})
