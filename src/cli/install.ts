import { renderInstall, renderRemoteInstall } from '../kube/manifests/render.ts'
import { version } from './version.ts'
import { manifestYaml } from '../kube/manifests/yaml.ts'
import { badArgument, type Command, helpOrNoArguments, namespaceOption, parseOptions } from './command.ts'

export const install: Command = {
  name: 'install',
  help: `Usage: kafkaplane install [--namespace NS] [--image IMG] [--home-context NAME]
       kafkaplane install --remote [--namespace NS]

Prints what the kafkaplane operator needs, as multi-document YAML for \`kubectl apply -f -\`:
the KafkaCluster and KafkaTopic CustomResourceDefinitions, the operator's Namespace and
ServiceAccount, a least-privilege ClusterRole (its custom resources, the objects it renders, broker
pods, Events) with its binding, the PersistentVolumeClaim of its plans, and the Deployment running
\`kafkaplane operator\`.
  kafkaplane install | kubectl apply --server-side -f -
  --namespace NS        the operator's namespace (default kafkaplane-system)
  --image IMG           the operator's image (default ghcr.io/kafkaplane/kafkaplane:<version>; the broker
                        image of deploy/Dockerfile holds the same command)
  --home-context NAME   the name KafkaClusters give this Kubernetes cluster in
                        spec.topology.clusters[].context (the operator's --context; default: its
                        service account's context, inClusterContext)
A KafkaCluster stretched over several Kubernetes clusters is run by one operator, in its home cluster;
it reaches the others with the kubeconfig in the Secret kafkaplane-remote-clusters of its namespace:
  --remote              print instead what a remote Kubernetes cluster needs: the namespace, the
                        operator's ServiceAccount, its ClusterRole without the custom resources, and
                        a token Secret; then \`kafkaplane remote-secret\` makes the home cluster's Secret:
  kafkaplane install --remote | kubectl --context k8s-2 apply -f -
  kafkaplane remote-secret --context k8s-2 | kubectl --context k8s-1 apply -f -
Exit codes: 0 printed, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('install', argv, { namespace: { type: 'string' }, image: { type: 'string' }, 'home-context': { type: 'string' }, remote: { type: 'boolean' } })
    if (helpOrNoArguments(this, { values, positionals }, io)) return 0
    const namespace = namespaceOption('--namespace', values.namespace ?? 'kafkaplane-system')
    if (values.remote) {
      for (const flag of ['image', 'home-context'] as const) {
        if (values[flag] !== undefined) throw badArgument(`--${flag} does not go with --remote: no operator runs in a remote cluster`, `drop --${flag}, or drop --remote to install the operator`)
      }
      io.stdout.write(renderRemoteInstall({ namespace, version: version() }).map((o) => `---\n${manifestYaml(o)}`).join(''))
      return 0
    }
    const image = values.image ?? `ghcr.io/kafkaplane/kafkaplane:${version()}`
    if (image.trim() === '' || /\s/.test(image)) throw badArgument(`--image "${image}" is not an image reference`, 'pass --image REGISTRY/NAME:TAG')
    const homeContext = values['home-context']
    if (homeContext !== undefined && (homeContext.trim() === '' || /\s/.test(homeContext))) {
      throw badArgument(`--home-context "${homeContext}" is not a context name`, 'pass the name your KafkaClusters give this Kubernetes cluster in spec.topology.clusters[].context, e.g. --home-context k8s-1')
    }
    io.stdout.write(renderInstall({ namespace, image, version: version(), ...(homeContext ? { homeContext } : {}) }).map((o) => `---\n${manifestYaml(o)}`).join(''))
    return 0
  },
}
