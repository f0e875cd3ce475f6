import { remoteClustersSecret, type RemoteClusterAccess } from '../kube/manifests/operator-remote-access.ts'
import { manifestYaml } from '../kube/manifests/yaml.ts'
import { readRemoteAccess } from '../kube/remote-access.ts'
import { badArgument, type Command, helpOrNoArguments, namespaceOption, parseOptions } from './command.ts'
import { version } from './version.ts'

export const remoteSecret: Command = {
  name: 'remote-secret',
  help: `Usage: kafkaplane remote-secret --context C [--context D ...] [--server C=URL ...] [--kubeconfig F] [--namespace NS]

Prints the Secret kafkaplane-remote-clusters for the operator's home Kubernetes cluster, for
\`kubectl apply -f -\` there: a kubeconfig with one context per remote Kubernetes cluster of a stretched
KafkaCluster, named as your kubeconfig names it (the name spec.topology.clusters[].context uses), with the
token of the operator's ServiceAccount in that cluster (\`kafkaplane install --remote\` made it).
  kafkaplane install --remote | kubectl --context k8s-2 apply -f -
  kafkaplane remote-secret --context k8s-2 | kubectl --context k8s-1 apply -f -
  --context C       a remote cluster's context in your kubeconfig (repeat for each remote cluster)
  --server C=URL    the API server's URL as the operator's pod reaches it, when it is not the one
                    your kubeconfig uses for C (a private endpoint, say)
  --kubeconfig F    your kubeconfig (default $KUBECONFIG or ~/.kube/config)
  --namespace NS    the operator's namespace in both clusters (default kafkaplane-system)
The operator reads the Secret again when a KafkaCluster names a context it does not know yet.
Exit codes: 0 printed, 1 a cluster could not be read, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('remote-secret', argv, {
      context: { type: 'string', multiple: true },
      server: { type: 'string', multiple: true },
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
    })
    if (helpOrNoArguments(this, { values, positionals }, io, 'name each remote cluster with --context C')) return 0
    const contexts = values.context ?? []
    if (contexts.length === 0) throw badArgument('no remote cluster named', 'pass --context C for each remote Kubernetes cluster, e.g. --context k8s-2')
    const repeated = contexts.find((c, i) => contexts.indexOf(c) !== i)
    if (repeated !== undefined) throw badArgument(`--context ${repeated} is given twice`, 'name each remote cluster once')
    const namespace = namespaceOption('--namespace', values.namespace ?? 'kafkaplane-system')
    const servers = new Map<string, string>()
    for (const entry of values.server ?? []) {
      const at = entry.indexOf('=')
      const context = entry.slice(0, at)
      const url = entry.slice(at + 1)
      if (at <= 0 || !contexts.includes(context) || !/^https:\/\/[^\s/]+(\/\S*)?$/.test(url)) {
        throw badArgument(`--server "${entry}" is not CONTEXT=https://HOST:PORT for one of the --context values (${contexts.join(', ')})`, `pass e.g. --server ${contexts[0]}=https://10.0.0.10:6443`)
      }
      servers.set(context, url)
    }
    const kubeconfig = values.kubeconfig
    const remotes: RemoteClusterAccess[] = []
    for (const context of contexts) {
      const server = servers.get(context)
      remotes.push(await readRemoteAccess({ context, namespace, ...(kubeconfig ? { kubeconfig } : {}), ...(server ? { server } : {}) }))
    }
    io.stdout.write(`---\n${manifestYaml(remoteClustersSecret(namespace, version(), remotes))}`)
    return 0
  },
}
