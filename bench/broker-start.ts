/**
 * Benchmark: what a broker's start costs without and with the class data sharing archive
 * (src/local/class-data-archive.ts) that local brokers map, and with the archive and C1 only
 * (`-XX:TieredStopAtLevel=1`, what the test bed's KafkaCluster gives its JVMs through spec.jvmOptions).
 *
 *   bench/run broker-start [--rounds 3] [--idle-seconds 60]
 *
 * Each round starts a single-node broker three times, one per mode, in turn, and reads the JVM's CPU
 * time (user + system, /proc/PID/stat) and the wall time from its spawn to its "Kafka Server started"
 * log line, then its CPU time over the next idle seconds (the JIT still compiling, the broker's own
 * timers). CPU time is the figure that holds on a busy machine: every node of a local cluster starts on
 * the same cores. Prints each start and the medians.
 */
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { classDataArchive, startThrowawayBroker } from '../src/local/class-data-archive.ts'
import { findJava } from '../src/local/java.ts'
import { resolveKafkaDistribution } from '../src/local/kafka-distribution.ts'
import { cacheDir } from '../src/local/paths.ts'
import { removeDir, tempDir } from '../test/integration/support/clusters.ts'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'idle-seconds': { type: 'string', default: '60' } } })
const rounds = Number(values.rounds)
const idleSeconds = Number(values['idle-seconds'])
const java = await findJava()
const distribution = await resolveKafkaDistribution({ cacheDir: cacheDir() })
const archive = await classDataArchive({ cacheDir: cacheDir(), java, distribution, env: process.env, onWarning: (m) => console.error(m) })
if (archive === undefined) throw new Error('no class data archive could be made')
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; java ${java.version}; Kafka ${distribution.version}; archive ${archive}`)

const ticks = 100 // USER_HZ on Linux
const cpuMsOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks
}
const modes = {
  'without the archive': [],
  'with the archive': [`-XX:SharedArchiveFile=${archive}`, '-Xshare:on'],
  'with the archive, C1 only': [`-XX:SharedArchiveFile=${archive}`, '-Xshare:on', '-XX:TieredStopAtLevel=1'],
} satisfies Record<string, string[]>
type Mode = keyof typeof modes
const times = new Map<Mode, { cpuMs: number; wallMs: number; idleCpuMs: number }[]>()
for (let round = 1; round <= rounds; round++) {
  for (const [mode, jvmArgs] of Object.entries(modes) as [Mode, string[]][]) {
    const dir = await tempDir('broker-start')
    try {
      const { broker, spawnedAt } = await startThrowawayBroker({ java, distribution, env: process.env, dir, jvmArgs })
      const wallMs = Date.now() - spawnedAt
      const cpuMs = cpuMsOf(broker.pid)
      await sleep(idleSeconds * 1000)
      const idleCpuMs = cpuMsOf(broker.pid) - cpuMs
      await broker.stop(60_000)
      times.set(mode, [...(times.get(mode) ?? []), { cpuMs, wallMs, idleCpuMs }])
      console.log(`round ${round}, ${mode}: ${(cpuMs / 1000).toFixed(2)} s of CPU, ${(wallMs / 1000).toFixed(2)} s to started; ${(idleCpuMs / 1000).toFixed(2)} s of CPU in the ${idleSeconds} s after`)
    } finally {
      await removeDir(dir)
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const of = (mode: Mode, key: 'cpuMs' | 'wallMs' | 'idleCpuMs') => median(times.get(mode)!.map((t) => t[key])) / 1000
for (const mode of Object.keys(modes) as Mode[]) {
  console.log(`median, ${mode}: ${of(mode, 'cpuMs').toFixed(2)} s CPU / ${of(mode, 'wallMs').toFixed(2)} s wall to started (CPU ${(of(mode, 'cpuMs') / of('without the archive', 'cpuMs')).toFixed(2)} of without the archive's); ${of(mode, 'idleCpuMs').toFixed(2)} s CPU in the ${idleSeconds} s after`)
}
