/**
 * The seeded fault campaign's runner (issue 10): plays one scenario of src/core/verify/campaign-scenario.ts
 * on real processes and says what broke. Used by test/integration/campaign.test.ts (a few fixed seeds)
 * and bench/campaign.ts (many).
 *
 * One run, from its seed:
 *   1. a real local cluster of the scenario's brokers and failure dimensions, kafkaplane's safe defaults
 *      (min.insync.replicas 2; nothing loosened); for `brokers add`, the added broker is stopped first;
 *   2. the topics, created with the admin client as an application would (no min ISR override; Kafka's
 *      placement, or skewed on a few brokers), and a little data in each;
 *   3. two independent writers for the whole run: `kafkaplane verify` over every topic, and Kafka's own
 *      VerifiableProducer (acks=all) on one writable topic, printing a JSON line per acked record;
 *   4. the operation as a `kafkaplane` process, and the faults at their moments, each healed after its
 *      time (a killed broker started again, a stopped process continued). Faults on one broker never
 *      overlap (they queue), so a broker is never started twice;
 *   5. once every fault healed, the operation is run again until it exits 0, at most three runs. A
 *      run that prints nothing new for STALL_MS once the faults healed (a plan waiting for ever) is
 *      interrupted (SIGINT) and counts as not finished; a plan that stalls twice is stuck;
 *   6. the writers stop; verify reports what it lost; the producer's acked records are read back by
 *      Kafka's ConsoleConsumer (a consumer of its own, not the producer's);
 *   7. checks: nothing acknowledged lost, the operation finished (exit 0 and the cluster shows its
 *      result), no throttle left on any broker or topic, no reassignment in flight, every broker back
 *      and every partition fully in sync (within HEALTH_WAIT_MS), the placement invariants of
 *      core/placement/verifier.ts on every partition the operation placed, no unwritable topic created;
 *   8. everything started is stopped, by pid, even when the run fails.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ProduceAcks, type Admin } from '@platformatic/kafka'
import { partitionKey, modelFromTopology, type BrokerState, type PartitionAssignment, type PlacementModel } from '../../../src/core/placement/model.ts'
import { verifyPlan } from '../../../src/core/placement/verifier.ts'
import { CAMPAIGN_MIN_INSYNC, describeFault, describeScenario, generateScenario, type CampaignFault, type CampaignScenario, type CampaignTopic } from '../../../src/core/verify/campaign-scenario.ts'
import { campaignFailures, campaignOutcome, type CampaignEvidence, type CampaignFailure } from '../../../src/core/verify/campaign-verdict.ts'
import type { Topology } from '../../../src/core/topology/topology.ts'
import { describeReplicationThrottles } from '../../../src/kafka/alter-replication-throttles.ts'
import { anyConnection, createAdmin } from '../../../src/kafka/connection.ts'
import { describeClusterSnapshot } from '../../../src/kafka/describe-cluster-snapshot.ts'
import { describeQuorum } from '../../../src/kafka/describe-quorum.ts'
import { listPartitionReassignments } from '../../../src/kafka/list-partition-reassignments.ts'
import { waitForTopic } from '../../../src/kafka/wait-for-topic.ts'
import type { LocalCluster } from '../../../src/local/local-cluster.ts'
import { startWatchedCli, type WatchedCli } from './cli.ts'
import { removeDir, startTestCluster, tempDir } from './clusters.ts'
import { fill } from './kafka-io.ts'
import { startVerifiableProducer, type VerifiableProducerHandle } from './verifiable-producer.ts'

/** An operation run that prints nothing new for this long is waiting for ever. */
const STALL_MS = 45_000
/** No operation run of the campaign's small data may take longer. */
const ATTEMPT_LIMIT_MS = 300_000
const MAX_ATTEMPTS = 3
/** How long the cluster gets, after everything healed, to be whole again. */
const HEALTH_WAIT_MS = 90_000

