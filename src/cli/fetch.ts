import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { classDataArchive } from '../local/class-data-archive.ts'
import { findJava } from '../local/java.ts'
import { KAFKA_POM, pomKafkaVersion, resolveKafkaDistribution } from '../local/kafka-distribution.ts'
import { cacheDir } from '../local/paths.ts'
import { type Command, helpOrNoArguments, parseOptions } from './command.ts'

export const fetch: Command = {
  name: 'fetch',
  help: `Usage: kafkaplane fetch [--force]

Makes sure local clusters can start: checks Java 17+, then fetches Kafka's jars from Maven Central
(tools/kafka/pom.xml) into the cache, once, and checks every cached jar (or checks KAFKA_HOME/libs
when KAFKA_HOME is set), and makes the class data sharing archive of a broker's classes that local
brokers start from (once, a throwaway broker started and stopped: about 10 s). Prints the classpath
folder and the archive.
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
    const archive = await classDataArchive({ cacheDir: cache, java, distribution, env: io.env, onMaking: (m) => io.stderr.write(`${m}\n`), onWarning: (m) => io.stderr.write(`kafkaplane fetch: warning: ${m}\n`) })
    io.stdout.write(`java ${java.version} (${java.command})\nkafka ${distribution.version} (${distribution.source}): ${distribution.libDir}\nclass data archive: ${archive ?? 'none (see the warning)'}\n`)
    return 0
  },
}
