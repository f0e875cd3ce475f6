import type { V1Container, V1Pod, V1StatefulSet } from '@kubernetes/client-node'
import type { RestartReason } from '../../core/roll/roll-rules.ts'

/** On the pod template: the hash of the broker's config (broker-statefulset.ts); a pod with another one runs an old config. */
export const CONFIG_HASH_ANNOTATION = 'kafkaplane.io/config-hash'
/**
 * On the pod template: the hash of the TLS listeners' certificates as the brokers load them (the
 * operator's copy, model/listener-certificates.ts); a pod with another one serves an old certificate.
 */
export const CERTIFICATES_HASH_ANNOTATION = 'kafkaplane.io/certificates-hash'
/**
 * On a pod: asks the roller to restart it (`kubectl annotate pod kafka-k8s-1-3 kafkaplane.io/restart=now`).
 * The pod that replaces it does not carry it, so one request restarts it once.
 */
export const RESTART_ANNOTATION = 'kafkaplane.io/restart'
/** The StatefulSet controller's label naming the template revision a pod was made from. */
const REVISION_LABEL = 'controller-revision-hash'
const VERSION_ENV = 'KAFKAPLANE_KAFKA_VERSION'

/** The Kafka version a StatefulSet's broker pods are made to run (its template's broker container), if it says. */
export function templateKafkaVersion(statefulSet: V1StatefulSet): string | undefined {
  return statefulSet.spec?.template?.spec?.containers?.map((c) => c.env?.find((e) => e.name === VERSION_ENV)?.value).find((v) => v !== undefined)
}

/**
 * Why a broker pod must restart (`OnDelete`: the StatefulSet never replaces it by itself), the most
 * telling first:
 *   1. version: the Kafka version its broker container runs differs from the template's;
 *   2. image: a container's image differs (same version: a rebuilt or patched image);
 *   3. config: its config hash differs from the template's;
 *   4. certificates: its TLS listeners' certificates hash differs from the template's (a renewed Secret);
 *   5. manual: someone annotated it with `kafkaplane.io/restart`;
 *   6. otherwise, made from an older template revision than the StatefulSet's update revision (resources,
 *      probes, affinity): config, naming both revisions.
 * An empty list: it runs what is wanted.
 */
export function podRestartReasons(pod: V1Pod, statefulSet: V1StatefulSet): RestartReason[] {
  const reasons: RestartReason[] = []
  const template = statefulSet.spec?.template
  const wanted = [...(template?.spec?.initContainers ?? []), ...(template?.spec?.containers ?? [])]
  const running = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
  const byName = new Map(running.map((c) => [c.name, c]))
  const version = (c: V1Container | undefined) => c?.env?.find((e) => e.name === VERSION_ENV)?.value
  for (const want of wanted) {
    const have = byName.get(want.name)
    if (version(want) !== undefined && version(have) !== version(want)) reasons.push({ kind: 'version', detail: `Kafka ${version(have) ?? '(unknown)'} -> ${version(want)}` })
    else if (have?.image !== want.image) reasons.push({ kind: 'image', detail: `${want.name} image ${have?.image ?? '(none)'} -> ${want.image}` })
  }
  const hash = template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]
  const podHash = pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]
  if (hash !== undefined && podHash !== hash) reasons.push({ kind: 'config', detail: `config hash ${podHash ?? '(none)'} -> ${hash}` })
  const certificates = template?.metadata?.annotations?.[CERTIFICATES_HASH_ANNOTATION]
  const podCertificates = pod.metadata?.annotations?.[CERTIFICATES_HASH_ANNOTATION]
  if (certificates !== undefined && podCertificates !== certificates) reasons.push({ kind: 'certificates', detail: `listener certificates ${podCertificates ?? '(none)'} -> ${certificates}` })
  const asked = pod.metadata?.annotations?.[RESTART_ANNOTATION]
  if (asked !== undefined) reasons.push({ kind: 'manual', detail: `annotated ${RESTART_ANNOTATION}=${asked}` })
  const revision = pod.metadata?.labels?.[REVISION_LABEL]
  const updateRevision = statefulSet.status?.updateRevision
  if (reasons.length === 0 && revision !== undefined && updateRevision !== undefined && revision !== updateRevision) {
    reasons.push({ kind: 'config', detail: `pod template revision ${revision} -> ${updateRevision}` })
  }
  return reasons
}