export interface CampaignRun {
  seed: number
  scenario: CampaignScenario
  /** describeScenario(): everything the run does, in one line. */
  description: string
  failures: CampaignFailure[]
  ok: boolean
  /** The runner could not heal a fault (see failures): the run proves nothing either way. */
  void: boolean
  /** Known defects of issue 10 met (numbers), and failures with no known cause. */
  defects: number[]
  unexplained: CampaignFailure[]
  lost: number
  stuck: boolean
  staleThrottles: number
  elapsedMs: number
  /** What happened, in order: faults struck and healed, operation runs and their exit codes. */
  events: string[]
  /** Operation runs that exited non-zero (stalled ones included), with their last output line: not a
   *  failure when a later run finished, but how the operation met the faults. */
  gaveUp: string[]
}

export interface CampaignOptions {
  log?: (line: string) => void
  /** A folder to keep each run's story in (`campaign-<seed>.log`: events, then every operation run's whole output). */
  logDir?: string
}

export async function runCampaign(seed: number, options: CampaignOptions = {}): Promise<CampaignRun> {
  const scenario = generateScenario(seed)
  const started = Date.now()
  const events: string[] = []
  const log = (line: string) => {
    const stamped = `[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`
    events.push(stamped)
    options.log?.(stamped)
  }
  log(describeScenario(scenario))
  const scratch = await tempDir(`campaign-${seed}`)
  const stopped = new Set<number>() // SIGSTOPped pids, continued before anything is stopped
  const children: ChildProcess[] = []
  let cluster: LocalCluster | undefined
  try {
    // A busy machine can take minutes to bring a killed broker back: give it five before calling it failed.
    // A node that exits while starting (another session took its port between the check and the bind)
    // gets one more try on other ports.
    cluster = await startTestCluster(scenario.topology, { heap: '320m', readyTimeoutMs: 300_000 }).catch((err: Error) => {
      log(`the cluster did not start (${err.message.split('\n')[0]}); starting it again on other ports`)
      return startTestCluster(scenario.topology, { heap: '320m', readyTimeoutMs: 300_000 })
    })
    const run = new Run(scenario, cluster, scratch, log, stopped, children)
    const evidence = await run.play().catch((err: Error): CampaignEvidence => {
      log(`the run could not go on: ${err.stack ?? err.message}${causes(err)}`)
      return { ...NO_EVIDENCE, output: run.outputs.at(-1) ?? '', harness: [`the run could not go on: ${err.message.split('\n')[0]}${causes(err)}`] }
    })
    const gaveUp = run.gaveUp
    const failures = campaignFailures(scenario, evidence)
    const outcome = campaignOutcome(failures)
    for (const f of failures) log(`FAILED ${f.check}: ${f.detail}${f.defect ? ` [defect ${f.defect} of issue 10]` : ' [no known defect]'}`)
    if (options.logDir) {
      await mkdir(options.logDir, { recursive: true })
      await writeFile(join(options.logDir, `campaign-${seed}.log`), `${events.join('\n')}\n\n${run.outputs.join('\n')}\n`)
    }
    return {
      seed,
      scenario,
      description: describeScenario(scenario),
      failures,
      ok: outcome.ok,
      void: outcome.void,
      defects: outcome.defects,
      unexplained: outcome.unexplained,
      lost: evidence.lost.verify + evidence.lost.producer,
      stuck: !evidence.finished,
      staleThrottles: evidence.staleThrottles.length,
      elapsedMs: Date.now() - started,
      events,
      gaveUp,
    }
  } finally {
    for (const pid of stopped) signal(pid, 'SIGCONT')
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await cluster?.stop().catch(() => cluster?.killAllNow())
    await removeDir(scratch)
  }
}

/** Nothing found (yet): what a run that could not go on reports beside its harness failure. */
const NO_EVIDENCE: CampaignEvidence = {
  lost: { verify: 0, producer: 0, detail: [] },
  unverified: [],
  harness: [],
  finished: true,
  unfinished: [],
  output: '',
  staleThrottles: [],
  reassignmentsInFlight: [],
  unhealthy: [],
  placement: [],
  placementRackOnly: [],
  unwritableTopics: [],
}

