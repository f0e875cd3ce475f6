import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { findJava } from '../local/java.ts'
import { KAFKA_POM, pomKafkaVersion, resolveKafkaDistribution } from '../local/kafka-distribution.ts'
import { cacheDir } from '../local/paths.ts'
import { type Command, helpOrNoArguments, parseOptions } from './command.ts'

export const fetch: Command = {
  name: 'fetch',
  help: `Usage: kafkaplane fetch [--force]

Makes sure local clusters can start: checks Java 17+, then fetches Kafka's jars from Maven Central
(tools/kafka/pom.xml) into the cache, once, and checks every cached jar (or checks KAFKA_HOME/libs
when KAFKA_HOME is set). Prints the classpath folder.
  --force   delete the cached jars and fetch them again (repairs a broken cache)
Exit codes: 0 ready, 1 something is missing (the message says what to do).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('fetch', argv, { force: { type: 'boolean' } })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const java = await findJava(io.env)
    const cache = cacheDir(io.env)
    if (values.force && !io.env.KAFKA_HOME) await rm(join(cache, `kafka-${await pomKafkaVersion(KAFKA_POM)}`), { recursive: true, force: true })
    const distribution = await resolveKafkaDistribution({ cacheDir: cache, env: io.env, onFetch: (m) => io.stderr.write(`${m}\n`) })
    io.stdout.write(`java ${java.version} (${java.command})\nkafka ${distribution.version} (${distribution.source}): ${distribution.libDir}\n`)
    return 0
  },
}
