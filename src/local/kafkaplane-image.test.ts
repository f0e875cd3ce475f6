import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { isKafkaplaneError } from '../core/errors.ts'
import { dockerfilePomInputs, DOCKERFILE, IMAGE_MANIFEST, readImageManifest, renderDockerfile } from './kafkaplane-image.ts'

describe('the kafkaplane image recipe (deploy/image.yaml)', () => {
  it('is what deploy/Dockerfile says: the Dockerfile is generated from it and has not drifted', async () => {
    const manifest = await readImageManifest()
    const want = renderDockerfile(manifest, await dockerfilePomInputs(manifest))
    assert.equal(await readFile(DOCKERFILE, 'utf8'), want, 'deploy/Dockerfile differs from deploy/image.yaml: run scripts/kafkaplane-image dockerfile > deploy/Dockerfile')
  })

  it('puts in the manifest\'s Debian packages, Node version, Kafka pom, sources, rootfs and user', async () => {
    const manifest = await readImageManifest()
    const lines = renderDockerfile(manifest, { dependencyPluginVersion: '3.8.1', kafkaVersion: '4.1.1' }).split('\n')
    const has = (line: string) => assert.ok(lines.includes(line), `the Dockerfile has the line: ${line}`)
    has(` && apt-get install -y --no-install-recommends ${manifest.debian.packages.join(' ')} \\`)
    has(`FROM node:${manifest.node}-${manifest.debian.suite}-slim AS node`)
    has(`COPY ${manifest.kafkaPom} /build/pom.xml`)
    has('ARG KAFKA_VERSION=4.1.1')
    has(`      -DincludeScope=runtime -DoutputDirectory=${manifest.kafkaHome}/libs -Dkafka.version=\${KAFKA_VERSION}`)
    for (const f of manifest.kafkaplaneFiles) has(`COPY ${f} ${manifest.kafkaplaneHome}/${f}`)
    has(`COPY ${manifest.rootfs}/ /`)
    for (const [name, value] of Object.entries(manifest.env)) has(`ENV ${name}=${value}`)
    // The build-time commands run after everything is in place and the env is set, as root.
    assert.deepEqual(manifest.run, ['/opt/kafka/bin/kafka-class-data-archive.sh'])
    const runs = manifest.run.map((command) => lines.indexOf(`RUN ${command}`))
    assert.ok(runs.every((at) => at > lines.indexOf(`COPY ${manifest.rootfs}/ /`) && at > lines.findLastIndex((l) => l.startsWith('ENV ')) && at < lines.indexOf(`USER ${manifest.user}`)), lines.join('\n'))
    assert.equal(lines.at(-2), `USER ${manifest.user}`, 'the image ends as the broker uid')
  })

  it('refuses a manifest with a bad field, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kafkaplane-image-'))
    try {
      const text = (await readFile(IMAGE_MANIFEST, 'utf8')).replace(/^node: .*$/m, 'node: latest')
      await writeFile(join(dir, 'image.yaml'), text)
      await assert.rejects(readImageManifest(join(dir, 'image.yaml')), (err) => isKafkaplaneError(err, 'BAD_ARGUMENT') && /node must be/.test(err.message) && /latest/.test(err.message))
      // A build-time command is an absolute path in the image.
      await writeFile(join(dir, 'image.yaml'), (await readFile(IMAGE_MANIFEST, 'utf8')).replace(/^run: .*$/m, 'run: [kafka-class-data-archive.sh]'))
      await assert.rejects(readImageManifest(join(dir, 'image.yaml')), (err) => isKafkaplaneError(err, 'BAD_ARGUMENT') && /run must be/.test(err.message))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
