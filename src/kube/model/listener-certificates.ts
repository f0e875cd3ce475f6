import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { tlsProtocol, type ListenerSpec, type ListenerTlsSpec } from '../crds/kafka-cluster.ts'

/**
 * TLS listeners of a KafkaCluster on Kubernetes (docs/architecture.md, "Listener certificates").
 *
 * The user keeps each TLS listener's certificate in a Secret of the KafkaCluster's namespace in the home
 * Kubernetes cluster, as cert-manager writes it (`tls.crt` the chain, `tls.key` its key in PKCS#1,
 * SEC 1 or PKCS#8, `ca.crt` the CA client certificates are checked against). The operator reads it at
 * every reconcile (at least once a resync), checks it here and writes what the brokers load into a
 * Secret of its own in every Kubernetes cluster of the KafkaCluster (`<statefulSet>-tls`, mounted at
 * LISTENER_TLS_MOUNT): per listener `<listener>.keystore.pem` (the key re-encoded as PKCS#8, the one
 * encoding Kafka's PEM key store reads, then the chain) and `<listener>.ca.crt`. A Secret that fails a
 * check is never copied: the brokers keep the certificate they have, and the KafkaCluster says why.
 * The copy's hash is the pod template's `kafkaplane.io/certificates-hash`: a broker started with
 * another one restarts (roll reason `certificates`), since Kafka reads its key store when it starts.
 */

/** Where the brokers' container mounts the operator's copy (not under /etc/kafkaplane, the ConfigMap's mount). */
export const LISTENER_TLS_MOUNT = '/etc/kafkaplane-tls'

/** A TLS listener: its name and where its certificate comes from. */
export interface TlsListener extends ListenerTlsSpec {
  name: string
}

/** The listeners of protocol SSL or SASL_SSL, with their certificate's Secret. */
export function tlsListeners(listeners: readonly ListenerSpec[]): TlsListener[] {
  return listeners.filter((l) => tlsProtocol(l.protocol) && l.tls !== undefined).map((l) => ({ name: l.name, ...l.tls! }))
}

const fileStem = (listener: string) => listener.toLowerCase()
/** The key store's file name in the copy: the PKCS#8 key, then the certificate chain. */
export const keyStoreFile = (listener: string): string => `${fileStem(listener)}.keystore.pem`
/** The trust store's file name in the copy: the Secret's ca.crt. */
export const trustStoreFile = (listener: string): string => `${fileStem(listener)}.ca.crt`
const needsTrustStore = (l: TlsListener) => l.clientAuthentication !== 'none'

/** The broker properties of the TLS listeners: Kafka's per-listener `listener.name.<name>.ssl.*`, PEM files from the copy. */
export function listenerTlsProperties(listeners: readonly TlsListener[]): Record<string, string> {
  const properties: Record<string, string> = {}
  for (const l of listeners) {
    const prefix = `listener.name.${fileStem(l.name)}.`
    properties[`${prefix}ssl.keystore.type`] = 'PEM'
    properties[`${prefix}ssl.keystore.location`] = `${LISTENER_TLS_MOUNT}/${keyStoreFile(l.name)}`
    properties[`${prefix}ssl.client.auth`] = l.clientAuthentication
    if (needsTrustStore(l)) {
      properties[`${prefix}ssl.truststore.type`] = 'PEM'
      properties[`${prefix}ssl.truststore.location`] = `${LISTENER_TLS_MOUNT}/${trustStoreFile(l.name)}`
    }
  }
  return properties
}

/** A Secret's `data` as the API server returns it: base64 values. */
export type SecretData = Readonly<Record<string, string>>

/** What the operator copies to every Kubernetes cluster, and what it says of each listener's certificate. */
export interface ListenerCertificates {
  /** The copy's `data` (base64), file name -> content. */
  data: Record<string, string>
  /** 12 hex characters of sha256 over the copy: the pod template's certificates hash. */
  hash: string
  certificates: { listener: string; secret: string; subject: string; notAfter: string; fingerprint: string }[]
}

