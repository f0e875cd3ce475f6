import { homedir } from 'node:os'
import { join } from 'node:path'

/** kafkaplane's download cache (Kafka jars, Node 22): $KAFKAPLANE_CACHE, else $XDG_CACHE_HOME/kafkaplane. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KAFKAPLANE_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kafkaplane')
}

/** kafkaplane's state (local clusters, plans, the operator's plans): $XDG_STATE_HOME/kafkaplane. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'kafkaplane')
}

/** Where `kafkaplane up` keeps its cluster when no --data-dir is given (deleted when it stops). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'local-cluster')
}
