/**
 * The closed set of errors kafkaplane reports (docs/architecture.md, principle 7). Every error says what went wrong, naming
 * the offending value, and how to fix it. `kind` decides the exit code of the command line:
 *   input       -> 2  the user's input is wrong (a flag, a file, a data dir); nothing was changed
 *   environment -> 1  this machine lacks something (java, a jar cache, a reachable registry)
 *   operation   -> 1  an operation on a cluster failed (a broker did not start, a request failed)
 * A failed Kafka request is one of three codes, by what may be done about it (src/kafka/kafka-error.ts
 * maps the client's errors onto them): KAFKA_REQUEST_FAILED is transient (a broker not answering, a
 * leader moving; retriable: try again), KAFKA_REQUEST_REFUSED is Kafka saying no to the request itself
 * (an invalid config, a policy; repeating it changes nothing), KAFKA_NOT_AUTHORIZED is the principal
 * lacking an ACL or failing to authenticate. Only retriable errors are retried; the others stop a plan
 * at once with the reason.
 */
export type ErrorKind = 'input' | 'environment' | 'operation'

export type ErrorCode =
  | 'BAD_ARGUMENT'
  | 'BAD_TOPOLOGY'
  | 'PORT_IN_USE'
  | 'DATA_DIR_CONFLICT'
  | 'CLUSTER_NOT_FOUND'
  | 'CLUSTER_RUNNING'
  | 'UNKNOWN_BROKER'
  | 'VERSION_CHANGE_REFUSED'
  | 'JAVA_MISSING'
  | 'JAVA_TOO_OLD'
  | 'KAFKA_JARS_BROKEN'
  | 'KAFKA_HOME_INVALID'
  | 'MAVEN_MISSING'
  | 'MAVEN_FAILED'
  | 'OPENSSL_MISSING'
  | 'CERTIFICATE_FAILED'
  | 'KUBE_BINARIES_UNAVAILABLE'
  | 'BROKER_START_FAILED'
  | 'CLUSTER_NOT_READY'
  | 'CONTROL_PLANE_START_FAILED'
  | 'KUBE_BED_UNSUPPORTED'
  | 'KUBE_BED_START_FAILED'
  | 'UMOCI_MISSING'
  | 'IMAGE_INPUT_MISSING'
  | 'IMAGE_BUILD_FAILED'
  | 'KAFKA_REQUEST_FAILED'
  | 'KAFKA_REQUEST_REFUSED'
  | 'KAFKA_NOT_AUTHORIZED'
  | 'KUBE_REQUEST_FAILED'

const kinds: Record<ErrorCode, ErrorKind> = {
  BAD_ARGUMENT: 'input',
  BAD_TOPOLOGY: 'input',
  PORT_IN_USE: 'input',
  DATA_DIR_CONFLICT: 'input',
  CLUSTER_NOT_FOUND: 'input',
  CLUSTER_RUNNING: 'input',
  UNKNOWN_BROKER: 'input',
  VERSION_CHANGE_REFUSED: 'input',
  JAVA_MISSING: 'environment',
  JAVA_TOO_OLD: 'environment',
  KAFKA_JARS_BROKEN: 'environment',
  KAFKA_HOME_INVALID: 'environment',
  MAVEN_MISSING: 'environment',
  MAVEN_FAILED: 'environment',
  OPENSSL_MISSING: 'environment',
  CERTIFICATE_FAILED: 'environment',
  KUBE_BINARIES_UNAVAILABLE: 'environment',
  BROKER_START_FAILED: 'operation',
  CLUSTER_NOT_READY: 'operation',
  CONTROL_PLANE_START_FAILED: 'operation',
  KUBE_BED_UNSUPPORTED: 'environment',
  KUBE_BED_START_FAILED: 'operation',
  UMOCI_MISSING: 'environment',
  IMAGE_INPUT_MISSING: 'environment',
  IMAGE_BUILD_FAILED: 'environment',
  KAFKA_REQUEST_FAILED: 'operation',
  KAFKA_REQUEST_REFUSED: 'operation',
  KAFKA_NOT_AUTHORIZED: 'operation',
  KUBE_REQUEST_FAILED: 'operation',
}

/**
 * What a failed request was about, when known: a topic (and partition) or a broker. Carried so that a
 * plan can say which partition or broker stopped it, and a caller can decide what else may go on.
 */
export interface ErrorResource {
  topic?: string
  partition?: number
  broker?: number
}

export interface KafkaplaneErrorOptions {
  /** What the user can do about it, as one imperative sentence. */
  fix: string
  /** More lines a person needs to see (a broker's log tail, say). */
  detail?: string
  retriable?: boolean
  resource?: ErrorResource
  cause?: unknown
}

export class KafkaplaneError extends Error {
  readonly code: ErrorCode
  readonly kind: ErrorKind
  readonly fix: string
  readonly detail: string | undefined
  readonly retriable: boolean
  readonly resource: ErrorResource | undefined

  constructor(code: ErrorCode, message: string, options: KafkaplaneErrorOptions) {
    super(message, { cause: options.cause })
    this.name = 'KafkaplaneError'
    this.code = code
    this.kind = kinds[code]
    this.fix = options.fix
    this.detail = options.detail
    this.retriable = options.retriable ?? false
    this.resource = options.resource
  }

  get exitCode(): 1 | 2 {
    return this.kind === 'input' ? 2 : 1
  }
}

export function isKafkaplaneError(err: unknown, code?: ErrorCode): err is KafkaplaneError {
  return err instanceof KafkaplaneError && (code === undefined || err.code === code)
}

/** A BAD_ARGUMENT listing every problem found (the first five), for input refused as a whole. */
export function refuse(problems: string[]): never {
  throw new KafkaplaneError('BAD_ARGUMENT', problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : ''), {
    fix: problems.length === 1 ? 'as the message says' : 'correct each problem named above',
  })
}
