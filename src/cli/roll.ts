import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { MAX_BATCH, nextBatch, rollOrder } from '../core/roll/roll-rules.ts'
import { describeRollTimes, rollTimes } from '../core/roll/roll-times.ts'
import { checkVersionChange, describeLevel, isKafkaVersion, type MetadataLevel, type ReleaseMetadata } from '../core/upgrade/version-change.ts'
import { createAdmin } from '../kafka/connection.ts'
import { KafkaExecutorCluster } from '../kafka/executor-cluster.ts'
import { kafkaMetadataVersionAdmin } from '../kafka/metadata-version-admin.ts'
import { ROLL_STATE_FILE, STATE_FILE } from '../local/cluster-state.ts'
import { LocalCluster } from '../local/local-cluster.ts'
import { LocalRollTarget } from '../local/local-roll-target.ts'
import { cacheDir, defaultDataDir } from '../local/paths.ts'
import { releaseMetadata } from '../local/release-metadata.ts'
import { finalizeMetadataVersion } from '../operations/metadata-version.ts'
import { readRollState, writeRollState } from '../operations/roll-state-file.ts'
import { describeNodes, describeRestarting, newRollState, runRoll, type RollEvent, type RollState } from '../operations/roller.ts'
import { systemClock } from '../operations/system-clock.ts'
import { badArgument, type Command, type CommandIO, helpOrNoArguments, idsOption, integerOption, keyValueOptions, listOption, parseOptions } from './command.ts'
import { untilStopped } from './interrupt.ts'
import { describeEvent } from './up.ts'

