import { parseArgs, type ParseArgsConfig } from 'node:util'
import { KafkaplaneError } from '../core/errors.ts'
import type { UnwritableTopic } from '../core/health/writability.ts'

type Options = NonNullable<ParseArgsConfig['options']>

/** One verb of the `kafkaplane` command: a file under src/cli/ each, wiring only. */
export interface Command {
  name: string
  /** The verb's whole --help text. */
  help: string
  run(argv: string[], io: CommandIO): Promise<number>
}

export interface CommandIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
}

/**
 * node:util parseArgs, strict, with its errors turned into BAD_ARGUMENT (exit 2) naming the verb's
 * --help. Returns undefined when --help was asked for (the caller prints the help).
 */
export function parseOptions<T extends Options>(verb: string, argv: string[], options: T) {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true })
    return parsed
  } catch (err) {
    throw new KafkaplaneError('BAD_ARGUMENT', `kafkaplane ${verb}: ${(err as Error).message}`, {
      fix: `run \`kafkaplane ${verb} --help\` for the options`,
    })
  }
}

/**
 * The start of a verb that takes no positional arguments: true when `--help` was asked for (its help
 * is printed, the verb is done), a BAD_ARGUMENT naming any argument given (`fix` says what to do).
 */
export function helpOrNoArguments(command: Pick<Command, 'name' | 'help'>, parsed: { values: { help?: boolean | undefined }; positionals: string[] }, io: CommandIO, fix = `run \`kafkaplane ${command.name} --help\``): boolean {
  if (parsed.values.help) {
    io.stdout.write(command.help)
    return true
  }
  if (parsed.positionals.length > 0) throw badArgument(`kafkaplane ${command.name} takes no arguments, got "${parsed.positionals.join(' ')}"`, fix)
  return false
}

export function badArgument(message: string, fix: string): KafkaplaneError {
  return new KafkaplaneError('BAD_ARGUMENT', message, { fix })
}

/** A positive integer option, or a BAD_ARGUMENT naming the flag and the value. */
export function integerOption(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw badArgument(`${flag} ${value} is not a whole number between ${min} and ${max}`, `pass ${flag} N with ${min} <= N <= ${max}`)
  }
  return n
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** A Kubernetes namespace option (a DNS label), or a BAD_ARGUMENT naming the flag and the value. */
export function namespaceOption(flag: string, value: string): string {
  if (!DNS_LABEL.test(value)) throw badArgument(`${flag} "${value}" is not a DNS label`, `use lower case letters, digits and -, at most 63, e.g. ${flag} kafkaplane-system`)
  return value
}

/** A comma-separated list option (`--zones a,b,c`), refusing empty and repeated items. */
export function listOption(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const items = value.split(',').map((s) => s.trim())
  if (items.some((s) => s === '')) throw badArgument(`${flag} "${value}" has an empty item`, `pass ${flag} as a comma-separated list, e.g. ${flag} a,b,c`)
  const repeated = items.find((s, i) => items.indexOf(s) !== i)
  if (repeated !== undefined) throw badArgument(`${flag} "${value}" names "${repeated}" twice`, `list each value of ${flag} once`)
  return items
}

/** `--config k=v` options as a record. */
export function keyValueOptions(flag: string, values: string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const item of values ?? []) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw badArgument(`${flag} "${item}" is not key=value`, `pass ${flag} key=value, e.g. ${flag} log.retention.hours=24`)
    result[item.slice(0, eq).trim()] = item.slice(eq + 1)
  }
  return result
}

/** `--bootstrap-server HOST:PORT[,HOST:PORT]`, else $KAFKAPLANE_BOOTSTRAP_SERVER, else 127.0.0.1:9092. */
export function bootstrapOption(value: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const raw = value ?? env.KAFKAPLANE_BOOTSTRAP_SERVER ?? '127.0.0.1:9092'
  const servers = raw.split(',').map((s) => s.trim())
  for (const s of servers) {
    const port = Number(s.slice(s.lastIndexOf(':') + 1))
    if (!s.includes(':') || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw badArgument(`--bootstrap-server "${raw}" has "${s}", which is not HOST:PORT`, 'pass --bootstrap-server HOST:PORT, e.g. 127.0.0.1:9092')
    }
  }
  return servers
}

export { refuse } from '../core/errors.ts'

/** `--flag 1,2,3`: broker ids, each one of `known`. */
export function idsOption(flag: string, value: string | undefined, known: ReadonlySet<number>): number[] {
  if (value === undefined) return []
  return brokerIds(flag, value).map((id) => {
    if (!known.has(id)) throw badArgument(`${flag}: broker ${id} is not in the topology`, `name brokers of the topology file (${[...known].slice(0, 8).join(', ')}${known.size > 8 ? ', ...' : ''})`)
    return id
  })
}

/** `--topics REGEX`, anchored (the whole topic name must match); absent = every topic. */
export function regexOption(flag: string, value: string | undefined): RegExp {
  if (value === undefined) return /.*/
  try {
    return new RegExp(`^(?:${value})$`)
  } catch (err) {
    throw badArgument(`${flag} "${value}" is not a regular expression: ${(err as Error).message}`, `pass ${flag} as a regular expression, e.g. ${flag} 'payments-.*'`)
  }
}

/** `1,2,3` as broker ids; `flag` names where the list came from in the error (`--from`, `brokers remove`). */
export function brokerIds(flag: string, value: string): number[] {
  return value.split(',').map((s) => {
    const id = Number(s.trim())
    if (!Number.isInteger(id) || id < 0) throw badArgument(`${flag} "${value}" has "${s}", which is not a broker id`, `pass ${flag} as comma-separated broker ids, e.g. ${flag} 1,2`)
    return id
  })
}

/**
 * Refuses (exit 2) the topics the writability rule (core/health/writability.ts) finds, naming both
 * values, where min.insync.replicas comes from, and the fix; with --allow-unwritable only warns.
 */
export function refuseUnwritable(problems: readonly UnwritableTopic[], source: string, allowed: boolean | undefined, anyway: string, warn?: (line: string) => void): void {
  if (problems.length === 0) return
  const message = problems.map((p) => `${p.message} (min.insync.replicas ${p.minInsync} is ${source})`).join('; ')
  if (allowed) {
    warn?.(`warning: ${message}; accepted (--allow-unwritable)\n`)
    return
  }
  throw badArgument(message, `${problems[0]!.fix}, or pass --allow-unwritable to ${anyway}`)
}
