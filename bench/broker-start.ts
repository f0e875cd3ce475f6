/**
 * Benchmark: what a broker's start costs with and without the class data sharing archive
 * (src/local/class-data-archive.ts) that local brokers map.
 *
 *   bench/run broker-start [--rounds 3]
 *
 * Each round starts a single-node broker twice, without the archive and with it, alternately, and
 * reads the JVM's CPU time (user + system, /proc/PID/stat) and the wall time from its spawn to its
 * "Kafka Server started" log line. CPU time is the figure that holds on a busy machine: every node of
 * a local cluster starts on the same cores. Prints each start and the medians.
 */
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { classDataArchive, startThrowawayBroker } from '../src/local/class-data-archive.ts'
import { findJava } from '../src/local/java.ts'
import { resolveKafkaDistribution } from '../src/local/kafka-distribution.ts'
import { cacheDir } from '../src/local/paths.ts'
import { removeDir, tempDir } from '../test/integration/support/clusters.ts'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } })
const rounds = Number(values.rounds)
const java = await findJava()
const distribution = await resolveKafkaDistribution({ cacheDir: cacheDir() })
const archive = await classDataArchive({ cacheDir: cacheDir(), java, distribution, env: process.env, onWarning: (m) => console.error(m) })
if (archive === undefined) throw new Error('no class data archive could be made')
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; java ${java.version}; Kafka ${distribution.version}; archive ${archive}`)

const ticks = 100 // USER_HZ on Linux
const times: Record<string, { cpuMs: number; wallMs: number }[]> = { without: [], with: [] }
for (let round = 1; round <= rounds; round++) {
  for (const mode of ['without', 'with'] as const) {
    const dir = await tempDir('broker-start')
    try {
      const { broker, spawnedAt } = await startThrowawayBroker({ java, distribution, env: process.env, dir, jvmArgs: mode === 'with' ? [`-XX:SharedArchiveFile=${archive}`, '-Xshare:on'] : [] })
      const wallMs = Date.now() - spawnedAt
      const fields = readFileSync(`/proc/${broker.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks
      await broker.stop(60_000)
      times[mode]!.push({ cpuMs, wallMs })
      console.log(`round ${round}, ${mode} the archive: ${(cpuMs / 1000).toFixed(2)} s of CPU, ${(wallMs / 1000).toFixed(2)} s to started`)
    } finally {
      await removeDir(dir)
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const cpu = (mode: string) => median(times[mode]!.map((t) => t.cpuMs)) / 1000
const wall = (mode: string) => median(times[mode]!.map((t) => t.wallMs)) / 1000
console.log(`median: without ${cpu('without').toFixed(2)} s CPU / ${wall('without').toFixed(2)} s wall; with ${cpu('with').toFixed(2)} s CPU / ${wall('with').toFixed(2)} s wall; CPU with / without ${(cpu('with') / cpu('without')).toFixed(2)}`)