export const roll: Command = {
  name: 'roll',
  help: `Usage: kafkaplane roll [--data-dir DIR] [--config K=V ...] [--kafka-version V] [--brokers IDS] [--batch N] [options]

Restarts the brokers of the local cluster in DIR (default: the one 'kafkaplane up' starts without
--data-dir), never taking a partition below min.insync.replicas:
  - order: brokers that are down first, broker-only nodes before controllers, the active controller last;
  - a broker stops (SIGTERM: controlled shutdown) only when every partition it is in sync for keeps
    min.insync.replicas without it and the controller quorum keeps a caught-up majority; one that may
    not is passed over for now and tried again later;
  - after each restart, wait until the broker is registered and back in the ISR of everything it
    hosts (as long as it makes progress; an ETA is shown), then give back its preferred leaders.
The roll is kept in a state file before every restart: interrupted (Ctrl-C, a crash) it continues where
it stopped when run again.
  --config K=V           set a broker property on every node (repeatable; K= removes one), then restart
                         the brokers whose JVM runs another config: a config change rolled out
  --kafka-version V      move every node to Kafka V (jars fetched once from Maven Central): a rolling
                         upgrade, or a roll back. Then, unless --keep-metadata-version, the cluster's
                         metadata.version is raised to the newest level every node supports; from then on
                         an older Kafka cannot run the cluster, and a roll back to it is refused
  --keep-metadata-version
                         leave metadata.version where it is after --kafka-version, keeping the way back
                         open; the same command without it finalizes later
  --renew-certificates   a cluster with secured listeners (up --security): issue every broker a new
                         certificate from the cluster's CA (clients that trust the CA keep connecting),
                         then restart the brokers still serving the old one
  --brokers IDS          restart these nodes (brokers, or dedicated controllers) (default: every node, unless --config,
                         --kafka-version or --renew-certificates is given)
  --batch N              restart up to N nodes at once (default 1, at most ${MAX_BATCH}), all within
                         one failure-domain cell and only when no partition falls below
                         min.insync.replicas and the quorum keeps a caught-up majority without all
                         of them: a cell's brokers first, then a standby controller of that cell if
                         there is room; the active controller restarts alone, last
  --batch-within DIMS    the dimensions a batch shares (default: all; '' lets a batch span them)
  --stall-seconds S      stop (the roll kept) after S seconds without progress (default 600)
  --poll-ms MS           how often to look at the cluster (default 2000)
  --state-file FILE      where the roll is kept (default: DIR/roll.json)
  --dry-run              print the order and what may restart now; change nothing
Exit codes: 0 rolled, 1 stalled or interrupted (run again to continue), 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('roll', argv, {
      'data-dir': { type: 'string' },
      config: { type: 'string', multiple: true },
      brokers: { type: 'string' },
      batch: { type: 'string' },
      'batch-within': { type: 'string' },
      'stall-seconds': { type: 'string' },
      'poll-ms': { type: 'string' },
      'state-file': { type: 'string' },
      'kafka-version': { type: 'string' },
      'keep-metadata-version': { type: 'boolean' },
      'renew-certificates': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const maxBatch = integerOption('--batch', values.batch, 1, MAX_BATCH) ?? 1
    const stallMs = (integerOption('--stall-seconds', values['stall-seconds'], 1, 7 * 86_400) ?? 600) * 1000
    const pollMs = integerOption('--poll-ms', values['poll-ms'], 100, 60_000) ?? 2000
    const kafkaVersion = values['kafka-version']
    if (kafkaVersion !== undefined && !isKafkaVersion(kafkaVersion)) throw badArgument(`--kafka-version "${kafkaVersion}" is not a Kafka version`, 'name a released version as major.minor.patch, e.g. 4.4.0')
    if (values['keep-metadata-version'] && kafkaVersion === undefined) throw badArgument('--keep-metadata-version goes with --kafka-version', 'add --kafka-version V, or leave it out')
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir(io.env))
    if (!existsSync(join(dataDir, STATE_FILE))) {
      throw badArgument(`no local cluster in ${dataDir} (no ${STATE_FILE})`, 'start one with `kafkaplane up`, or pass the --data-dir it was started with')
    }
    const say = (line: string) => io.stderr.write(`  ${line}\n`)
    const cluster = await LocalCluster.attach(dataDir, (event) => say(describeEvent(event)), { cacheDir: cacheDir(io.env), env: io.env })
    const known = new Set(cluster.nodeIds())
    if (cluster.pids().size === 0) throw badArgument(`the local cluster in ${dataDir} is not running`, `start it with \`kafkaplane up --data-dir ${dataDir}\``)
    const config = values.config?.length ? keyValueOptions('--config', values.config) : undefined
    const renew = values['renew-certificates'] === true
    if (renew && !cluster.clientSecurity) throw badArgument(`--renew-certificates: the local cluster in ${dataDir} has no certificates (it was started without --security)`, 'leave out --renew-certificates, or start a cluster with `kafkaplane up --security`')
    const requested = values.brokers !== undefined ? idsOption('--brokers', values.brokers, known) : config || kafkaVersion || renew ? [] : [...known]
    const dims = [...new Set(cluster.brokerIds().flatMap((id) => Object.keys(cluster.brokerLabels(id))))]
    const within = values['batch-within'] === undefined ? undefined : values['batch-within'] === '' ? [] : listOption('--batch-within', values['batch-within'])!
    for (const d of within ?? []) {
      if (!dims.includes(d)) throw badArgument(`--batch-within: "${d}" is not a dimension of this cluster`, `name dimensions of its topology (${dims.join(', ') || 'none'}), or pass '' to let a batch span them`)
    }
    const stateFile = resolve(values['state-file'] ?? join(dataDir, ROLL_STATE_FILE))

    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      const kafka = new KafkaExecutorCluster(admin, { bootstrapServers: cluster.bootstrapServers })
      const metadataVersion = kafkaMetadataVersionAdmin(admin, cluster.bootstrapServers)
      const target = new LocalRollTarget(cluster)
      const kept = await readRollState(stateFile)
      const running = kept?.status === 'running' && kept.clusterId === cluster.clusterId ? kept : undefined
      if (running && values.brokers !== undefined) {
        const left = new Set([...running.requested, ...(running.current?.ids ?? [])])
        if (requested.some((id) => !left.has(id)) || [...left].some((id) => !requested.includes(id))) {
          throw badArgument(
            `a roll (${running.rollId}, started ${running.createdAt}) is in progress: brokers ${[...left].sort((a, b) => a - b).join(', ')} left to restart`,
            `run \`kafkaplane roll\` without --brokers to continue it, or remove ${stateFile} to forget it`,
          )
        }
      }
      const options = { maxBatch, ...(within === undefined ? {} : { batchWithin: within }) }
      if (config) await cluster.reconfigure(config, { dryRun: true }) // bad input refused before anything changes
      // A version Kafka cannot move to is refused before anything changes (src/core/upgrade/version-change.ts).
      const versionChange = kafkaVersion === undefined ? undefined : await checkedVersionChange(cluster, kafkaVersion, await metadataVersion.describe())
      if (versionChange) {
        const { from, to, direction, finalized } = versionChange
        io.stderr.write(`kafkaplane: Kafka ${from} -> ${to.version}${direction === 'same' ? '' : ` (${direction})`}; metadata.version ${describeLevel(finalized)}, Kafka ${to.version} supports up to ${describeLevel(to.metadata)}\n`)
        if (direction !== 'same' && !values['dry-run']) await cluster.setKafkaVersion(to.version)
      }
      const versionMoves = versionChange !== undefined && versionChange.direction !== 'same'
      if (config && !values['dry-run']) {
        await cluster.reconfigure(config)
        io.stderr.write(`kafkaplane: config of every node: ${Object.entries(config).map(([k, v]) => (v === '' ? `${k} removed` : `${k}=${v}`)).join(', ')}\n`)
      }
      if (renew && !values['dry-run']) {
        await cluster.renewCertificates()
        io.stderr.write('kafkaplane: every broker has a new certificate from the cluster\'s CA; the brokers still serving the old one restart\n')
      }
      if (values['dry-run']) {
        const snapshot = await kafka.snapshot()
        const nodes = (await target.nodes()).map((n) => (requested.includes(n.id) || config || versionMoves || renew ? { ...n, reasons: [...n.reasons, { kind: 'manual' as const, detail: 'restart requested' }] } : n))
        const order = rollOrder(snapshot, nodes.filter((n) => n.reasons.length > 0))
        const step = nextBatch(snapshot, nodes, options)
        io.stdout.write(`order: ${order.map((n) => n.id).join(', ')}\n`)
        if (step.kind === 'restart') io.stdout.write(`first batch now: ${step.nodes.map((n) => n.id).join(', ')}\n`)
        if (step.kind === 'blocked') for (const w of step.waiting) io.stdout.write(`${cluster.nodeName(w.id)} may not restart now: ${w.blockers.join('; ')}\n`)
        io.stderr.write('dry run: nothing changed\n')
        return 0
      }
      const state: RollState = running ?? newRollState(cluster.clusterId, requested, Date.now())
      if (running) io.stderr.write(`kafkaplane: continuing roll ${running.rollId} (started ${running.createdAt}): ${running.done.reduce((n, b) => n + b.ids.length, 0)} restarted, ${running.requested.length} left\n`)
      else io.stderr.write(`kafkaplane: roll ${state.rollId}: nodes ${requested.join(', ')}, ${maxBatch === 1 ? 'one at a time' : `up to ${maxBatch} at once`}; state in ${stateFile}\n`)
      await writeRollState(stateFile, state)

      return await untilStopped(io, 'run the same command to continue.', async (signal) => {
        const result = await runRoll(kafka, target, state, { ...options, clock: systemClock, save: (s) => writeRollState(stateFile, s), pollMs, stallMs, signal, onEvent: rollReporter(io, cluster) })
        const seconds = (result.elapsedMs / 1000).toFixed(1)
        if (result.status === 'finished') {
          const times = describeRollTimes(rollTimes(state.done))
          io.stdout.write(`rolled: ${result.restarted} nodes restarted in ${result.batches} batches in ${seconds} s${times ? ` (${times})` : ''}\n`)
          if (!versionChange) return 0
          if (values['keep-metadata-version']) {
            io.stdout.write(`metadata.version kept at ${describeLevel(versionChange.finalized)} (--keep-metadata-version): a roll back stays possible; the same command without it finalizes\n`)
            return 0
          }
          const outcome = await finalizeMetadataVersion(metadataVersion, cluster.brokerIds(), systemClock)
          const named = (level: number) => describeLevel(levelNamed(level, versionChange))
          if (outcome.kind === 'finalized') io.stdout.write(`metadata.version finalized: ${named(outcome.from)} -> ${named(outcome.to)}; a Kafka older than ${versionChange.to.version} can no longer run this cluster\n`)
          if (outcome.kind === 'current') io.stdout.write(`metadata.version is ${named(outcome.level)}, the newest every node supports\n`)
          if (outcome.kind === 'held-back') {
            io.stdout.write(`metadata.version stays ${named(outcome.level)}: broker${outcome.behind.length > 1 ? 's' : ''} ${outcome.behind.join(', ')} not live or on an older Kafka; run the same command again once ${outcome.behind.length > 1 ? 'they run' : 'it runs'} Kafka ${versionChange.to.version}\n`)
            return 1
          }
          return 0
        }
        if (result.status === 'interrupted') {
          io.stdout.write(`interrupted: ${result.restarted} nodes restarted; run the same command to continue\n`)
          return 1
        }
        io.stdout.write(`stalled: no progress for ${Math.round(stallMs / 1000)} s: ${result.waitingFor}; ${result.restarted} nodes restarted, the roll is kept: fix that and run the same command to continue\n`)
        return 1
      })
    } finally {
      await admin.close().catch(() => {})
    }
  },
}

