import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, realpath, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { KafkaplaneError } from '../core/errors.ts'
import { pomProperty, resolveKafkaDistribution } from './kafka-distribution.ts'
import { buildImage, type BuiltImage, type ImageEntry } from './oci-image.ts'
import { cacheDir } from './paths.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** What goes into the kafkaplane image: the one source both builds follow. */
export const IMAGE_MANIFEST = join(ROOT, 'deploy', 'image.yaml')
export const DOCKERFILE = join(ROOT, 'deploy', 'Dockerfile')

/** deploy/image.yaml, read and checked. */
export interface ImageManifest {
  /** Repository name, e.g. `docker.io/local/kafkaplane` (the tag: `<package.json version>-kafka-<Kafka version>`). */
  name: string
  debian: { suite: string; packages: string[] }
  /** Node.js version (exact). */
  node: string
  /** Relative to the repository: the pom whose runtime dependencies are Kafka's jars. */
  kafkaPom: string
  kafkaHome: string
  kafkaplaneHome: string
  /** Relative to the repository: what is copied into kafkaplaneHome. */
  kafkaplaneFiles: string[]
  /** Relative to the repository: a tree copied as it is onto the image's root. */
  rootfs: string
  env: Record<string, string>
  /** Absolute paths of commands run in the image at build time, in order (after every file is in place). */
  run: string[]
  user: string
}

export async function readImageManifest(path: string = IMAGE_MANIFEST): Promise<ImageManifest> {
  const doc = parse(await readFile(path, 'utf8')) as Record<string, unknown>
  const bad = (field: string, want: string): never => {
    throw new KafkaplaneError('BAD_ARGUMENT', `${path}: ${field} must be ${want} (got ${JSON.stringify(doc[field.split('.')[0] ?? ''])})`, {
      fix: `edit ${path}`,
    })
  }
  const text = (field: string, value: unknown, pattern = /^\S+$/): string => (typeof value === 'string' && pattern.test(value) ? value : bad(field, `a string matching ${pattern}`))
  const texts = (field: string, value: unknown): string[] =>
    Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && /^[A-Za-z0-9._+/-]+$/.test(v)) ? (value as string[]) : bad(field, 'a list of names')
  const debian = (doc.debian ?? {}) as Record<string, unknown>
  const env = doc.env
  if (typeof env !== 'object' || env === null || !Object.values(env).every((v) => typeof v === 'string')) bad('env', 'a map of strings')
  return {
    name: text('name', doc.name, /^[a-z0-9.-]+(\/[a-z0-9._-]+)+$/),
    debian: { suite: text('debian.suite', debian.suite, /^[a-z]+$/), packages: texts('debian.packages', debian.packages) },
    node: text('node', doc.node, /^\d+\.\d+\.\d+$/),
    kafkaPom: text('kafkaPom', doc.kafkaPom),
    kafkaHome: text('kafkaHome', doc.kafkaHome, /^\/\S+$/),
    kafkaplaneHome: text('kafkaplaneHome', doc.kafkaplaneHome, /^\/\S+$/),
    kafkaplaneFiles: texts('kafkaplaneFiles', doc.kafkaplaneFiles),
    rootfs: text('rootfs', doc.rootfs),
    env: env as Record<string, string>,
    run: doc.run === undefined ? [] : texts('run', doc.run).map((command) => text('run', command, /^\/\S+$/)),
    user: text('user', doc.user, /^\d+:\d+$/),
  }
}

/**
 * The Dockerfile of the image, generated from the manifest: a Maven stage fetches Kafka's jars with the
 * same pom and plugin as local clusters, a Node stage installs the production npm packages, and the
 * image is Debian slim with the manifest's packages plus both stages' results, the sources and rootfs.
 */