export type CertificatesResult = { ok: true; value: ListenerCertificates } | { ok: false; problems: string[] }

/**
 * Checks every TLS listener's Secret (`secrets`: by name, undefined when it does not exist) and makes
 * the copy. Each problem names the listener, the Secret and the key, and says how to mend it.
 */
export function listenerCertificates(listeners: readonly TlsListener[], secrets: ReadonlyMap<string, SecretData | undefined>, namespace: string, now: Date): CertificatesResult {
  const problems: string[] = []
  const data: Record<string, string> = {}
  const certificates: ListenerCertificates['certificates'] = []
  for (const l of listeners) {
    const at = `listener ${l.name}: Secret ${namespace}/${l.secretName}`
    const secret = secrets.get(l.secretName)
    if (secret === undefined) {
      problems.push(`${at} does not exist; create it with tls.crt, tls.key${needsTrustStore(l) ? ' and ca.crt' : ''} (a cert-manager Certificate with spec.secretName ${l.secretName} writes all three)`)
      continue
    }
    const text = (key: string) => (secret[key] === undefined ? undefined : Buffer.from(secret[key]!, 'base64').toString('utf8'))
    const chain = text('tls.crt')
    const keyPem = text('tls.key')
    const ca = text('ca.crt')
    const missing = [['tls.crt', chain], ['tls.key', keyPem], ...(needsTrustStore(l) ? [['ca.crt', ca]] : [])].filter(([, v]) => v === undefined || v.trim() === '').map(([k]) => k)
    if (missing.length > 0) {
      problems.push(`${at} has no ${missing.join(', ')}; put the certificate chain in tls.crt, its private key in tls.key${needsTrustStore(l) ? ', and the CA that signs client certificates in ca.crt (or set tls.clientAuthentication: none)' : ''}`)
      continue
    }
    let certificate: X509Certificate
    try {
      certificate = new X509Certificate(chain!)
    } catch (err) {
      problems.push(`${at}: tls.crt is not a PEM certificate (${(err as Error).message}); put the PEM certificate chain there, the listener's own certificate first`)
      continue
    }
    let key: KeyObject
    try {
      key = createPrivateKey(keyPem!)
    } catch (err) {
      problems.push(`${at}: tls.key is not an unencrypted PEM private key (${(err as Error).message}); put the certificate's key there, unencrypted (PKCS#1, SEC 1 or PKCS#8)`)
      continue
    }
    if (!certificate.checkPrivateKey(key)) {
      problems.push(`${at}: tls.key is not the key of tls.crt's certificate (${certificate.subject.replace(/\n/g, ', ')}); put the two of one issue together`)
      continue
    }
    if (new Date(certificate.validTo).getTime() <= now.getTime()) {
      problems.push(`${at}: tls.crt's certificate (${certificate.subject.replace(/\n/g, ', ')}) expired on ${new Date(certificate.validTo).toISOString()}; renew it (cert-manager renews before expiry)`)
      continue
    }
    if (needsTrustStore(l)) {
      try {
        new X509Certificate(ca!)
      } catch (err) {
        problems.push(`${at}: ca.crt is not a PEM certificate (${(err as Error).message}); put the PEM certificate of the CA that signs client certificates there`)
        continue
      }
      data[trustStoreFile(l.name)] = Buffer.from(`${ca!.trim()}\n`).toString('base64')
    }
    const pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }) as string
    data[keyStoreFile(l.name)] = Buffer.from(`${pkcs8.trim()}\n${chain!.trim()}\n`).toString('base64')
    certificates.push({
      listener: l.name,
      secret: l.secretName,
      subject: certificate.subject.replace(/\n/g, ', '),
      notAfter: new Date(certificate.validTo).toISOString(),
      fingerprint: certificate.fingerprint256,
    })
  }
  if (problems.length > 0) return { ok: false, problems }
  const hash = createHash('sha256')
  for (const file of Object.keys(data).sort()) hash.update(`${file}\n${data[file]}\n`)
  return { ok: true, value: { data, hash: hash.digest('hex').slice(0, 12), certificates } }
}
