import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isKafkaplaneError } from '../core/errors.ts'
import { connectionOptions } from './connection-options.ts'

const dir = mkdtempSync(join(tmpdir(), 'kafkaplane-conn-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const cert = join(dir, 'c.crt')
const key = join(dir, 'c.key')
const encrypted = join(dir, 'e.key')
const password = join(dir, 'pw')
writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')
writeFileSync(encrypted, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n')
writeFileSync(password, 's3cret\n')

function refused(values: Parameters<typeof connectionOptions>[0], env: NodeJS.ProcessEnv, pattern: RegExp) {
  assert.throws(
    () => connectionOptions(values, env),
    (err: unknown) => isKafkaplaneError(err, 'BAD_ARGUMENT') && pattern.test(err.message) && err.fix.length > 0,
  )
}

test('plaintext by default; flags win over the environment', () => {
  assert.deepEqual(connectionOptions({}, {}), { bootstrapServers: ['127.0.0.1:9092'] })
  assert.deepEqual(connectionOptions({ 'bootstrap-server': 'a:1,b:2' }, { KAFKAPLANE_BOOTSTRAP_SERVER: 'c:3' }).bootstrapServers, ['a:1', 'b:2'])
  assert.deepEqual(connectionOptions({ tls: true }, {}).tls, {})
})

test('TLS and SASL read their files once, from flags or environment variables', () => {
  const o = connectionOptions({ 'tls-cert-file': cert, 'sasl-mechanism': 'scram-sha-512', 'sasl-username': 'alice' }, { KAFKAPLANE_TLS_KEY_FILE: key, KAFKAPLANE_TLS_CA_FILE: cert, KAFKAPLANE_SASL_PASSWORD_FILE: password })
  assert.match(o.tls!.cert!, /BEGIN CERTIFICATE/)
  assert.match(o.tls!.key!, /BEGIN PRIVATE KEY/)
  assert.match(o.tls!.ca!, /BEGIN CERTIFICATE/)
  assert.deepEqual(o.sasl, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 's3cret' })
  assert.equal(connectionOptions({ 'sasl-mechanism': 'PLAIN', 'sasl-username': 'bob' }, { KAFKAPLANE_SASL_PASSWORD: 'pw' }).sasl?.password, 'pw')
})

test('bad connection input names the flag and the fix', () => {
  refused({ 'tls-cert-file': cert }, {}, /--tls-cert-file and --tls-key-file come together/)
  refused({ 'tls-ca-file': join(dir, 'missing.crt') }, {}, /--tls-ca-file .*missing.crt cannot be read: ENOENT/)
  refused({ 'tls-ca-file': password }, {}, /holds no PEM certificate/)
  refused({ 'tls-cert-file': cert, 'tls-key-file': encrypted }, {}, /is an encrypted key/)
  refused({ 'sasl-mechanism': 'GSSAPI', 'sasl-username': 'x' }, { KAFKAPLANE_SASL_PASSWORD: 'p' }, /--sasl-mechanism "GSSAPI" is not supported/)
  refused({ 'sasl-mechanism': 'PLAIN' }, { KAFKAPLANE_SASL_PASSWORD: 'p' }, /needs --sasl-username/)
  refused({ 'sasl-mechanism': 'PLAIN', 'sasl-username': 'x' }, {}, /needs a password/)
  refused({ 'sasl-username': 'x' }, {}, /without --sasl-mechanism/)
  refused({ 'bootstrap-server': 'nohost' }, {}, /is not HOST:PORT/)
})