interface VersionChange {
  from: string
  to: ReleaseMetadata
  /** Of the cluster's current version, to name levels. */
  current: ReleaseMetadata
  direction: ReturnType<typeof checkVersionChange>
  finalized: MetadataLevel
}

/** The cluster's move to Kafka `version`, checked against its finalized metadata.version (refused: VERSION_CHANGE_REFUSED, exit 2). */
async function checkedVersionChange(cluster: LocalCluster, version: string, metadata: { finalized: number }): Promise<VersionChange> {
  const wanted = await cluster.distributionOf(version)
  const to = await releaseMetadata(wanted.distribution, wanted.java)
  const running = await cluster.distributionOf(cluster.kafkaVersion)
  const current = await releaseMetadata(running.distribution, running.java)
  const known = { from: cluster.kafkaVersion, to, current }
  const finalized = levelNamed(metadata.finalized, known)
  return { ...known, finalized, direction: checkVersionChange(cluster.kafkaVersion, to, finalized) }
}

/** A level with its name when it is the newest of one of the two releases at hand. */
function levelNamed(level: number, change: Pick<VersionChange, 'to' | 'current'>): MetadataLevel {
  return [change.to.metadata, change.current.metadata].find((m) => m.level === level) ?? { level }
}

function rollReporter(io: CommandIO, cluster: LocalCluster): (event: RollEvent) => void {
  const say = (line: string) => io.stderr.write(`  ${line}\n`)
  return (event) => {
    switch (event.type) {
      case 'restarting':
        for (const w of event.passedOver) say(`${cluster.nodeName(w.id)} passed over for now: ${w.blockers.join('; ')}`)
        say(describeRestarting(event))
        for (const w of event.warnings) say(`warning: ${w}`)
        return
      case 'waiting':
        say(`waiting: ${event.reason}${event.etaSeconds === undefined ? '' : `; ETA ${event.etaSeconds} s`}`)
        return
      case 'back':
        say(`${describeNodes(event)} back in sync: up after ${(event.restartMs / 1000).toFixed(1)} s, caught up ${(event.catchUpMs / 1000).toFixed(1)} s later`)
        return
      case 'leaders':
        say(`preferred leaders given back: ${event.elected}${event.failed.length > 0 ? `, ${event.failed.length} not (e.g. ${event.failed[0]!.topic}-${event.failed[0]!.partition}: ${event.failed[0]!.message})` : ''}`)
        return
      case 'blocked':
        for (const w of event.waiting) say(`${cluster.nodeName(w.id)} may not restart now: ${w.blockers.join('; ')}`)
        return
      case 'retrying':
        say(`cluster not answering (${event.message}); retrying`)
    }
  }
}

