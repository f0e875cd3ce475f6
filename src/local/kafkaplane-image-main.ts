// scripts/kafkaplane-image: `build` makes the kafkaplane image of deploy/image.yaml without a container
// engine (prints its reference, tar file, size and build time); `dockerfile` prints the Dockerfile
// generated from the same manifest (deploy/Dockerfile must equal it).
import { isKafkaplaneError } from '../core/errors.ts'
import { buildKafkaplaneImage, dependencyPluginVersion, readImageManifest, renderDockerfile } from './kafkaplane-image.ts'

const verb = process.argv[2]
try {
  if (verb === 'dockerfile') {
    const manifest = await readImageManifest()
    process.stdout.write(renderDockerfile(manifest, await dependencyPluginVersion(manifest)))
  } else if (verb === 'build') {
    const image = await buildKafkaplaneImage({ onProgress: (line) => process.stderr.write(`kafkaplane-image: ${line}\n`) })
    console.log(`image build: ${image.tookMs} ms (${image.cached ? 'cached' : 'built'}; inputs ${JSON.stringify(image.inputsMs)})`)
    console.log(`image: ${image.reference}, ${(image.bytes / 1024 / 1024).toFixed(1)} MiB, ${image.tarFile}`)
  } else {
    console.error('usage: scripts/kafkaplane-image build|dockerfile')
    process.exitCode = 2
  }
} catch (err) {
  if (!isKafkaplaneError(err)) throw err
  console.error(`error: ${err.message}\nfix: ${err.fix}${err.detail ? `\n${err.detail}` : ''}`)
  process.exitCode = err.exitCode
}
