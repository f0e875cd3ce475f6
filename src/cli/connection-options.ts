import { readFileSync } from 'node:fs'
import { SASL_MECHANISMS, type KafkaConnectionOptions, type KafkaTlsOptions, type SaslMechanism } from '../kafka/connection-options.ts'
import { badArgument, bootstrapOption } from './command.ts'

/** TLS and SASL: how to talk to brokers, wherever they are (the operator learns where per cluster). */
export const SECURITY_OPTIONS = {
  tls: { type: 'boolean' },
  'tls-ca-file': { type: 'string' },
  'tls-cert-file': { type: 'string' },
  'tls-key-file': { type: 'string' },
  'tls-server-name': { type: 'string' },
  'sasl-mechanism': { type: 'string' },
  'sasl-username': { type: 'string' },
  'sasl-password-file': { type: 'string' },
} as const

/** The options of every verb that talks to a cluster; spread them into the verb's own. */
export const CONNECTION_OPTIONS = { 'bootstrap-server': { type: 'string' }, ...SECURITY_OPTIONS } as const

export const SECURITY_HELP = `  --tls                    TLS with the system's CAs (implied by any --tls-* flag)
  --tls-ca-file FILE       PEM CA bundle to trust          KAFKAPLANE_TLS_CA_FILE
  --tls-cert-file FILE     PEM client certificate (mTLS)   KAFKAPLANE_TLS_CERT_FILE
  --tls-key-file FILE      PEM key of that certificate     KAFKAPLANE_TLS_KEY_FILE
  --tls-server-name NAME   name to verify in the broker certificate (default: the host connected to)
  --sasl-mechanism M       PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512   KAFKAPLANE_SASL_MECHANISM
  --sasl-username U                                        KAFKAPLANE_SASL_USERNAME
  --sasl-password-file F   file holding the password       KAFKAPLANE_SASL_PASSWORD_FILE, or the
                           password itself in KAFKAPLANE_SASL_PASSWORD (never on the command line)`

export const CONNECTION_HELP = `Connection (each flag also read from the environment variable beside it):
  --bootstrap-server H:P   brokers, comma-separated       KAFKAPLANE_BOOTSTRAP_SERVER (else 127.0.0.1:9092)
${SECURITY_HELP}`

type SecurityValues = {
  tls?: boolean | undefined
  'tls-ca-file'?: string | undefined
  'tls-cert-file'?: string | undefined
  'tls-key-file'?: string | undefined
  'tls-server-name'?: string | undefined
  'sasl-mechanism'?: string | undefined
  'sasl-username'?: string | undefined
  'sasl-password-file'?: string | undefined
}
type ConnectionValues = SecurityValues & { 'bootstrap-server'?: string | undefined }

/**
 * Connection flags (or their environment variables) as KafkaConnectionOptions, with the PEM files and the
 * password read here, once: a missing file, half a client certificate or an unknown mechanism is a
 * BAD_ARGUMENT naming the flag, before anything connects.
 */
export function connectionOptions(values: ConnectionValues, env: NodeJS.ProcessEnv): KafkaConnectionOptions {
  return { bootstrapServers: bootstrapOption(values['bootstrap-server'], env), ...securityOptions(values, env) }
}

/** The TLS and SASL part of connectionOptions, checked the same way. */
export function securityOptions(values: SecurityValues, env: NodeJS.ProcessEnv): Omit<KafkaConnectionOptions, 'bootstrapServers'> {
  const caFile = values['tls-ca-file'] ?? env.KAFKAPLANE_TLS_CA_FILE
  const certFile = values['tls-cert-file'] ?? env.KAFKAPLANE_TLS_CERT_FILE
  const keyFile = values['tls-key-file'] ?? env.KAFKAPLANE_TLS_KEY_FILE
  const serverName = values['tls-server-name']
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw badArgument(
      `--tls-cert-file and --tls-key-file come together; only ${certFile === undefined ? `--tls-key-file ${keyFile}` : `--tls-cert-file ${certFile}`} was given`,
      'pass both the client certificate and its key, or neither',
    )
  }
  let tls: KafkaTlsOptions | undefined
  if (values.tls === true || caFile !== undefined || certFile !== undefined || serverName !== undefined) {
    tls = {}
    if (caFile !== undefined) tls.ca = readPem('--tls-ca-file', caFile, 'CERTIFICATE')
    if (certFile !== undefined) tls.cert = readPem('--tls-cert-file', certFile, 'CERTIFICATE')
    if (keyFile !== undefined) tls.key = readPem('--tls-key-file', keyFile, 'PRIVATE KEY')
    if (serverName !== undefined) tls.serverName = serverName
  }

  const mechanismRaw = values['sasl-mechanism'] ?? env.KAFKAPLANE_SASL_MECHANISM
  const username = values['sasl-username'] ?? env.KAFKAPLANE_SASL_USERNAME
  const passwordFile = values['sasl-password-file'] ?? env.KAFKAPLANE_SASL_PASSWORD_FILE
  if (mechanismRaw === undefined) {
    if (username !== undefined || passwordFile !== undefined) {
      throw badArgument('--sasl-username / --sasl-password-file given without --sasl-mechanism', `pass --sasl-mechanism ${SASL_MECHANISMS.join('|')}`)
    }
    return tls === undefined ? {} : { tls }
  }
  const mechanism = mechanismRaw.toUpperCase()
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    throw badArgument(`--sasl-mechanism "${mechanismRaw}" is not supported`, `pass one of ${SASL_MECHANISMS.join(', ')}`)
  }
  if (username === undefined || username === '') throw badArgument(`--sasl-mechanism ${mechanism} needs --sasl-username`, 'pass --sasl-username NAME (or KAFKAPLANE_SASL_USERNAME)')
  let password: string
  if (passwordFile !== undefined) password = readText('--sasl-password-file', passwordFile).replace(/\r?\n$/, '')
  else if (env.KAFKAPLANE_SASL_PASSWORD !== undefined) password = env.KAFKAPLANE_SASL_PASSWORD
  else throw badArgument(`--sasl-mechanism ${mechanism} needs a password`, 'pass --sasl-password-file FILE, or set KAFKAPLANE_SASL_PASSWORD')
  return { ...(tls === undefined ? {} : { tls }), sasl: { mechanism: mechanism as SaslMechanism, username, password } }
}

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw badArgument(`${flag} ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, `pass a readable file to ${flag}`)
  }
}

function readPem(flag: string, file: string, kind: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  const text = readText(flag, file)
  const pattern = kind === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/
  if (!pattern.test(text)) throw badArgument(`${flag} ${file} holds no PEM ${kind.toLowerCase()}`, `pass a PEM file ("-----BEGIN ${kind}-----") to ${flag}`)
  if (text.includes('ENCRYPTED PRIVATE KEY')) throw badArgument(`${flag} ${file} is an encrypted key`, `decrypt it for the probe: openssl pkey -in ${file} -out plain.key`)
  return text
}