export function renderDockerfile(m: ImageManifest, { dependencyPluginVersion, kafkaVersion }: { dependencyPluginVersion: string; kafkaVersion: string }): string {
  const k = m.kafkaplaneHome
  return `# GENERATED from deploy/image.yaml by \`scripts/kafkaplane-image dockerfile > deploy/Dockerfile\`: edit that
# file, not this one (src/local/kafkaplane-image.test.ts fails when they differ). The same image is built
# without a container engine by \`scripts/kafkaplane-image build\` (mmdebstrap + umoci), for the test bed.
# Build from the repository root, for the Kafka version kafkaplane pins or another (4.0 or later):
#   docker build -f deploy/Dockerfile -t registry.example.com/kafkaplane:<version>-kafka-${kafkaVersion} .
#   docker build -f deploy/Dockerfile --build-arg KAFKA_VERSION=4.4.0 -t registry.example.com/kafkaplane:<version>-kafka-4.4.0 .
FROM maven:3-eclipse-temurin-17 AS kafka
ARG KAFKA_VERSION=${kafkaVersion}
COPY ${m.kafkaPom} /build/pom.xml
RUN mvn -B -q -f /build/pom.xml org.apache.maven.plugins:maven-dependency-plugin:${dependencyPluginVersion}:copy-dependencies \\
      -DincludeScope=runtime -DoutputDirectory=${m.kafkaHome}/libs -Dkafka.version=\${KAFKA_VERSION}

FROM node:${m.node}-${m.debian.suite}-slim AS node
WORKDIR ${k}
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM debian:${m.debian.suite}-slim
RUN mkdir -p /usr/share/man/man1 && apt-get update \\
 && apt-get install -y --no-install-recommends ${m.debian.packages.join(' ')} \\
 && rm -rf /var/lib/apt/lists/*
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=kafka ${m.kafkaHome}/libs ${m.kafkaHome}/libs
COPY --from=node ${k}/node_modules ${k}/node_modules
${m.kafkaplaneFiles.map((f) => `COPY ${f} ${k}/${f}`).join('\n')}
COPY ${m.rootfs}/ /
${Object.entries(m.env)
  .map(([name, value]) => `ENV ${name}=${value}`)
  .join('\n')}
${m.run.map((command) => `RUN ${command}\n`).join('')}WORKDIR ${k}
USER ${m.user}
`
}

export interface KafkaplaneImage extends BuiltImage {
  /** (tookMs is the whole build: inputs and umoci.) How long each input took (the Debian root filesystem, Node, Kafka's jars, npm packages): ms. */
  inputsMs: { debianMs: number; nodeMs: number; kafkaMs: number; npmMs: number }
}

/**
 * Builds the image of deploy/image.yaml without a container engine:
 * 1. the Debian root filesystem: `mmdebstrap --variant=minbase --include=<packages>` from this machine's
 *    apt sources, as a tar cached under $KAFKAPLANE_CACHE/images by suite and packages;
 * 2. Node.js: the npm registry's `node@<version>` (the dir scripts/bootstrap.sh uses);
 * 3. Kafka's jars: the local runtime's Maven cache (resolveKafkaDistribution);
 * 4. the production npm packages: `npm ci --omit=dev --ignore-scripts`, cached by the lock file;
 * 5. buildImage (umoci) with those, the sources and the rootfs tree, then the manifest's `run` commands
 *    in it; cached by the content of all inputs.
 */
export async function buildKafkaplaneImage(options: { cache?: string; manifest?: ImageManifest; kafkaVersion?: string; onProgress?: (line: string) => void } = {}): Promise<KafkaplaneImage> {
  const started = performance.now()
  const m = options.manifest ?? (await readImageManifest())
  const cache = options.cache ?? cacheDir()
  const say = options.onProgress ?? (() => {})
  const images = join(cache, 'images')
  await mkdir(images, { recursive: true })

  let mark = performance.now()
  const debianTar = await debianRootfs(m, images, say)
  const debianMs = Math.round(performance.now() - mark)
  mark = performance.now()
  const node = await nodeBinary(m.node, cache, say)
  const nodeMs = Math.round(performance.now() - mark)
  mark = performance.now()
  const kafka = await resolveKafkaDistribution({
    cacheDir: cache,
    env: { ...process.env, KAFKA_HOME: '' },
    pom: join(ROOT, m.kafkaPom),
    ...(options.kafkaVersion === undefined ? {} : { version: options.kafkaVersion }),
    onFetch: say,
  })
  const jars = (await readdir(kafka.libDir)).filter((name) => name.endsWith('.jar')).sort()
  const kafkaMs = Math.round(performance.now() - mark)
  mark = performance.now()
  const npmDir = await productionPackages(images, say)
  const npmMs = Math.round(performance.now() - mark)

  const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
  const k = m.kafkaplaneHome.slice(1)
  const entries: ImageEntry[] = [
    { kind: 'tar', from: debianTar },
    { kind: 'copy', from: node, to: 'usr/local/bin/node' },
    ...jars.map((jar): ImageEntry => ({ kind: 'copy', from: join(kafka.libDir, jar), to: `${m.kafkaHome.slice(1)}/libs/${jar}` })),
    { kind: 'copy', from: join(npmDir, 'node_modules'), to: `${k}/node_modules` },
    ...m.kafkaplaneFiles.map((f): ImageEntry => ({ kind: 'copy', from: join(ROOT, f), to: `${k}/${f}` })),
    { kind: 'copy', from: join(ROOT, m.rootfs), to: '.' },
    ...m.run.map((command): ImageEntry => ({ kind: 'run', command: [command], env: m.env })),
  ]
  const tag = `${version}-kafka-${kafka.version}`
  say(`building ${m.name}:${tag} with umoci (cached by the content of its inputs)`)
  const built = await buildImage({ name: m.name, tag, entries, entrypoint: [], env: m.env, user: m.user, workdir: m.kafkaplaneHome }, { cache })
  return { ...built, tookMs: Math.round(performance.now() - started), inputsMs: { debianMs, nodeMs, kafkaMs, npmMs } }
}

