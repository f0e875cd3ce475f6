#!/usr/bin/env node
import { isKafkaplaneError } from '../core/errors.ts'
import type { Command, CommandIO } from './command.ts'
import { version } from './version.ts'

/**
 * The verbs, each loaded only when run: a probe must not pay for loading the placement engine.
 * One line each for `kafkaplane --help`.
 */
const commands: readonly { name: string; summary: string; load: () => Promise<Command> }[] = [
  { name: 'up', summary: 'start a local Kafka cluster (real KRaft brokers) and keep it running until Ctrl-C', load: async () => (await import('./up.ts')).up },
  { name: 'down', summary: 'stop a local cluster started with `kafkaplane up --detach`', load: async () => (await import('./down.ts')).down },
  { name: 'fetch', summary: 'fetch and check the Kafka jars and Java that local clusters need', load: async () => (await import('./fetch.ts')).fetch },
  { name: 'status', summary: 'cluster health: brokers by failure domain, quorum, partitions, what may restart', load: async () => (await import('./status.ts')).status },
  { name: 'probe', summary: 'readiness and liveness probes of one broker (for Kubernetes or by hand)', load: async () => (await import('./probe.ts')).probe },
  { name: 'exporter', summary: 'Prometheus exporter: kafka_exporter-compatible series, lag in seconds, group status, brokers by failure domain', load: async () => (await import('./exporter.ts')).exporter },
  { name: 'dashboard', summary: 'live web view: brokers by failure domain, partition health, what may restart, domain losses, lag', load: async () => (await import('./dashboard.ts')).dashboard },
  { name: 'topics', summary: 'create, list, describe and alter topics, placed on every failure dimension', load: async () => (await import('./topics.ts')).topics },
  { name: 'plan', summary: 'compute placements: assign, rebalance, replication-factor, migrate, check, advise', load: async () => (await import('./plan.ts')).plan },
  { name: 'verify', summary: 'end-to-end check: produce sequenced records with acks=all, consume them back, report loss', load: async () => (await import('./verify.ts')).verify },
  { name: 'rebalance', summary: 'fix goal violations and balance the live cluster: throttled, resumable moves', load: async () => (await import('./rebalance.ts')).rebalance },
  { name: 'brokers', summary: 'brokers add IDS (move a fair share onto them) | brokers remove IDS (drain them)', load: async () => (await import('./brokers.ts')).brokers },
  { name: 'replication-factor', summary: 'check or fix topics\' replication factor, spread on every failure dimension', load: async () => (await import('./replication-factor.ts')).replicationFactor },
  { name: 'roll', summary: 'rolling restart of a local cluster: one broker (or batch) at a time, never below min.insync.replicas', load: async () => (await import('./roll.ts')).roll },
  { name: 'heal', summary: 'the self-healer: drain gone brokers, raise RF to policy, repair bad spreads (--watch)', load: async () => (await import('./heal.ts')).heal },
  { name: 'migrate', summary: 'move everything off old brokers onto new ones in verified stages', load: async () => (await import('./migrate.ts')).migrate },
  { name: 'operator', summary: 'the Kubernetes operator: reconciles KafkaCluster and KafkaTopic resources', load: async () => (await import('./operator.ts')).operator },
  { name: 'render', summary: 'print the Kubernetes objects of a KafkaCluster file (StatefulSets, Services, PDBs, ConfigMaps)', load: async () => (await import('./render.ts')).render },
  { name: 'install', summary: 'print the CRDs, RBAC and operator Deployment for `kubectl apply -f -`', load: async () => (await import('./install.ts')).install },
  { name: 'remote-secret', summary: "print the Secret with which the operator reaches a stretched cluster's remote Kubernetes clusters", load: async () => (await import('./remote-secret.ts')).remoteSecret },
]


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
  const entry = commands.find((c) => c.name === verb)
  if (!entry) {
    io.stderr.write(`kafkaplane: unknown command "${verb}"\nfix: use one of: ${commands.map((c) => c.name).join(', ')} (kafkaplane --help)\n`)
    return 2
  }
  try {
    const command = await entry.load()
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
