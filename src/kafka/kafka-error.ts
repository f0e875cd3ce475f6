import { ProtocolError } from '@platformatic/kafka'
import { KafkaplaneError, type ErrorResource } from '../core/errors.ts'

/**
 * One mapping from @platformatic/kafka's errors to kafkaplane's (src/core/errors.ts):
 *   - an authorization or authentication failure anywhere in the error -> KAFKA_NOT_AUTHORIZED, not
 *     retriable, with a fix that names ACLs;
 *   - a protocol error the client marks `canRetry: false` (INVALID_CONFIG, POLICY_VIOLATION,
 *     INVALID_REQUEST, UNKNOWN_TOPIC_ID ...), or an error that is not the client's (a bug) ->
 *     KAFKA_REQUEST_REFUSED, not retriable;
 *   - everything else (network errors and timeouts, which the client marks not retriable for its own
 *     resends but which our callers repeat from a fresh look at the cluster; retriable protocol errors
 *     such as NOT_LEADER_OR_FOLLOWER) -> KAFKA_REQUEST_FAILED, retriable.
 * An error made of several (MultipleErrors, ResponseError) is retriable only if every part is. The
 * message carries Kafka's own error names and messages, and `resource` what the request was about.
 * A KafkaplaneError passes through unchanged.
 */
export function kafkaError(request: string, err: unknown, options: { fix: string; resource?: ErrorResource; detail?: string }): KafkaplaneError {
  if (err instanceof KafkaplaneError) return err
  const leaves = leafErrors(err)
  const names = [...new Set(leaves.map((e) => e.apiId).filter((n): n is string => typeof n === 'string'))]
  const server = [...new Set(leaves.map((e) => e.serverErrorMessage).filter((m): m is string => typeof m === 'string' && m.length > 0))]
  const causes = [...new Set(leaves.map((e) => (typeof e.message === 'string' ? e.message : '')).filter((m) => m.length > 0 && m !== messageOf(err)))]
  const what = [names.join(', '), server.join('; ')].filter((x) => x.length > 0).join(': ') || [messageOf(err), ...causes].join(' ')
  const message = `${request} failed: ${what}`
  const base = { cause: err, ...(options.resource === undefined ? {} : { resource: options.resource }), ...(options.detail === undefined ? {} : { detail: options.detail }) }
  if (leaves.some(isAuthorizationFailure)) {
    return new KafkaplaneError('KAFKA_NOT_AUTHORIZED', message, {
      ...base,
      fix: `grant this client's principal the ACLs ${request} needs (kafka-acls --add ...), or check its credentials; repeating it will not help`,
      retriable: false,
    })
  }
  if (leaves.some((e) => (e.code === 'PLT_KFK_PROTOCOL' && e.canRetry === false) || !isTransport(e))) {
    return new KafkaplaneError('KAFKA_REQUEST_REFUSED', message, { ...base, fix: options.fix, retriable: false })
  }
  return new KafkaplaneError('KAFKA_REQUEST_FAILED', message, { ...base, fix: options.fix, retriable: true })
}

/** The same mapping for an error code that Kafka answered inside a response (`errorCode` fields). */
export function kafkaErrorCode(request: string, errorCode: number, errorMessage: string | null | undefined, options: { fix: string; resource?: ErrorResource }): KafkaplaneError {
  return kafkaError(request, protocolError(errorCode, errorMessage), options)
}

/** Whether an error code inside a response means the principal lacks an ACL (never fixes itself). */
export function isAuthorizationCode(errorCode: number): boolean {
  return isAuthorizationFailure(protocolError(errorCode, null) as ClientError)
}

function protocolError(errorCode: number, errorMessage: string | null | undefined): Error {
  try {
    return new ProtocolError(errorCode, errorMessage ?? null)
  } catch {
    // A code newer than the client's table.
    return Object.assign(new Error(`error code ${errorCode}${errorMessage ? `: ${errorMessage}` : ''}`), { code: 'PLT_KFK_PROTOCOL', apiId: `ERROR_${errorCode}` })
  }
}

interface ClientError {
  code?: unknown
  apiId?: unknown
  serverErrorMessage?: unknown
  canRetry?: unknown
  message?: unknown
  errors?: unknown
}

/** The innermost errors: the parts of aggregate errors, recursively (an error with no parts is a leaf). */
function leafErrors(err: unknown): ClientError[] {
  if (typeof err !== 'object' || err === null) return [{ message: String(err) }]
  const e = err as ClientError
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.flatMap(leafErrors)
  return [e]
}

function isAuthorizationFailure(e: ClientError): boolean {
  return (typeof e.apiId === 'string' && /AUTHORIZATION_FAILED|AUTHENTICATION/.test(e.apiId)) || e.code === 'PLT_KFK_AUTHENTICATION'
}

/**
 * An error of getting the request there or an answer back, which may go away by itself: the client's
 * network and timeout errors, its protocol errors unless marked not retriable, and Node's socket errors
 * (ECONNREFUSED, ECONNRESET ...). Anything else (a bug, an unexpected answer) is not retried.
 */
function isTransport(e: ClientError): boolean {
  if (typeof e.code !== 'string') return false
  return e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT' || e.code === 'PLT_KFK_PROTOCOL' || e.code === 'PLT_KFK_RESPONSE' || e.code === 'PLT_KFK_MULTIPLE' || e.code === 'PLT_KFK_UNEXPECTED_CORRELATION_ID' || e.code === 'PLT_KFK_UNFINISHED_WRITE_BUFFER' || /^E[A-Z]+$/.test(e.code)
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
