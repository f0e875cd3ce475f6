import { unwritableTopic } from '../../core/health/writability.ts'
import { advise, recommend } from '../../core/placement/survivability.ts'
import { KAFKA_TOPIC, resourceSchema } from '../crds/crd.ts'
import { DELETE_DATA_ANNOTATION, deletesTopicData, type KafkaTopicSpec } from '../crds/kafka-topic.ts'
import { compileSpecValidator, type FieldProblem } from '../crds/validate.ts'
import type { KafkaClusterModel, ModelResult } from './kafka-cluster-model.ts'

export interface KafkaTopicResource {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> }
  spec: unknown
}

export interface KafkaTopicModel {
  topicName: string
  spec: KafkaTopicSpec
  partitions: number
  replicationFactor: number
  minInsyncReplicas: number
  /** Configs to set on the topic, min.insync.replicas included. */
  configs: Readonly<Record<string, string>>
  /** Deleting the resource deletes the topic and its data (the annotation says "true"). */
  deleteData: boolean
}

const validateResource = compileSpecValidator<{ spec: KafkaTopicSpec }>(resourceSchema(KAFKA_TOPIC), '')

/**
 * The validated model of a KafkaTopic in its cluster: RF and min.insync.replicas default to the
 * cluster's placement policy; with `placement.requireDomainLossSurvival` (the default) a pair that even
 * the best placement cannot keep writable after losing any one zone or Kubernetes cluster is refused.
 */
export function kafkaTopicModel(resource: KafkaTopicResource, cluster: KafkaClusterModel): ModelResult<KafkaTopicModel> {
  const checked = validateResource(resource)
  if (!checked.ok) return { ok: false, errors: checked.problems, warnings: [] }
  const spec = checked.value.spec
  const errors: FieldProblem[] = []
  const warnings: FieldProblem[] = []
  const rf = spec.replicationFactor ?? cluster.placement.replicationFactor
  const minInsync = spec.minInsyncReplicas ?? Math.min(cluster.placement.minInsyncReplicas, rf)
  const brokers = cluster.brokers.length
  if (spec.cluster !== cluster.name) {
    errors.push({ path: 'spec.cluster', value: spec.cluster, message: `spec.cluster names ${spec.cluster}, not ${cluster.name}`, fix: `set spec.cluster: ${cluster.name}` })
  }
  if (rf > brokers) {
    errors.push({ path: 'spec.replicationFactor', value: rf, message: `replication factor ${rf} is above the ${brokers} brokers of ${cluster.name}`, fix: `use ${brokers} or fewer` })
  } else if (unwritableTopic(spec.topicName ?? resource.metadata.name, rf, minInsync)) {
    // The writability rule (core/health/writability.ts); the CRD's CEL rule catches it at admission
    // when both fields are in the spec, this when the replication factor is the cluster's default.
    const problem = unwritableTopic(spec.topicName ?? resource.metadata.name, rf, minInsync)!
    const field = spec.replicationFactor === undefined ? `spec.replicationFactor (default ${rf}, the cluster's spec.placement)` : 'spec.replicationFactor'
    errors.push({ path: 'spec.minInsyncReplicas', value: minInsync, message: problem.message, fix: `raise ${field} to ${minInsync} or more, or lower spec.minInsyncReplicas to ${rf} or less` })
  } else {
    const advice = advise(cluster.topology.dimensions, cluster.topology.brokers.map((b) => ({ ...b, capacity: 1, state: 'active' as const })), Math.max(rf, 6))
    const pair = advice.find((a) => a.replicationFactor === rf && a.minInsync === minInsync)!
    if (!pair.survivesAnyDomainLoss) {
      const lost = pair.survival.filter((s) => !s.writableAfterDomainLoss).map((s) => s.dimension).join(' or one ')
      // What survives on these brokers (`kafkaplane plan advise`'s recommendation), not the cluster's policy: that may be the pair refused.
      const survives = recommend(advice)
      const instead = survives ? `set spec.replicationFactor: ${survives.replicationFactor} and spec.minInsyncReplicas: ${survives.minInsync} (they stay writable after losing any one ${cluster.topology.dimensions.join(' or one ')}), or ` : ''
      const problem = {
        path: 'spec.replicationFactor',
        value: { replicationFactor: rf, minInsyncReplicas: minInsync },
        message: `replication factor ${rf} with min.insync.replicas ${minInsync}${spec.replicationFactor === undefined ? ` (the cluster's spec.placement)` : ''} cannot stay writable after the loss of one ${lost}, however the replicas are placed`,
        fix: `${instead}set spec.placement.requireDomainLossSurvival: false to accept it`,
      }
      if (spec.placement.requireDomainLossSurvival) errors.push(problem)
      else warnings.push(problem)
    }
  }
  const annotation = resource.metadata.annotations?.[DELETE_DATA_ANNOTATION]
  if (annotation !== undefined && annotation !== 'true' && annotation !== 'false') {
    warnings.push({ path: `metadata.annotations["${DELETE_DATA_ANNOTATION}"]`, value: annotation, message: `${DELETE_DATA_ANNOTATION} is ${JSON.stringify(annotation)}: only "true" deletes the topic's data with the resource`, fix: 'write "true" or "false"' })
  }
  if (errors.length > 0) return { ok: false, errors, warnings }
  return {
    ok: true,
    warnings,
    model: {
      topicName: spec.topicName ?? resource.metadata.name,
      spec,
      partitions: spec.partitions,
      replicationFactor: rf,
      minInsyncReplicas: minInsync,
      configs: { ...spec.config, 'min.insync.replicas': String(minInsync) },
      deleteData: deletesTopicData(resource.metadata),
    },
  }
}
