import { setTimeout as sleep } from 'node:timers/promises'
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { KafkaplaneError } from '../core/errors.ts'
import { REMOTE_TOKEN_SECRET, type RemoteClusterAccess } from './manifests/operator-remote-access.ts'

/**
 * Reads what the operator needs to reach a remote Kubernetes cluster, through the caller's own
 * kubeconfig context for it: the token and CA that Kubernetes' token controller put into the Secret
 * kafkaplane-operator-token (made by `kafkaplane install --remote`; waited for up to `timeoutMs`, the
 * controller fills it within seconds), and the API server's URL of that context unless `server` says
 * how the operator's pod reaches it instead.
 */
export async function readRemoteAccess(options: { kubeconfig?: string; context: string; namespace: string; server?: string; timeoutMs?: number }): Promise<RemoteClusterAccess> {
  const config = new KubeConfig()
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig)
  else config.loadFromDefault()
  if (!config.contexts.some((c) => c.name === options.context)) {
    throw new KafkaplaneError('BAD_ARGUMENT', `--context ${options.context}: the kubeconfig has no such context (it has ${config.contexts.map((c) => c.name).join(', ') || 'none'})`, {
      fix: 'name a context of your kubeconfig (kubectl config get-contexts), or pass --kubeconfig FILE',
    })
  }
  config.setCurrentContext(options.context)
  const server = options.server ?? config.getCurrentCluster()?.server ?? ''
  const api = config.makeApiClient(CoreV1Api)
  const where = `Secret ${options.namespace}/${REMOTE_TOKEN_SECRET} of context ${options.context}`
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  for (;;) {
    let data: Record<string, string> | undefined
    try {
      data = (await api.readNamespacedSecret({ name: REMOTE_TOKEN_SECRET, namespace: options.namespace })).data
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) {
        throw new KafkaplaneError('BAD_ARGUMENT', `${where} does not exist`, {
          fix: `install the operator's identity there first: kafkaplane install --remote --namespace ${options.namespace} | kubectl --context ${options.context} apply -f -`,
        })
      }
      throw new KafkaplaneError('KUBE_REQUEST_FAILED', `cannot read ${where}: ${(err as Error).message}`, {
        fix: 'check that the context reaches its API server and may read Secrets in that namespace',
        cause: err,
      })
    }
    const token = data?.token
    const ca = data?.['ca.crt']
    if (token && ca) return { context: options.context, server, caPem: Buffer.from(ca, 'base64').toString('utf8'), token: Buffer.from(token, 'base64').toString('utf8') }
    if (Date.now() > deadline) {
      throw new KafkaplaneError('KUBE_REQUEST_FAILED', `${where} has no token yet`, {
        fix: "Kubernetes' token controller fills it (kube-controller-manager's serviceaccount-token controller); check that it runs, then try again",
      })
    }
    await sleep(500)
  }
}
