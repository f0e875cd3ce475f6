#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { isKafkaplaneError } from '../core/errors.ts'
import type { Command, CommandIO } from './command.ts'
import { down } from './down.ts'
import { fetch } from './fetch.ts'
import { plan } from './plan.ts'
import { probe } from './probe.ts'
import { status } from './status.ts'
import { topics } from './topics.ts'
import { up } from './up.ts'

const commands: readonly Command[] = [up, down, fetch, status, probe, topics, plan]

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return `kafkaplane ${version()}: Apache Kafka on Kubernetes, the way platform teams run it by hand

Usage: kafkaplane <command> [options]      kafkaplane <command> --help for its options

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Exit codes: 0 ok, 1 operation failed or not healthy, 2 bad input (nothing was changed).
`
}

/** Runs one command line; returns the exit code. Errors are printed here, once, with their fix. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [verb, ...rest] = argv
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(usage())
    return verb === undefined ? 2 : 0
  }
  if (verb === '--version' || verb === '-V') {
    io.stdout.write(`kafkaplane ${version()}\n`)
    return 0
  }
  const command = commands.find((c) => c.name === verb)
  if (!command) {
    io.stderr.write(`kafkaplane: unknown command "${verb}"\nfix: use one of: ${commands.map((c) => c.name).join(', ')} (kafkaplane --help)\n`)
    return 2
  }
  try {
    return await command.run(rest, io)
  } catch (err) {
    if (isKafkaplaneError(err)) {
      io.stderr.write(`kafkaplane ${verb}: error [${err.code}]: ${err.message}\n`)
      if (err.detail) io.stderr.write(`${err.detail}\n`)
      io.stderr.write(`fix: ${err.fix}\n`)
      return err.exitCode
    }
    io.stderr.write(`kafkaplane ${verb}: unexpected error: ${(err as Error).stack ?? String(err)}\n`)
    return 1
  }
}

if (import.meta.main ?? process.argv[1] === new URL(import.meta.url).pathname) {
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env })
  process.exitCode = code
}