class Run {
  readonly #s: CampaignScenario
  readonly #cluster: LocalCluster
  readonly #scratch: string
  readonly #log: (line: string) => void
  readonly #stopped: Set<number>
  readonly #children: ChildProcess[]
  readonly #bootstrap: string
  /** One queue of faults per broker id: a broker is never killed, paused and started at once. */
  readonly #brokerLocks = new Map<number, Promise<void>>()
  #operation: WatchedCli | undefined
  readonly gaveUp: string[] = []
  /** Every operation run's whole output, stdout then stderr. */
  readonly outputs: string[] = []
  readonly #harness: string[] = []

  constructor(s: CampaignScenario, cluster: LocalCluster, scratch: string, log: (line: string) => void, stopped: Set<number>, children: ChildProcess[]) {
    this.#s = s
    this.#cluster = cluster
    this.#scratch = scratch
    this.#log = log
    this.#stopped = stopped
    this.#children = children
    this.#bootstrap = cluster.bootstrapServers.join(',')
  }

  #admin(): Admin {
    return createAdmin({ bootstrapServers: this.#cluster.bootstrapServers })
  }

  async play(): Promise<CampaignEvidence> {
    const s = this.#s
    const op = s.operation
    if (op.kind === 'brokers-add') await this.#cluster.stopBroker(op.broker)
    await this.#createTopics()
    const verify = startWatchedCli(['verify', '--topics', s.topics.map((t) => t.name).join(','), '--rate', String(s.writers.verifyRate), '--duration-seconds', '86400', '--json', '--bootstrap-server', this.#bootstrap])
    this.#children.push(verify.child)
    const producer = await startVerifiableProducer({ bootstrap: this.#bootstrap, topic: s.writers.producerTopic, recordsPerSecond: s.writers.producerRate, dir: this.#scratch, children: this.#children })
    await verify.waitFor(/acknowledged [1-9]/, 60_000)
    if (op.kind === 'brokers-add') {
      await this.#cluster.startBroker(op.broker)
      this.#log(`broker ${op.broker} started, empty, to be added`)
    }
    const before = await this.#assignment()

    // The operation, its faults, and the runs after the faults healed.
    const stateFile = join(this.#scratch, 'plan.json')
    const executes = !op.kind.startsWith('topics-')
    const args = [...op.args, '--bootstrap-server', this.#bootstrap, ...(executes ? ['--state-file', stateFile, '--poll-ms', '500', '--throttle', String(s.throttleBytesPerSecond)] : [])]
    const outputs = this.outputs
    let lastCode: number | null = null
    let stalls = 0
    const opStart = Date.now()
    const faults = Promise.all(s.faults.map((f) => sleep(f.atMs).then(() => this.#strike(f))))
    let allHealed = false
    void faults.then(() => (allHealed = true))
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      this.#log(`operation run ${attempt}: kafkaplane ${args.join(' ')}`)
      const cli = startWatchedCli(args)
      this.#children.push(cli.child)
      this.#operation = cli
      const { code, stalled } = await this.#watch(cli, () => allHealed)
      this.#operation = undefined
      outputs.push(`--- run ${attempt} (exit ${code}${stalled ? ', stalled' : ''}) ---\n${cli.stdout()}${cli.stderr()}`)
      const why = (cli.stdout() + cli.stderr()).split('\n').filter((l) => /paused:|retrying|error|refused/i.test(l)).at(-1)?.trim()
      this.#log(`operation run ${attempt} exited ${code}${stalled ? ` after printing nothing new for ${STALL_MS / 1000} s (interrupted)` : ''}: ${lastLines(cli.stdout() + cli.stderr(), 2)}${why ? ` (last said: ${why.slice(0, 300)})` : ''}`)
      lastCode = code
      if (code !== 0 && code !== null) this.gaveUp.push(`run ${attempt} exited ${code}${stalled ? ' (stalled)' : ''}: ${(why ?? lastLines(cli.stderr() || cli.stdout(), 1)).slice(0, 200)}`)
      await faults
      if (code === 0) break
      if (stalled && ++stalls >= 2) break
      if (op.kind.startsWith('topics-') && code === 2) break // refused: bad input changes nothing, a rerun neither
    }
    this.#log(`faults healed; operation took ${((Date.now() - opStart) / 1000).toFixed(1)} s`)

    const [verifyLost, producerLost] = await Promise.all([this.#stopVerify(verify), this.#checkProducer(producer)])
    const evidence: CampaignEvidence = {
      ...NO_EVIDENCE,
      lost: { verify: verifyLost.lost, producer: producerLost.lost, detail: [...verifyLost.detail, ...producerLost.detail] },
      unverified: [...verifyLost.unverified, ...producerLost.unverified],
      harness: this.#harness,
      output: outputs.at(-1) ?? '',
      unwritableTopics: [],
    }
    const after = await this.#assignment()
    const unfinished = await this.#unfinished(lastCode, after)
    evidence.finished = unfinished.length === 0
    evidence.unfinished = unfinished
    evidence.unhealthy = await this.#waitHealthy()
    evidence.staleThrottles = await this.#throttles()
    evidence.reassignmentsInFlight = await this.#reassignments()
    const placed = after.filter((p) => {
      const was = before.find((b) => b.topic === p.topic && b.partition === p.partition)
      return !was || was.replicas.join() !== p.replicas.join()
    })
    evidence.placement = this.#placement(this.#s.topology, before, placed)
    evidence.placementRackOnly = this.#placement(rackOnly(this.#s.topology), before, placed)
    if (op.kind === 'topics-create' && op.replicationFactor < CAMPAIGN_MIN_INSYNC && after.some((p) => p.topic === op.topic)) {
      evidence.unwritableTopics.push(`topics create made ${op.topic} at RF ${op.replicationFactor}, below min.insync.replicas ${CAMPAIGN_MIN_INSYNC}: no acks=all write can succeed`)
    }
    return evidence
  }

  async #createTopics(): Promise<void> {
    const admin = this.#admin()
    try {
      const live = this.#s.topology.brokers.filter((b) => this.#cluster.pids().has(b.id))
      // Skewed: every replica on the same few brokers, those of the first domains of the first dimension.
      const dimension = this.#s.topology.dimensions[0]!
      const skewed = [...live].sort((a, b) => a.labels[dimension]!.localeCompare(b.labels[dimension]!) || a.id - b.id).map((b) => b.id)
      for (const t of this.#s.topics) {
        const replicas = skewed.slice(0, t.replicationFactor)
        const assignments = Array.from({ length: t.partitions }, (_, partition) => ({ partition, brokers: replicas.map((_, i) => replicas[(i + partition) % replicas.length]!) }))
        // A busy machine times requests out: ask again unless the topic came to be after all.
        for (let attempt = 1; ; attempt++) {
          try {
            if (t.placement === 'kafka') await admin.createTopics({ topics: [t.name], partitions: t.partitions, replicas: t.replicationFactor })
            else await admin.createTopics({ topics: [t.name], partitions: -1, replicas: -1, assignments })
            break
          } catch (err) {
            if ((await admin.listTopics().catch(() => [] as string[])).includes(t.name)) break
            if (attempt >= 5) throw err
            await sleep(3000)
          }
        }
        await waitForTopic(admin, t.name, t.partitions, 120_000)
      }
    } finally {
      await admin.close()
    }
    for (const t of this.#s.topics) await fill(this.#cluster.bootstrapServers, t.name, t.fillBytes, t.replicationFactor >= CAMPAIGN_MIN_INSYNC ? ProduceAcks.ALL : ProduceAcks.LEADER)
    this.#log(`topics created and filled: ${this.#s.topics.map(describeTopic).join(', ')}`)
  }

  /** Strikes one fault and heals it after its time. */
  async #strike(f: CampaignFault): Promise<void> {
    if (f.target.kind === 'operation') {
      const cli = this.#operation
      if (!cli || cli.child.exitCode !== null || cli.child.pid === undefined) return this.#log(`fault missed (the operation was not running): ${describeFault(f)}`)
      const pid = cli.child.pid
      if (f.action === 'kill') {
        cli.child.kill('SIGKILL')
        this.#log(`fault: kill -9 of the kafkaplane process (pid ${pid})`)
        await sleep(f.forMs)
      } else {
        signal(pid, 'SIGSTOP')
        this.#stopped.add(pid)
        this.#log(`fault: SIGSTOP of the kafkaplane process (pid ${pid})`)
        await sleep(f.forMs)
        signal(pid, 'SIGCONT')
        this.#stopped.delete(pid)
        this.#log(`healed: SIGCONT of the kafkaplane process`)
      }
      return
    }
    const id = f.target.kind === 'broker' ? f.target.id : await this.#activeController()
    if (id === undefined) return this.#log(`fault missed (no active controller found): ${describeFault(f)}`)
    const what = `${f.target.kind === 'controller' ? 'the active controller, ' : ''}broker ${id}`
    const previous = this.#brokerLocks.get(id) ?? Promise.resolve()
    const turn = previous.then(async () => {
      const pid = this.#cluster.pids().get(id)
      if (pid === undefined) return this.#log(`fault missed (broker ${id} not running): ${describeFault(f)}`)
      try {
        if (f.action === 'kill') {
          await this.#cluster.killBroker(id)
          this.#log(`fault: kill -9 of ${what}`)
          await sleep(f.forMs)
          await this.#cluster.startBroker(id)
          this.#log(`healed: broker ${id} started again`)
        } else if (f.action === 'pause') {
          signal(pid, 'SIGSTOP')
          this.#stopped.add(pid)
          this.#log(`fault: SIGSTOP of ${what}`)
          await sleep(f.forMs)
          signal(pid, 'SIGCONT')
          this.#stopped.delete(pid)
          this.#log(`healed: SIGCONT of broker ${id}`)
        } else {
          this.#log(`fault: restart of ${what}`)
          await this.#cluster.restartBroker(id)
          this.#log(`healed: broker ${id} restarted`)
        }
      } catch (err) {
        const message = `healing broker ${id} failed (${describeFault(f)}): ${(err as Error).message.split('\n')[0]}`
        this.#harness.push(message)
        this.#log(message)
      }
    })
    this.#brokerLocks.set(id, turn)
    await turn
  }

  async #activeController(): Promise<number | undefined> {
    const admin = createAdmin({ bootstrapServers: this.#cluster.bootstrapServers, requestTimeoutMs: 5000 })
    try {
      const quorum = await describeQuorum(await anyConnection(admin, this.#cluster.bootstrapServers))
      return quorum.leaderId >= 0 ? quorum.leaderId : undefined
    } catch {
      return undefined
    } finally {
      await admin.close().catch(() => {})
    }
  }

  /**
   * Waits for an operation run to exit. Once every fault healed, a run that prints no new line for
   * STALL_MS (numbers of rates and ETAs aside) is interrupted like a person would (SIGINT, then SIGKILL).
   */
  async #watch(cli: WatchedCli, healed: () => boolean): Promise<{ code: number | null; stalled: boolean }> {
    const seen = new Set<string>()
    let lastNew = Date.now()
    const begin = Date.now()
    for (;;) {
      const exited = await Promise.race([cli.exited.then(() => true), sleep(1000, undefined, { ref: false }).then(() => false)])
      if (exited) return { code: cli.child.exitCode, stalled: false }
      for (const line of (cli.stdout() + cli.stderr()).split('\n')) {
        const key = line.replace(/, [\d.]+ [KMG]?i?B\/s/g, '').replace(/, ETA \d+ s/g, '')
        if (!seen.has(key)) {
          seen.add(key)
          lastNew = Date.now()
        }
      }
      if (!healed()) lastNew = Math.max(lastNew, Date.now() - STALL_MS / 2)
      if ((healed() && Date.now() - lastNew > STALL_MS) || Date.now() - begin > ATTEMPT_LIMIT_MS) {
        cli.child.kill('SIGINT')
        const gone = await Promise.race([cli.exited.then(() => true), sleep(15_000, undefined, { ref: false }).then(() => false)])
        if (!gone) cli.child.kill('SIGKILL')
        await cli.exited
        return { code: cli.child.exitCode, stalled: true }
      }
    }
  }

  /** Stops `kafkaplane verify` (SIGINT: it stops producing, reads everything back and reports). */
  async #stopVerify(verify: WatchedCli): Promise<{ lost: number; detail: string[]; unverified: string[] }> {
    verify.child.kill('SIGINT')
    const gone = await Promise.race([verify.exited.then(() => true), sleep(240_000, undefined, { ref: false }).then(() => false)])
    if (!gone) verify.child.kill('SIGKILL')
    try {
      const report = JSON.parse(verify.stdout()) as { acknowledged: number; lost: number; unverified: number; partitions: { topic: string; partition: number; lost: number; lostOffsets: string[] }[]; verdict: { failures: string[] } }
      this.#log(`kafkaplane verify: ${report.acknowledged} acknowledged, ${report.lost} lost, ${report.unverified} not verified${report.verdict.failures.length ? ` (${report.verdict.failures.join('; ')})` : ''}`)
      return {
        lost: report.lost,
        detail: report.partitions.filter((p) => p.lost > 0).map((p) => `verify ${p.topic}-${p.partition}: ${p.lost} lost (offsets ${p.lostOffsets.join(' ')})`),
        unverified: report.unverified > 0 ? [`kafkaplane verify could not read back ${report.unverified} acknowledged records`] : [],
      }
    } catch {
      this.#log(`kafkaplane verify gave no report: ${lastLines(verify.stderr(), 1)}`)
      return { lost: 0, detail: [], unverified: [`kafkaplane verify gave no report within 240 s (${lastLines(verify.stderr(), 1)})`] }
    }
  }

  /** Stops the VerifiableProducer and reads its topic back with Kafka's ConsoleConsumer (support/verifiable-producer.ts). */
  async #checkProducer(producer: VerifiableProducerHandle): Promise<{ lost: number; detail: string[]; unverified: string[] }> {
    const check = await producer.stopAndCheck()
    this.#log(`VerifiableProducer: ${check.acknowledged} acknowledged, ${check.found} found by ConsoleConsumer, ${check.lost} lost, ${check.notVerified} not verified (beyond what the reads reached)`)
    return check
  }

  /** Every partition (internal topics too), offline ones included: the admin client's listTopics fails on those. */
  async #assignment(): Promise<PartitionAssignment[]> {
    for (let attempt = 0; ; attempt++) {
      const admin = this.#admin()
      try {
        const snapshot = await describeClusterSnapshot(admin, { bootstrapServers: this.#cluster.bootstrapServers })
        return snapshot.partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: [...p.replicas] }))
      } catch (err) {
        if (attempt >= 30) throw err
        await sleep(2000)
      } finally {
        await admin.close().catch(() => {})
      }
    }
  }

  /** Why the operation is not finished: its last exit code, and what the cluster shows of its result. */
  async #unfinished(code: number | null, after: PartitionAssignment[]): Promise<string[]> {
    const op = this.#s.operation
    const why: string[] = []
    const campaignTopics = after.filter((p) => /^c[0-9]+$/.test(p.topic))
    switch (op.kind) {
      case 'replication-factor': {
        const off = campaignTopics.filter((p) => p.replicas.length !== op.target)
        if (off.length > 0) why.push(`${off.length} partitions not at RF ${op.target} (e.g. ${partitionKey(off[0]!)} at ${off[0]!.replicas.length})`)
        break
      }
      case 'brokers-remove':
      case 'migrate': {
        const gone = op.kind === 'migrate' ? op.from : [op.broker]
        const left = after.filter((p) => p.replicas.some((b) => gone.includes(b)))
        if (left.length > 0) why.push(`${left.length} partitions still on broker ${gone.join(', ')} (e.g. ${partitionKey(left[0]!)})`)
        break
      }
      case 'brokers-add':
        if (!after.some((p) => p.replicas.includes(op.broker))) why.push(`broker ${op.broker} holds no replica`)
        break
      case 'topics-create': {
        const made = after.filter((p) => p.topic === op.topic)
        if (code === 2 && made.length === 0 && op.replicationFactor < CAMPAIGN_MIN_INSYNC) return [] // refused, as it should
        if (made.length !== op.partitions || made.some((p) => p.replicas.length !== op.replicationFactor)) why.push(`${op.topic} has ${made.length} partitions, not ${op.partitions} at RF ${op.replicationFactor}`)
        break
      }
      case 'topics-alter': {
        const n = after.filter((p) => p.topic === op.topic).length
        if (n !== op.partitions) why.push(`${op.topic} has ${n} partitions, not ${op.partitions}`)
        break
      }
    }
    if (code !== 0) why.unshift(`the last run exited ${code}`)
    return why
  }

  /** Waits up to HEALTH_WAIT_MS for every broker registered and unfenced, a quorum leader, every partition fully in sync. */
  async #waitHealthy(): Promise<string[]> {
    const deadline = Date.now() + HEALTH_WAIT_MS
    const expected = this.#s.topology.brokers.map((b) => b.id)
    for (;;) {
      const problems: string[] = []
      const admin = this.#admin()
      try {
        const snapshot = await describeClusterSnapshot(admin, { bootstrapServers: this.#cluster.bootstrapServers, expectedBrokerIds: expected })
        const registered = new Set(snapshot.brokers.map((b) => b.id))
        const missing = expected.filter((id) => !registered.has(id))
        if (missing.length > 0) problems.push(`broker ${missing.join(', ')} not registered and unfenced`)
        if (!snapshot.quorum || snapshot.quorum.leaderId < 0) problems.push('no active controller')
        const offline = snapshot.partitions.filter((p) => p.leader < 0)
        const behind = snapshot.partitions.filter((p) => p.leader >= 0 && p.isr.length < p.replicas.length)
        if (offline.length > 0) problems.push(`${offline.length} partitions offline (e.g. ${partitionKey(offline[0]!)})`)
        if (behind.length > 0) problems.push(`${behind.length} partitions not fully in sync (e.g. ${partitionKey(behind[0]!)}: ISR ${behind[0]!.isr.join(',')} of ${behind[0]!.replicas.join(',')})`)
      } catch (err) {
        problems.push(`the cluster did not answer: ${(err as Error).message.split('\n')[0]}`)
      } finally {
        await admin.close().catch(() => {})
      }
      if (problems.length === 0 || Date.now() > deadline) return problems
      await sleep(2000)
    }
  }

  /** Throttle configs on any broker or topic (looked at again for 10 s: config changes reach brokers a moment late). */
  async #throttles(): Promise<string[]> {
    const deadline = Date.now() + 10_000
    for (;;) {
      const admin = this.#admin()
      let found: string[]
      try {
        const topics = [...new Set((await this.#assignment()).map((p) => p.topic))]
        const t = await describeReplicationThrottles(admin, [...this.#cluster.pids().keys()], topics)
        found = [
          ...t.brokers.map((b) => `broker ${b.broker}: ${[b.leaderRate === undefined ? '' : `leader rate ${b.leaderRate}`, b.followerRate === undefined ? '' : `follower rate ${b.followerRate}`].filter(Boolean).join(', ')}`),
          ...t.topics.map((x) => `topic ${x.topic}: ${[x.leader ? `leader replicas ${x.leader}` : '', x.follower ? `follower replicas ${x.follower}` : ''].filter(Boolean).join(', ')}`),
        ]
      } catch (err) {
        found = [`throttles could not be read: ${(err as Error).message.split('\n')[0]}`]
      } finally {
        await admin.close().catch(() => {})
      }
      if (found.length === 0 || Date.now() > deadline) return found
      await sleep(1000)
    }
  }

  async #reassignments(): Promise<string[]> {
    const admin = this.#admin()
    try {
      const ongoing = await listPartitionReassignments(await anyConnection(admin, this.#cluster.bootstrapServers))
      return ongoing.map((r) => `${partitionKey(r)} -> [${r.replicas.join(',')}]`)
    } catch (err) {
      return [`reassignments could not be listed: ${(err as Error).message.split('\n')[0]}`]
    } finally {
      await admin.close().catch(() => {})
    }
  }

  /**
   * The placement invariants (core/placement/verifier.ts) on the partitions the operation placed, against
   * the cluster as it was before it: distinct brokers, none on a drained broker, the right RF, and a
   * spread on every dimension of `topology` as good as the best placement. (The verifier's "wasted moves"
   * rule judges a whole plan's balancing, not what a run can observe, and is left out.)
   */
  #placement(topology: Topology, before: PartitionAssignment[], placed: PartitionAssignment[]): string[] {
    const op = this.#s.operation
    const draining = op.kind === 'brokers-remove' ? [op.broker] : op.kind === 'migrate' ? op.from : []
    const states = new Map<number, BrokerState>(draining.map((id) => [id, 'draining']))
    const model: PlacementModel = modelFromTopology(
      { dimensions: topology.dimensions, brokers: topology.brokers.map((b) => ({ ...b, state: states.get(b.id) ?? 'active' })) },
      before,
      () => CAMPAIGN_MIN_INSYNC,
    )
    // The RF each partition should end with: the target of an RF change, at least the policy's for heal.
    const campaignTopic = (p: { topic: string }) => /^c[0-9]+$/.test(p.topic)
    const rf =
      op.kind === 'replication-factor'
        ? (p: { topic: string; replicas: readonly number[] }) => (campaignTopic(p) ? op.target : p.replicas.length)
        : op.kind === 'heal' && op.replicationFactor !== undefined
          ? (p: { topic: string; replicas: readonly number[] }) => (campaignTopic(p) ? Math.max(op.replicationFactor!, p.replicas.length) : p.replicas.length)
          : undefined
    const after = placed.map((p) => ({ ...p, minInsync: CAMPAIGN_MIN_INSYNC }))
    return verifyPlan(model, after, rf ? { replicationFactor: rf } : {}).filter((v) => !v.includes('wasted moves'))
  }
}

/** The topology as kafkaplane sees it without --topology: broker.rack (the zone) alone. */
function rackOnly(topology: Topology): Topology {
  return { dimensions: ['zone'], brokers: topology.brokers.map((b) => ({ ...b, labels: { zone: b.labels.zone! } })) }
}

function describeTopic(t: CampaignTopic): string {
  return `${t.name} ${t.partitions}p RF ${t.replicationFactor} ${(t.fillBytes / 1024).toFixed(0)} KiB`
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

/** The errors inside an AggregateError (the Kafka client's "Producing messages failed" carries the brokers' own). */
function causes(err: Error): string {
  const inner = (err as Partial<AggregateError>).errors
  if (!Array.isArray(inner) || inner.length === 0) return ''
  const messages = [...new Set(inner.map((e: unknown) => (e instanceof Error ? `${e.message}${causes(e)}` : String(e))))]
  return ` (${messages.slice(0, 5).join('; ')}${messages.length > 5 ? `; ${messages.length - 5} more` : ''})`
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ')
}

/** One line per run for logs and the benchmark's table. */
export function campaignLine(r: CampaignRun): string {
  const verdict = r.ok ? 'ok' : r.void ? 'VOID (the runner could not go on, or a fault could not be healed: see the harness line)' : r.unexplained.length > 0 ? `FAIL (new${r.defects.length ? `; and defect ${r.defects.join(', ')}` : ''})` : `FAIL (known: defect ${r.defects.join(', ')})`
  const checks = [...new Set(r.failures.map((f) => f.check))].join(',')
  return `seed ${r.seed}: ${verdict}${checks ? ` [${checks}]` : ''}; lost ${r.lost}, stuck ${r.stuck ? 'yes' : 'no'}, stale throttles ${r.staleThrottles}; ${(r.elapsedMs / 1000).toFixed(0)} s`
}
