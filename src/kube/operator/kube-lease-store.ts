import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node'
import type { LeaseRecord, LeaseView } from './lease-decision.ts'
import type { LeaseStore } from './leader-elector.ts'

/**
 * A coordination.k8s.io/v1 Lease as the leader election's store (src/kube/operator/leader-elector.ts):
 * read, create, and replace with the resourceVersion read (the API server answers 409 Conflict when
 * somebody wrote in between). The operator's RBAC allows get, create and update on leases in its own
 * namespace (src/kube/manifests/operator-rbac.ts).
 */
export function kubeLeaseStore(config: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = config.makeApiClient(CoordinationV1Api)
  const body = (record: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: toSpec(record),
  })
  return {
    name: `${namespace}/${name}`,
    async get() {
      try {
        return toView(await api.readNamespacedLease({ name, namespace }))
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined
        throw err
      }
    },
    async create(record) {
      return conflictIsFalse(api.createNamespacedLease({ namespace, body: body(record) }))
    },
    async update(record, version) {
      return conflictIsFalse(api.replaceNamespacedLease({ name, namespace, body: body(record, version) }))
    },
  }
}

async function conflictIsFalse(write: Promise<unknown>): Promise<boolean> {
  try {
    await write
    return true
  } catch (err) {
    if (err instanceof ApiException && err.code === 409) return false
    throw err
  }
}

function toSpec(record: LeaseRecord): V1LeaseSpec {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    // MicroTime: the library's V1MicroTime serializes with the microseconds the API server requires.
    acquireTime: new V1MicroTime(record.acquireTime),
    renewTime: new V1MicroTime(record.renewTime),
    leaseTransitions: record.leaseTransitions,
  }
}

function toView(lease: V1Lease): LeaseView {
  const spec = lease.spec ?? {}
  // Times come back as the API server's strings (the library leaves MicroTime undecoded).
  const time = (t: unknown) => (t === undefined || t === null ? 0 : Date.parse(String(t instanceof Date ? t.toISOString() : t)) || 0)
  return {
    version: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: time(spec.acquireTime),
      renewTime: time(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  }
}