async function debianRootfs(m: ImageManifest, images: string, say: (line: string) => void): Promise<string> {
  const key = `${m.debian.suite}-${m.debian.packages.join('+').replace(/[^A-Za-z0-9.+-]/g, '_')}`
  const tar = join(images, `debian-${key}.tar`)
  if (existsSync(tar)) return tar
  const sources = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'].find((path) => existsSync(path))
  if (!sources) {
    throw new KafkaplaneError('IMAGE_BUILD_FAILED', 'no apt sources on this machine (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list) for the image\'s Debian packages', {
      fix: 'build on a Debian machine, or build deploy/Dockerfile with a container engine',
    })
  }
  say(`making the Debian ${m.debian.suite} root filesystem with ${m.debian.packages.join(', ')} (mmdebstrap, once; a few minutes)`)
  const tmp = `${tar}.tmp.${process.pid}.tar`
  try {
    await runTool('mmdebstrap', [
      '--mode=root', '--variant=minbase', `--include=${m.debian.packages.join(',')}`,
      // update-alternatives (the JRE's postinst) needs man1 even when man pages are left out
      '--essential-hook=mkdir -p "$1/usr/share/man/man1"',
      '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-include=/usr/share/man/man1',
      '--dpkgopt=path-exclude=/usr/share/locale/*', '--aptopt=Acquire::Languages "none"',
      m.debian.suite, tmp, sources,
    ], 'scripts/install-bed-packages.sh installs mmdebstrap')
    await rename(tmp, tar)
  } finally {
    await rm(tmp, { force: true })
  }
  return tar
}

async function nodeBinary(version: string, cache: string, say: (line: string) => void): Promise<string> {
  const dir = join(cache, `node-${version}`)
  const bin = join(dir, 'node_modules', 'node', 'bin', 'node')
  if (!existsSync(bin)) {
    say(`installing Node.js ${version} from the npm registry into ${dir} (once)`)
    await rm(`${dir}.tmp`, { recursive: true, force: true })
    await runTool('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', `${dir}.tmp`, `node@${version}`], 'install npm')
    await rm(dir, { recursive: true, force: true })
    await rename(`${dir}.tmp`, dir)
  }
  return realpath(bin)
}

/** package.json, package-lock.json and the production node_modules, in a dir cached by both files. */
async function productionPackages(images: string, say: (line: string) => void): Promise<string> {
  const { createHash } = await import('node:crypto')
  const hash = createHash('sha256')
  for (const f of ['package.json', 'package-lock.json']) hash.update(await readFile(join(ROOT, f)))
  const dir = join(images, `npm-${hash.digest('hex').slice(0, 16)}`)
  if (existsSync(join(dir, 'node_modules'))) return dir
  say('installing the production npm packages (npm ci --omit=dev, once per lock file)')
  const tmp = `${dir}.tmp.${process.pid}`
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true })
  try {
    for (const f of ['package.json', 'package-lock.json']) await copyFile(join(ROOT, f), join(tmp, f))
    await runTool('npm', ['ci', '--omit=dev', '--ignore-scripts', '--silent', '--no-audit', '--no-fund'], 'install npm', tmp)
    await rename(tmp, dir)
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  return dir
}

function runTool(command: string, args: string[], missingFix: string, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
    let tail = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (tail = (tail + chunk).slice(-4000)))
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(new KafkaplaneError('IMAGE_BUILD_FAILED', `could not run ${command}: ${err.message}`, { fix: err.code === 'ENOENT' ? missingFix : `check ${command}` })),
    )
    child.once('close', (code) => {
      if (code === 0) return resolve()
      reject(new KafkaplaneError('IMAGE_BUILD_FAILED', `${command} ${args[0]} failed (exit code ${code})`, { fix: `read ${command}'s last words below`, detail: tail.trim().split('\n').slice(-15).join('\n') }))
    })
  })
}

/** What the Dockerfile takes from the pom: its dependency plugin version, and the Kafka version it pins (the build arg's default). */
export async function dockerfilePomInputs(m: ImageManifest): Promise<{ dependencyPluginVersion: string; kafkaVersion: string }> {
  const pom = join(ROOT, m.kafkaPom)
  return { dependencyPluginVersion: await pomProperty(pom, 'dependency-plugin.version'), kafkaVersion: await pomProperty(pom, 'kafka.version') }
}
