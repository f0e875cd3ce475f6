// scripts/kafkaplane-image: `build [--kafka-version V]` makes the kafkaplane image of deploy/image.yaml
// without a container engine, with the Kafka the pom pins or V (prints its reference, tar file, size and
// build time); `dockerfile` prints the Dockerfile generated from the same manifest (deploy/Dockerfile
// must equal it).
import { isKafkaplaneError, KafkaplaneError } from '../core/errors.ts'
import { isKafkaVersion } from '../core/upgrade/version-change.ts'
import { buildKafkaplaneImage, dockerfilePomInputs, readImageManifest, renderDockerfile } from './kafkaplane-image.ts'

const verb = process.argv[2]
try {
  if (verb === 'dockerfile') {
    const manifest = await readImageManifest()
    process.stdout.write(renderDockerfile(manifest, await dockerfilePomInputs(manifest)))
  } else if (verb === 'build' && (process.argv.length === 3 || (process.argv[3] === '--kafka-version' && process.argv.length === 5))) {
    const kafkaVersion = process.argv[4]
    if (kafkaVersion !== undefined && !isKafkaVersion(kafkaVersion)) throw new KafkaplaneError('BAD_ARGUMENT', `--kafka-version ${kafkaVersion} is not a Kafka version`, { fix: 'name a released Kafka version, e.g. --kafka-version 4.4.0' })
    const image = await buildKafkaplaneImage({ ...(kafkaVersion === undefined ? {} : { kafkaVersion }), onProgress: (line) => process.stderr.write(`kafkaplane-image: ${line}\n`) })
    console.log(`image build: ${image.tookMs} ms (${image.cached ? 'cached' : 'built'}; inputs ${JSON.stringify(image.inputsMs)})`)
    console.log(`image: ${image.reference}, ${(image.bytes / 1024 / 1024).toFixed(1)} MiB, ${image.tarFile}`)
  } else {
    console.error('usage: scripts/kafkaplane-image build [--kafka-version V] | dockerfile')
    process.exitCode = 2
  }
} catch (err) {
  if (!isKafkaplaneError(err)) throw err
  console.error(`error: ${err.message}\nfix: ${err.fix}${err.detail ? `\n${err.detail}` : ''}`)
  process.exitCode = err.exitCode
}
