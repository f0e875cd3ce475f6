import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { BrokerProcess } from './broker-process.ts'
import { findFreePorts } from './free-ports.ts'
import type { Java } from './java.ts'
import type { KafkaDistribution } from './kafka-distribution.ts'
import { LOG4J2_YAML } from './log4j.ts'

const run = promisify(execFile)

/** How long the throwaway broker that makes an archive may take to start, and then to stop and write it. */
const START_TIMEOUT_MS = 120_000
const STOP_TIMEOUT_MS = 60_000

/**
 * A single-node (combined) broker in `dir`, formatted and started with `jvmArgs` on free loopback
 * ports; resolves once it logged that it started (with when its JVM was spawned), and kills it if it
 * does not. The caller stops it. What an archive is made from, and what `bench/broker-start.ts` times.
 */
export async function startThrowawayBroker(options: { java: Java; distribution: KafkaDistribution; env: NodeJS.ProcessEnv; dir: string; jvmArgs: readonly string[] }): Promise<{ broker: BrokerProcess; spawnedAt: number }> {
  const { java, distribution, dir } = options
  await mkdir(join(dir, 'data'), { recursive: true })
  await mkdir(join(dir, 'logs'), { recursive: true })
  const [brokerPort, controllerPort] = await findFreePorts(2)
  const properties = join(dir, 'server.properties')
  await writeFile(
    properties,
    [
      'node.id=0',
      'process.roles=broker,controller',
      `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort}`,
      `controller.quorum.voters=0@127.0.0.1:${controllerPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      '',
    ].join('\n'),
  )
  await writeFile(join(dir, 'log4j2.yaml'), LOG4J2_YAML)
  const logging = [`-Dlog4j2.configurationFile=${join(dir, 'log4j2.yaml')}`, `-Dkafka.logs.dir=${join(dir, 'logs')}`]
  await run(java.command, ['-Xmx256m', ...logging, '-cp', distribution.classpath, 'kafka.tools.StorageTool', 'format', '-t', 'AAAAAAAAAAAAAAAAAAAAAA', '-c', properties], { env: options.env, timeout: START_TIMEOUT_MS })
  const spawnedAt = Date.now()
  const broker = BrokerProcess.spawn(java.command, ['-Xms128m', '-Xmx384m', '-XX:+UseG1GC', ...options.jvmArgs, ...logging, '-cp', distribution.classpath, 'kafka.Kafka', properties], {
    stdoutFile: join(dir, 'logs', 'stdout.log'),
    env: options.env,
    cwd: dir,
  })
  try {
    const serverLog = join(dir, 'logs', 'server.log')
    while (!(existsSync(serverLog) && readFileSync(serverLog, 'utf8').includes('Kafka Server started'))) {
      if (!broker.running) throw new Error(`the broker exited while starting (${join(dir, 'logs')})`)
      if (Date.now() > spawnedAt + START_TIMEOUT_MS) throw new Error(`the broker did not start within ${START_TIMEOUT_MS / 1000} s`)
      await sleep(100)
    }
  } catch (err) {
    await broker.kill()
    throw err
  }
  return { broker, spawnedAt }
}

/**
 * The class data sharing archive (AppCDS) of a Kafka broker's classes, for these jars and this java:
 * a JVM that maps it (`-XX:SharedArchiveFile`) loads the classes it holds ready-made instead of
 * parsing and verifying them, as Kafka's own container image does (KIP-975). On the reference machine
 * a single-node broker's start took 2.2-2.6 s of CPU with it against 3.5-3.8 s without, and every
 * local cluster's start, every restart of a roll and every format pays that once a node, on a
 * machine whose cores all its brokers share.
 *
 * Made once and kept in `<cacheDir>/class-data/`, named after the Kafka version and a hash of the
 * classpath and the java (another java or other jars get their own): a throwaway single-node broker
 * (formatted in a temporary folder, on free loopback ports) is started with
 * `-XX:ArchiveClassesAtExit`, stopped gracefully once started, and the archive it writes at exit is
 * renamed into place, so a half-written one is never used and two processes making it at once both
 * succeed. Never fatal: when it cannot be made, brokers start without it (undefined, with why).
 * The JVM checks the archive against its own classpath and java when it maps it, and runs without
 * it (with a warning in the node's stdout.log) when they differ. None is made for a distribution of
 * the user's own (KAFKA_HOME): it is used as it is, and nothing is written to the cache for it.
 */
export async function classDataArchive(options: {
  cacheDir: string
  java: Java
  distribution: KafkaDistribution
  env: NodeJS.ProcessEnv
  /** Told when the archive is being made (about 10 s, once). */
  onMaking?: (message: string) => void
  onWarning?: (message: string) => void
}): Promise<string | undefined> {
  const { java, distribution } = options
  // A distribution of the user's own (KAFKA_HOME) is used as it is: nothing of it goes into the cache.
  if (distribution.source === 'kafka-home') return undefined
  const key = createHash('sha256').update(`${distribution.classpath}\n${java.command}\n${java.version}`).digest('hex').slice(0, 12)
  const dir = join(options.cacheDir, 'class-data')
  const archive = join(dir, `kafka-${distribution.version}-${key}.jsa`)
  if (existsSync(archive)) return archive
  const work = join(dir, `making-${randomBytes(4).toString('hex')}`)
  options.onMaking?.(`making the class data archive of Kafka ${distribution.version}'s broker classes in ${dir} (once: a broker started and stopped)`)
  try {
    const written = join(work, 'kafka.jsa')
    const { broker } = await startThrowawayBroker({ java, distribution, env: options.env, dir: work, jvmArgs: [`-XX:ArchiveClassesAtExit=${written}`] })
    try {
      await broker.stop(STOP_TIMEOUT_MS)
    } finally {
      await broker.kill()
    }
    if (!existsSync(written) || (await stat(written)).size === 0) throw new Error('the JVM wrote no archive at exit')
    await rename(written, archive)
    return archive
  } catch (err) {
    options.onWarning?.(`no class data archive for Kafka ${distribution.version} (brokers start without it, a little slower): ${(err as Error).message}`)
    return undefined
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
