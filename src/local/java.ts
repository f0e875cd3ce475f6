import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { KafkaplaneError } from '../core/errors.ts'

const run = promisify(execFile)

export const MIN_JAVA_MAJOR = 17

export interface Java {
  /** Absolute or PATH-relative command that starts the JVM. */
  command: string
  major: number
  version: string
}

/** Parses the first line of `java -version`: `openjdk version "17.0.15" ...` or `java version "1.8.0_401"`. */
export function parseJavaVersion(output: string): { version: string; major: number } | undefined {
  const match = /version "([^"]+)"/.exec(output)
  if (!match) return undefined
  const version = match[1]!
  const parts = version.split(/[._-]/).map((p) => Number.parseInt(p, 10))
  const major = parts[0] === 1 ? parts[1] : parts[0]
  return major === undefined || Number.isNaN(major) ? undefined : { version, major }
}

/**
 * Finds the JVM that runs the brokers: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on PATH.
 * Fails with a fix when it is missing or older than Java 17 (Kafka 4 needs 17 for brokers).
 */
export async function findJava(env: NodeJS.ProcessEnv = process.env): Promise<Java> {
  const command = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java'
  let output: string
  try {
    const { stdout, stderr } = await run(command, ['-version'], { env, timeout: 30_000 })
    output = stderr + stdout
  } catch (err) {
    const where = env.JAVA_HOME ? `JAVA_HOME=${env.JAVA_HOME} (no runnable ${command})` : 'no `java` on PATH'
    throw new KafkaplaneError('JAVA_MISSING', `Java ${MIN_JAVA_MAJOR}+ is needed to run Kafka brokers: ${where}`, {
      fix: env.JAVA_HOME
        ? `point JAVA_HOME at a JDK ${MIN_JAVA_MAJOR} or newer, or unset it to use the java on PATH`
        : `install a JDK ${MIN_JAVA_MAJOR} or newer (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME`,
      cause: err,
    })
  }
  const parsed = parseJavaVersion(output)
  if (!parsed) {
    throw new KafkaplaneError('JAVA_MISSING', `could not read the version of ${command}: ${output.split('\n')[0]}`, {
      fix: `set JAVA_HOME to a JDK ${MIN_JAVA_MAJOR} or newer`,
    })
  }
  if (parsed.major < MIN_JAVA_MAJOR) {
    throw new KafkaplaneError('JAVA_TOO_OLD', `${command} is Java ${parsed.version}; Kafka 4 brokers need Java ${MIN_JAVA_MAJOR}+`, {
      fix: `install a JDK ${MIN_JAVA_MAJOR} or newer and point JAVA_HOME at it`,
    })
  }
  return { command, ...parsed }
}
