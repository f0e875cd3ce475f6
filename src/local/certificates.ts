import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { KafkaplaneError } from '../core/errors.ts'

const run = promisify(execFile)

/** A PEM certificate and its unencrypted PKCS#8 key, as files. */
export interface CertificateFiles {
  certFile: string
  keyFile: string
}

export interface CertificateRequest {
  /** File name stem in the directory: `<name>.crt`, `<name>.key`. */
  name: string
  commonName: string
  /** Subject organization: Kubernetes maps it to a group (`system:masters`). */
  organization?: string
  dnsNames?: readonly string[]
  ipAddresses?: readonly string[]
  usage: 'server' | 'client' | 'server-and-client'
  days?: number
}

/**
 * A small certificate authority made with openssl, for local TLS: brokers' listeners, mTLS clients,
 * and the test Kubernetes API server (its serving certificate, the admin client certificate and the
 * service-account key pair). Keys are RSA 2048 in PKCS#8 PEM (what Kafka's PEM key store and Node's
 * tls both read). Everything lives in `dir`; nothing is ever sent anywhere.
 */
export class LocalCertificateAuthority {
  readonly dir: string
  readonly ca: CertificateFiles

  private constructor(dir: string) {
    this.dir = dir
    this.ca = { certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'ca.key') }
  }

  /** The CA in `dir`, created when absent (so a kept cluster keeps trusting its old certificates). */
  static async open(dir: string, commonName = 'kafkaplane local CA'): Promise<LocalCertificateAuthority> {
    const authority = new LocalCertificateAuthority(dir)
    if (existsSync(authority.ca.certFile) && existsSync(authority.ca.keyFile)) return authority
    await mkdir(dir, { recursive: true })
    await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', authority.ca.keyFile])
    await openssl([
      'req', '-x509', '-new', '-key', authority.ca.keyFile, '-sha256', '-days', '3650', '-subj', `/CN=${commonName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', authority.ca.certFile,
    ])
    return authority
  }

  /** Issues (or keeps, when present) `<name>.crt` / `<name>.key` signed by this CA. */
  async issue(request: CertificateRequest): Promise<CertificateFiles> {
    const files = { certFile: join(this.dir, `${request.name}.crt`), keyFile: join(this.dir, `${request.name}.key`) }
    if (existsSync(files.certFile) && existsSync(files.keyFile)) return files
    const csr = join(this.dir, `${request.name}.csr`)
    const ext = join(this.dir, `${request.name}.ext`)
    const sans = [...(request.dnsNames ?? []).map((d) => `DNS:${d}`), ...(request.ipAddresses ?? []).map((ip) => `IP:${ip}`)]
    const usage = { server: 'serverAuth', client: 'clientAuth', 'server-and-client': 'serverAuth,clientAuth' }[request.usage]
    await writeFile(
      ext,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        `extendedKeyUsage=${usage}`,
        ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
        '',
      ].join('\n'),
    )
    const subject = `${request.organization ? `/O=${request.organization}` : ''}/CN=${request.commonName}`
    await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', files.keyFile])
    await openssl(['req', '-new', '-key', files.keyFile, '-subj', subject, '-out', csr])
    await openssl([
      'x509', '-req', '-in', csr, '-CA', this.ca.certFile, '-CAkey', this.ca.keyFile, '-CAcreateserial', '-sha256',
      '-days', String(request.days ?? 825), '-extfile', ext, '-out', files.certFile,
    ])
    await rm(csr, { force: true })
    await rm(ext, { force: true })
    return files
  }

  /**
   * Issues (or keeps, when present) a bare RSA 2048 key pair, `<name>.key` (PKCS#8) and `<name>.pub`
   * (SubjectPublicKeyInfo PEM), signed by nothing: a Kubernetes service-account token signing key.
   */
  async keyPair(name: string): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
    const files = { privateKeyFile: join(this.dir, `${name}.key`), publicKeyFile: join(this.dir, `${name}.pub`) }
    if (existsSync(files.privateKeyFile) && existsSync(files.publicKeyFile)) return files
    await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', files.privateKeyFile])
    await openssl(['pkey', '-in', files.privateKeyFile, '-pubout', '-out', files.publicKeyFile])
    return files
  }

  /** Key and certificate chain in one PEM file: Kafka's `ssl.keystore.type=PEM` key store. */
  async keyStore(files: CertificateFiles, name: string): Promise<string> {
    const path = join(this.dir, `${name}.pem`)
    if (!existsSync(path)) {
      const [key, cert, ca] = await Promise.all([readFile(files.keyFile, 'utf8'), readFile(files.certFile, 'utf8'), readFile(this.ca.certFile, 'utf8')])
      await writeFile(path, `${key.trim()}\n${cert.trim()}\n${ca.trim()}\n`, { mode: 0o600 })
    }
    return path
  }
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 60_000 })
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') {
      throw new KafkaplaneError('OPENSSL_MISSING', 'openssl is not installed; it makes the local certificates', {
        fix: 'install openssl (Debian/Ubuntu: apt-get install openssl)',
      })
    }
    throw new KafkaplaneError('CERTIFICATE_FAILED', `openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ')}`, {
      fix: 'check the openssl installation and that the certificate directory is writable',
    })
  }
}
