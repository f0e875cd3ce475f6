import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KafkaplaneError } from '../core/errors.ts'
import { parseMetadataVersionLine, type ReleaseMetadata } from '../core/upgrade/version-change.ts'
import type { KafkaDistribution } from './kafka-distribution.ts'

const CACHE_FILE = 'release-metadata.json'

/**
 * The newest production `metadata.version` of a Kafka release, asked of its own jars
 * (`kafka-storage version-mapping`, which needs no cluster), so a version change can be checked before
 * any broker restarts. Cached beside the jars (a JVM start costs a second or two).
 */
export async function releaseMetadata(distribution: KafkaDistribution, java: string): Promise<ReleaseMetadata> {
  const cached = join(distribution.libDir, CACHE_FILE)
  const known = await readFile(cached, 'utf8').then((t) => JSON.parse(t) as ReleaseMetadata).catch(() => undefined)
  if (known?.version === distribution.version) return known
  const output = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const child = spawn(java, ['-cp', distribution.classpath, 'kafka.tools.StorageTool', 'version-mapping'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    child.stdout.on('data', (d: Buffer) => (text += d.toString()))
    child.stderr.on('data', (d: Buffer) => (text += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, text }))
  })
  const metadata = output.code === 0 ? parseMetadataVersionLine(output.text) : undefined
  if (!metadata) {
    throw new KafkaplaneError('KAFKA_JARS_BROKEN', `Kafka ${distribution.version}'s kafka-storage version-mapping gave no metadata.version (exit ${output.code})`, {
      fix: `check the jars in ${distribution.libDir} (\`kafkaplane fetch --force\`)`,
      detail: output.text.trim().split('\n').slice(-10).join('\n'),
    })
  }
  const release = { version: distribution.version, metadata }
  // Best effort: the KAFKA_HOME of a user may be read-only.
  await writeFile(cached, JSON.stringify(release)).catch(() => {})
  return release
}
