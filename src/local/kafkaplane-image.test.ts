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
    assert.equal(lines.at(-2), `USER ${manifest.user}`, 'the image ends as the broker uid')
  })

  it('refuses a manifest with a bad field, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kafkaplane-image-'))
    try {
      const text = (await readFile(IMAGE_MANIFEST, 'utf8')).replace(/^node: .*$/m, 'node: latest')
      await writeFile(join(dir, 'image.yaml'), text)
      await assert.rejects(readImageManifest(join(dir, 'image.yaml')), (err) => isKafkaplaneError(err, 'BAD_ARGUMENT') && /node must be/.test(err.message) && /latest/.test(err.message))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
