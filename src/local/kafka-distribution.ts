import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KafkaplaneError } from '../core/errors.ts'

/** The pom that names the Kafka artifacts of local clusters (kafka.version is the broker version). */
export const KAFKA_POM = fileURLToPath(new URL('../../tools/kafka/pom.xml', import.meta.url))

export interface KafkaDistribution {
  /** Where the jars are: a cache folder filled from Maven Central, or `$KAFKA_HOME/libs`. */
  libDir: string
  /** Java classpath (`<libDir>/*`). */
  classpath: string
  /** Kafka version, read from the kafka_2.13 jar's name. */
  version: string
  source: 'maven' | 'kafka-home'
}

interface CacheManifest {
  version: string
  jars: { name: string; size: number }[]
}

export interface DistributionOptions {
  /** Root of kafkaplane's download cache; jars go to `<cacheDir>/kafka-<version>/`. */
  cacheDir: string
  env?: NodeJS.ProcessEnv
  pom?: string
  /**
   * The Kafka version to run (default: the pom's kafka.version, the version kafkaplane pins): a cluster
   * upgraded by `kafkaplane roll --kafka-version` keeps running the version it was rolled to.
   */
  version?: string
  /** Told when a download starts, since it can take a minute. */
  onFetch?: (message: string) => void
}

/**
 * Resolves the Kafka jars local brokers run from. With `KAFKA_HOME` set, an ordinary Kafka distribution
 * is used as it is. Otherwise the jars of `tools/kafka/pom.xml` are fetched from Maven Central (once)
 * into the cache; a cache that lost or truncated a jar is reported, never silently used.
 */
export async function resolveKafkaDistribution(options: DistributionOptions): Promise<KafkaDistribution> {
  const env = options.env ?? process.env
  if (env.KAFKA_HOME) {
    const home = await kafkaHomeDistribution(env.KAFKA_HOME)
    if (options.version !== undefined && options.version !== home.version) {
      throw new KafkaplaneError('KAFKA_HOME_INVALID', `Kafka ${options.version} is wanted, but KAFKA_HOME=${env.KAFKA_HOME} holds Kafka ${home.version}`, {
        fix: `point KAFKA_HOME at a Kafka ${options.version} distribution, or unset it to fetch Kafka ${options.version} from Maven Central`,
      })
    }
    return home
  }
  const pom = options.pom ?? KAFKA_POM
  const version = options.version ?? (await pomKafkaVersion(pom))
  const libDir = join(options.cacheDir, `kafka-${version}`)
  if (!existsSync(join(libDir, 'manifest.json'))) {
    options.onFetch?.(`fetching Kafka ${version} jars from Maven Central into ${libDir} (once)`)
    await fetchKafkaJars({ pom, libDir, version, env })
  }
  await verifyJarCache(libDir)
  return { libDir, classpath: join(libDir, '*'), version, source: 'maven' }
}

async function kafkaHomeDistribution(home: string): Promise<KafkaDistribution> {
  const libDir = join(home, 'libs')
  const jars = await readdir(libDir).catch(() => [] as string[])
  const core = jars.find((j) => /^kafka_2\.13-.+\.jar$/.test(j) && !/-(test|sources|javadoc)\.jar$/.test(j))
  if (!core) {
    throw new KafkaplaneError('KAFKA_HOME_INVALID', `KAFKA_HOME=${home} is not a Kafka distribution: no libs/kafka_2.13-*.jar`, {
      fix: 'point KAFKA_HOME at an unpacked Kafka 4.x distribution (the folder holding bin/ and libs/), or unset it to fetch Kafka from Maven Central',
    })
  }
  return { libDir, classpath: join(libDir, '*'), version: core.slice('kafka_2.13-'.length, -'.jar'.length), source: 'kafka-home' }
}

export async function pomKafkaVersion(pom: string): Promise<string> {
  return pomProperty(pom, 'kafka.version')
}

export async function pomProperty(pom: string, name: string): Promise<string> {
  const text = await readFile(pom, 'utf8')
  const match = new RegExp(`<${name.replace(/\./g, '\\.')}>([^<]+)</${name.replace(/\./g, '\\.')}>`).exec(text)
  if (!match) throw new Error(`${pom} has no <${name}> property`)
  return match[1]!.trim()
}

/**
 * Every jar the manifest lists is present, has its recorded size and ends with a zip directory. Cheap
 * enough to run before every start (no hashing), and catches the usual damage: a deleted or half-written
 * jar, or a download interrupted before the manifest was written.
 */
export async function verifyJarCache(libDir: string): Promise<void> {
  const broken = (what: string) =>
    new KafkaplaneError('KAFKA_JARS_BROKEN', `the Kafka jar cache ${libDir} is broken: ${what}`, {
      fix: `run \`kafkaplane fetch --force\` to fetch the jars again (or delete ${libDir})`,
    })
  let manifest: CacheManifest
  try {
    manifest = JSON.parse(await readFile(join(libDir, 'manifest.json'), 'utf8')) as CacheManifest
  } catch {
    throw broken('manifest.json is missing or unreadable')
  }
  if (!Array.isArray(manifest.jars) || manifest.jars.length === 0) throw broken('manifest.json lists no jars')
  for (const jar of manifest.jars) {
    const path = join(libDir, jar.name)
    const info = await stat(path).catch(() => undefined)
    if (!info) throw broken(`${jar.name} is missing`)
    if (info.size !== jar.size) throw broken(`${jar.name} has ${info.size} bytes, expected ${jar.size}`)
    if (!(await endsWithZipDirectory(path, info.size))) throw broken(`${jar.name} is not a valid jar`)
  }
}

