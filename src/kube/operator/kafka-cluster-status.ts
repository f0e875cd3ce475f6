import type { KafkaClusterModel } from '../model/kafka-cluster-model.ts'
import { isActive, type ScaleStatus } from '../model/scale.ts'
import type { Standing } from './conditions.ts'

/** One StatefulSet as read back from its Kubernetes cluster (undefined counts: not there yet). */
export interface StatefulSetReadiness {
  cluster: string
  name: string
  /** Brokers', or dedicated controllers'. */
  role: 'broker' | 'controller'
  replicas: number
  readyReplicas: number | undefined
}

/**
 * The KafkaCluster's standing from its StatefulSets (brokers' and dedicated controllers'): ready when
 * every one has all its pods ready, else reconciling with the StatefulSets that lag named
 * (`StatefulSet kafka-k8s-2 has 1 of 3 ready pods`).
 */
export function brokersStanding(sets: readonly StatefulSetReadiness[]): Standing {
  const lagging = sets.filter((s) => (s.readyReplicas ?? 0) < s.replicas)
  const total = (role: StatefulSetReadiness['role']) => sets.filter((s) => s.role === role).reduce((n, s) => n + s.replicas, 0)
  const controllers = total('controller')
  if (lagging.length === 0) return { state: 'ready', reason: 'BrokersReady', message: `all ${total('broker')} brokers ${controllers > 0 ? `and ${controllers} dedicated controllers ` : ''}are ready` }
  const message = lagging.map((s) => `StatefulSet ${s.name} (Kubernetes cluster ${s.cluster}) has ${s.readyReplicas ?? 0} of ${s.replicas} ready pods`).join('; ')
  return { state: 'reconciling', reason: 'BrokersNotReady', message }
}

/** Each Kubernetes cluster's PodDisruptionBudget as the operator set it, and why it allows no more (core/roll/disruption-budget.ts). */
export interface DisruptionBudgetStatus {
  maxUnavailable: ReadonlyMap<string, number>
  held: ReadonlyMap<string, string>
  /** The dedicated controllers' budgets, where there are some. */
  controllers?: ReadonlyMap<string, number>
}

/** The status fields of a KafkaCluster besides its conditions. */
export function clusterStatusFields(model: KafkaClusterModel, sets: readonly StatefulSetReadiness[], budgets?: DisruptionBudgetStatus): Record<string, unknown> {
  const ready = (cluster: string, role: StatefulSetReadiness['role'] = 'broker') => sets.filter((s) => s.cluster === cluster && s.role === role).reduce((n, s) => n + (s.readyReplicas ?? 0), 0)
  const disruptions = (cluster: string) => {
    const maxUnavailable = budgets?.maxUnavailable.get(cluster)
    if (maxUnavailable === undefined) return {}
    const limit = budgets?.held.get(cluster)
    const controllers = budgets?.controllers?.get(cluster)
    return { maxUnavailable, ...(limit === undefined ? {} : { disruptionLimit: limit }), ...(controllers === undefined ? {} : { controllerMaxUnavailable: controllers }) }
  }
  return {
    brokers: model.brokers.length,
    readyBrokers: model.clusters.reduce((n, c) => n + ready(c.name), 0),
    clusterId: model.clusterId,
    controllers: [...model.controllers],
    ...(model.dedicatedControllers.length > 0 ? { readyControllers: model.clusters.reduce((n, c) => n + ready(c.name, 'controller'), 0) } : {}),
    clusters: model.clusters.map((c) => ({
      name: c.name,
      brokers: c.brokers.length,
      readyBrokers: ready(c.name),
      ...(c.controllerSet ? { controllers: c.controllerSet.controllers.length, readyControllers: ready(c.name, 'controller') } : {}),
      ...disruptions(c.name),
    })),
    placement: {
      replicationFactor: model.placement.replicationFactor,
      minInsyncReplicas: model.placement.minInsyncReplicas,
      survivesAnyDomainLoss: model.placement.advice?.survivesAnyDomainLoss ?? false,
    },
  }
}

/**
 * The standing with the scale said: refused is Degraded (the message names why and the fix); under
 * way or waiting, Reconciling once the brokers are ready (before, their standing says more).
 */
export function scaleStanding(scale: ScaleStatus | undefined, brokers: Standing): Standing {
  if (scale?.phase === 'refused') return { state: 'degraded', reason: 'ScaleRefused', message: scale.message }
  if (brokers.state !== 'ready' || scale === undefined) return brokers
  if (scale.phase === 'waiting') return { state: 'reconciling', reason: 'ScaleWaiting', message: scale.message }
  if (isActive(scale)) return { state: 'reconciling', reason: 'Scaling', message: `${scale.message}${scale.problem ? ` (${scale.problem})` : ''}; rolling restarts wait for it` }
  return brokers
}
