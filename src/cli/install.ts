import { renderInstall } from '../kube/manifests/render.ts'
import { version } from './version.ts'
import { manifestYaml } from '../kube/manifests/yaml.ts'
import { badArgument, parseOptions, type Command } from './command.ts'

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

export const install: Command = {
  name: 'install',
  help: `Usage: kafkaplane install [--namespace NS] [--image IMG]

Prints what the kafkaplane operator needs, as multi-document YAML for \`kubectl apply -f -\`:
the KafkaCluster and KafkaTopic CustomResourceDefinitions, the operator's Namespace and
ServiceAccount, a least-privilege ClusterRole (its custom resources, the objects it renders, broker
pods, Events) with its binding, a Role for leader election, and the Deployment running
\`kafkaplane operator\`.
  kafkaplane install | kubectl apply --server-side -f -
  --namespace NS   the operator's namespace (default kafkaplane-system)
  --image IMG      the operator's image (default ghcr.io/kafkaplane/kafkaplane:<version>; the broker
                   image of deploy/Dockerfile holds the same command)
Exit codes: 0 printed, 2 bad input.
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('install', argv, { namespace: { type: 'string' }, image: { type: 'string' } })
    if (values.help) {
      io.stdout.write(this.help)
      return 0
    }
    if (positionals.length > 0) throw badArgument(`kafkaplane install takes no arguments, got "${positionals.join(' ')}"`, 'run `kafkaplane install --help`')
    const namespace = values.namespace ?? 'kafkaplane-system'
    if (!DNS_LABEL.test(namespace)) throw badArgument(`--namespace "${namespace}" is not a DNS label`, 'use lower case letters, digits and -, at most 63, e.g. --namespace kafkaplane-system')
    const image = values.image ?? `ghcr.io/kafkaplane/kafkaplane:${version()}`
    if (image.trim() === '' || /\s/.test(image)) throw badArgument(`--image "${image}" is not an image reference`, 'pass --image REGISTRY/NAME:TAG')
    io.stdout.write(renderInstall({ namespace, image, version: version() }).map((o) => `---\n${manifestYaml(o)}`).join(''))
    return 0
  },
}