async function endsWithZipDirectory(path: string, size: number): Promise<boolean> {
  // The end-of-central-directory record (PK\x05\x06) sits in the last 22 bytes plus the zip comment.
  const length = Math.min(size, 22 + 1024)
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    return buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) >= 0
  } finally {
    await handle.close()
  }
}

/**
 * Fetches the pom's runtime dependencies with Maven into `libDir`, atomically (a temp folder renamed
 * into place after the manifest is written). `KAFKAPLANE_MAVEN_REPOSITORY` points Maven at a mirror
 * (a company proxy of Maven Central).
 */
export async function fetchKafkaJars(options: { pom: string; libDir: string; version: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  const env = options.env ?? process.env
  const staging = `${options.libDir}.partial-${process.pid}`
  await rm(staging, { recursive: true, force: true })
  await mkdir(staging, { recursive: true })
  const plugin = `org.apache.maven.plugins:maven-dependency-plugin:${await pomProperty(options.pom, 'dependency-plugin.version')}:copy-dependencies`
  const args = ['-B', '-q', '-f', options.pom, plugin, '-DincludeScope=runtime', `-DoutputDirectory=${staging}`, `-Dkafka.version=${options.version}`]
  const mirror = env.KAFKAPLANE_MAVEN_REPOSITORY
  if (mirror) {
    const settings = join(staging, 'maven-settings.xml')
    await writeFile(settings, mavenMirrorSettings(mirror))
    args.unshift('-s', settings)
  }
  try {
    const { code, output } = await runMaven(args, env)
    if (code !== 0) {
      // Maven says it first as "Could not find artifact ...", then, from its cache, "... was not found in ...".
      if (/Could not find artifact org\.apache\.kafka:kafka_2\.13:jar:|org\.apache\.kafka:kafka_2\.13:jar:\S+ was not found in/.test(output)) {
        throw new KafkaplaneError('BAD_ARGUMENT', `Kafka ${options.version} is not on ${mirror ?? 'Maven Central'} (no org.apache.kafka:kafka_2.13:${options.version})`, {
          fix: 'name a released Kafka version (https://repo.maven.apache.org/maven2/org/apache/kafka/kafka_2.13/ lists them), e.g. 4.4.0',
        })
      }
      const unreachable = /Could not transfer|Connection refused|UnknownHost|Unknown host|Network is unreachable|timed out|Could not resolve/i.test(output)
      const repository = mirror ?? 'Maven Central (https://repo.maven.apache.org/maven2)'
      throw new KafkaplaneError(
        'MAVEN_FAILED',
        unreachable
          ? `Maven could not reach ${repository} to fetch Kafka ${options.version}`
          : `Maven failed to fetch Kafka ${options.version} (exit code ${code})`,
        {
          fix: unreachable
            ? 'check the network or your Maven proxy settings (~/.m2/settings.xml, KAFKAPLANE_MAVEN_REPOSITORY), or set KAFKA_HOME to an unpacked Kafka distribution'
            : 'read Maven\'s output above, or set KAFKA_HOME to an unpacked Kafka distribution',
          detail: tail(output, 15),
        },
      )
    }
    const names = (await readdir(staging)).filter((n) => n.endsWith('.jar')).sort()
    const jars = await Promise.all(names.map(async (name) => ({ name, size: (await stat(join(staging, name))).size })))
    if (!jars.some((j) => j.name.startsWith('kafka_2.13-'))) {
      throw new KafkaplaneError('MAVEN_FAILED', `Maven ran but ${options.pom} yielded no kafka_2.13 jar`, {
        fix: 'check tools/kafka/pom.xml names org.apache.kafka:kafka_2.13',
      })
    }
    await writeFile(join(staging, 'manifest.json'), JSON.stringify({ version: options.version, jars } satisfies CacheManifest, null, 1))
    await rm(join(staging, 'maven-settings.xml'), { force: true })
    await rm(options.libDir, { recursive: true, force: true })
    await rename(staging, options.libDir)
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

function runMaven(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new KafkaplaneError('MAVEN_MISSING', 'Maven (`mvn`) is needed to fetch the Kafka jars and is not on PATH', {
            fix: 'install Maven (Debian: apt-get install maven), or set KAFKA_HOME to an unpacked Kafka distribution',
          }),
        )
      } else reject(err)
    })
    child.on('close', (code) => resolve({ code: code ?? 1, output }))
  })
}

function mavenMirrorSettings(url: string): string {
  const escaped = url.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  return `<settings><mirrors><mirror><id>kafkaplane-mirror</id><mirrorOf>*</mirrorOf><url>${escaped}</url></mirror></mirrors></settings>\n`
}

function tail(text: string, lines: number): string {
  // Maven colours its output even in batch mode on some versions.
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').trimEnd().split('\n').slice(-lines).join('\n')
}
