import { readFile } from 'node:fs/promises'
import { parseAllDocuments } from 'yaml'
import { KafkaplaneError } from '../core/errors.ts'
import type { FieldProblem } from '../kube/crds/validate.ts'
import { kafkaClusterModel, type KafkaClusterResource } from '../kube/model/kafka-cluster-model.ts'
import { renderKafkaCluster } from '../kube/manifests/render.ts'
import { manifestYaml } from '../kube/manifests/yaml.ts'
import { badArgument, type Command, helpOrNoArguments, parseOptions } from './command.ts'

export const render: Command = {
  name: 'render',
  help: `Usage: kafkaplane render -f cluster.yaml [--cluster NAME] [--namespace NS]

Prints the Kubernetes objects of a KafkaCluster as multi-document YAML: per Kubernetes cluster of
spec.topology, a ConfigMap with each broker's properties, a headless Service, a Service per broker, a
PodDisruptionBudget and a StatefulSet whose ordinals start at that cluster's first broker id. Each
group starts with a comment naming its kubeconfig context; apply one cluster at a time:
  kafkaplane render -f cluster.yaml --cluster k8s-1 | kubectl --context prod-eu-1 apply -f -
The spec is checked first, as the API server would (defaults, types, cross-field rules), and its
placement policy against what the placement engine says the topology survives.
  -f, --file FILE     the KafkaCluster (YAML or JSON; the first KafkaCluster document is used)
  --cluster NAME      only this Kubernetes cluster of spec.topology.clusters
  --namespace NS      when metadata.namespace is absent (default: default)
Warnings go to stderr. Exit codes: 0 rendered, 2 bad input (each problem names the field, the value
and the fix).
`,
  async run(argv, io) {
    const { values, positionals } = parseOptions('render', argv, {
      file: { type: 'string', short: 'f' },
      cluster: { type: 'string' },
      namespace: { type: 'string' },
    })
    if (helpOrNoArguments(this, { values, positionals }, io, 'pass the file with -f cluster.yaml')) return 0
    if (values.file === undefined) throw badArgument('-f FILE is required', 'pass the KafkaCluster file: kafkaplane render -f cluster.yaml')
    const resource = await readKafkaCluster(values.file)
    const result = kafkaClusterModel(resource, values.namespace ?? 'default')
    for (const w of result.warnings) io.stderr.write(`kafkaplane render: warning: ${formatProblem(w)}\n`)
    if (!result.ok) throw resourceError(values.file, result.errors)
    let groups = renderKafkaCluster(result.model)
    for (const l of result.model.tlsListeners) {
      io.stderr.write(`kafkaplane render: note: listener ${l.name}'s certificate (Secret ${result.model.namespace}/${l.secretName}) is copied by the operator into the Secrets the StatefulSets mount (<statefulSet>-tls), which are not printed here\n`)
    }
    if (values.cluster !== undefined) {
      groups = groups.filter((g) => g.cluster === values.cluster)
      if (groups.length === 0) {
        throw badArgument(`--cluster ${values.cluster} is not in spec.topology.clusters of ${values.file}`, `name one of: ${result.model.clusters.map((c) => c.name).join(', ')}`)
      }
    }
    const docs = groups.flatMap((g) => g.objects.map((o, i) => (i === 0 ? `# Kubernetes cluster ${g.cluster} (kubeconfig context ${g.context})\n` : '') + manifestYaml(o)))
    io.stdout.write(docs.map((d) => `---\n${d}`).join(''))
    return 0
  },
}

export function formatProblem(p: FieldProblem): string {
  return `${p.message}\n  fix: ${p.fix}`
}

/** Problems of a resource as one BAD_ARGUMENT (exit 2): the first in the message, all in the detail. */
export function resourceError(source: string, problems: readonly FieldProblem[]): KafkaplaneError {
  const first = problems[0]!
  return new KafkaplaneError('BAD_ARGUMENT', `${source}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problems below)` : ''}`, {
    fix: problems.length === 1 ? first.fix : 'correct each field named above',
    ...(problems.length > 1 ? { detail: problems.map((p) => `  - ${formatProblem(p).replace('\n  fix:', '\n    fix:')}`).join('\n') } : {}),
  })
}

/** The first KafkaCluster document of a YAML or JSON file. */
async function readKafkaCluster(path: string): Promise<KafkaClusterResource> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw badArgument(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'pass the path of a KafkaCluster file with -f')
  }
  const documents = parseAllDocuments(text)
  if (!Array.isArray(documents)) throw badArgument(`${path} holds no YAML documents`, 'write the KafkaCluster as YAML (see examples/kafka-cluster.yaml)')
  for (const doc of documents) {
    if (doc.errors.length > 0) throw badArgument(`${path} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, 'correct the YAML (see examples/kafka-cluster.yaml)')
  }
  const objects = documents.map((d) => d.toJS() as unknown)
  const found = objects.find((o): o is Record<string, unknown> => typeof o === 'object' && o !== null && (o as { kind?: unknown }).kind === 'KafkaCluster')
  if (!found) throw badArgument(`${path} has no document with kind: KafkaCluster`, 'write apiVersion: kafkaplane.io/v1alpha1 and kind: KafkaCluster (see examples/kafka-cluster.yaml)')
  const metadata = found.metadata as { name?: unknown } | undefined
  if (typeof metadata?.name !== 'string') throw badArgument(`${path}: metadata.name is missing`, 'give the KafkaCluster a name: metadata: {name: payments}')
  return found as unknown as KafkaClusterResource
}
