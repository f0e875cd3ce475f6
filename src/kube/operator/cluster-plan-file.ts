import { join } from 'node:path'

/**
 * The file keeping the plan of a KafkaCluster's cluster-wide data moves (a scale's, the self-healer's:
 * scale-workers.ts, heal-workers.ts) in the operator's state dir. One file a KafkaCluster, so that an
 * unfinished plan of one operation holds the cluster against any other (src/operations/plan-runner.ts,
 * `other-plan`), as the CLI's one file a cluster does; each KafkaTopic's plan has its own file.
 */
export function clusterPlanFile(stateDir: string, namespace: string, name: string): string {
  return join(stateDir, 'clusters', `${namespace}.${name}.json`)
}
