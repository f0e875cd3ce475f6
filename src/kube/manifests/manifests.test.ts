import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { parse, parseAllDocuments } from 'yaml'
import { main } from '../../cli/main.ts'
import { kafkaClusterModel, type KafkaClusterModel, type KafkaClusterResource } from '../model/kafka-cluster-model.ts'
import { OPERATOR_CLUSTER_RULES } from './operator-rbac.ts'
import { KubeConfig } from '@kubernetes/client-node'
import { remoteClustersSecret } from './operator-remote-access.ts'
import { renderInstall, renderKafkaCluster, renderRemoteInstall } from './render.ts'

const examplePath = new URL('../../../examples/kafka-cluster.yaml', import.meta.url).pathname
const example = (): KafkaClusterResource => parse(readFileSync(examplePath, 'utf8'))

function model(resource = example()): KafkaClusterModel {
  const result = kafkaClusterModel(resource)
  assert.ok(result.ok)
  return result.model
}

const ofKind = (objects: readonly any[], kind: string) => objects.filter((o) => o.kind === kind)

test('a StatefulSet per Kubernetes cluster, its ordinals starting at the cluster\'s first broker id', () => {
  const groups = renderKafkaCluster(model())
  assert.deepEqual(groups.map((g) => [g.cluster, g.context]), [['k8s-1', 'prod-eu-1'], ['k8s-2', 'prod-eu-2']])
  for (const [g, first] of [[groups[0]!, 0], [groups[1]!, 100]] as const) {
    const [sts] = ofKind(g.objects, 'StatefulSet')
    assert.equal(sts.spec.ordinals.start, first)
    assert.equal(sts.spec.replicas, 3)
    assert.equal(sts.spec.podManagementPolicy, 'Parallel')
    assert.equal(sts.spec.serviceName, sts.metadata.name)
    assert.equal(sts.metadata.ownerReferences, undefined)
    const [config] = ofKind(g.objects, 'ConfigMap')
    assert.deepEqual(Object.keys(config.data).filter((k) => k.endsWith('.properties')), [0, 1, 2].map((i) => `broker-${first + i}.properties`))
    assert.match(config.data[`broker-${first}.properties`], new RegExp(`^node.id=${first}$`, 'm'))
    assert.equal(ofKind(g.objects, 'Service').length, 4)
  }
})

test('the broker pod: probes, shutdown grace, non-root, one per node, zones, pool', () => {
  const m = model()
  const [sts] = ofKind(renderKafkaCluster(m)[0]!.objects, 'StatefulSet')
  const pod = sts.spec.template.spec
  const kafka = pod.containers[0]
  // Readiness and startup: the kubelet's httpGet on the pod's probe server, a native sidecar that shares
  // the override file's volume (no process per period); liveness an exec probe that asks the server
  // first and the broker's own listener when it does not answer (a broken sidecar never restarts a broker).
  assert.deepEqual(kafka.readinessProbe.httpGet, { path: '/ready', port: 8088 })
  assert.deepEqual(kafka.startupProbe.httpGet, { path: '/live', port: 8088 })
  assert.equal(kafka.readinessProbe.exec, undefined)
  assert.match(kafka.livenessProbe.exec.command.join(' '), /kafkaplane probe live --broker-id "\$KAFKAPLANE_BROKER_ID" --timeout-ms \d+/)
  const sidecar = sts.spec.template.spec.initContainers.find((c: { name: string }) => c.name === 'probe-server')
  assert.equal(sidecar.restartPolicy, 'Always')
  assert.match(sidecar.command.join(' '), /kafkaplane probe serve --broker-id "\$KAFKAPLANE_BROKER_ID" --port 8088/)
  assert.deepEqual(sidecar.ports, [{ name: 'probes', containerPort: 8088, protocol: 'TCP' }])
  assert.ok(kafka.env.some((e: { name: string; value?: string }) => e.name === 'KAFKAPLANE_PROBE_SERVER' && e.value === 'http://127.0.0.1:8088'))
  assert.ok(sidecar.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/var/run/kafkaplane'))
  assert.ok(kafka.startupProbe.failureThreshold * kafka.startupProbe.periodSeconds >= 1800)
  const env = Object.fromEntries(kafka.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]))
  assert.equal(env.KAFKAPLANE_BROKER_ID, "metadata.labels['apps.kubernetes.io/pod-index']")
  assert.equal(env.KAFKAPLANE_BOOTSTRAP_SERVER, '127.0.0.1:9094')
  assert.equal(env.KAFKA_HEAP_OPTS, '-Xms8192m -Xmx8192m')
  assert.ok(!('KAFKA_OPTS' in env), 'no JVM options, no KAFKA_OPTS: the template of a cluster without them stays as it was')
  assert.equal(pod.terminationGracePeriodSeconds, 300)
  assert.equal(pod.securityContext.runAsNonRoot, true)
  assert.ok(pod.securityContext.runAsUser > 0)
  assert.equal(kafka.securityContext.allowPrivilegeEscalation, false)
  assert.deepEqual(kafka.securityContext.capabilities.drop, ['ALL'])
  const anti = pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution
  assert.deepEqual(anti, [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'kafka', 'app.kubernetes.io/instance': 'payments', 'app.kubernetes.io/component': 'broker' } } }])
  const spread = pod.topologySpreadConstraints[0]
  assert.deepEqual([spread.topologyKey, spread.maxSkew, spread.whenUnsatisfiable, spread.minDomains], ['topology.kubernetes.io/zone', 1, 'DoNotSchedule', 3])
  assert.deepEqual(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
    { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }] },
  ])
  assert.deepEqual(pod.nodeSelector, { pool: 'kafka' })
  assert.deepEqual(pod.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'kafka', effect: 'NoSchedule' }])
  assert.deepEqual(sts.spec.volumeClaimTemplates.map((c: any) => [c.metadata.name, c.spec.resources.requests.storage, c.spec.storageClassName]), [
    ['data', '500Gi', 'gp3'],
    ['metadata', '10Gi', 'gp3'],
  ])
  assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' })
})

test('the pool\'s own node affinity keeps its terms, each with the zone requirement added', () => {
  const r = example()
  ;(r.spec as any).pool = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['kafka'] }] }, { matchExpressions: [{ key: 'pool', operator: 'In', values: ['kafka-big'] }] }] } } }
  const [sts] = ofKind(renderKafkaCluster(model(r))[0]!.objects, 'StatefulSet')
  const terms = sts.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
  assert.equal(terms.length, 2)
  for (const t of terms) assert.deepEqual(t.matchExpressions.map((e: any) => e.key), ['pool', 'topology.kubernetes.io/zone'])
})

test("spec.jvmOptions in the brokers' KAFKA_OPTS, spec.controllerJvmOptions in the dedicated controllers'; a change is a new template (a roll)", () => {
  const r = example()
  const spec = r.spec as any
  spec.topology.clusters[0].controllerIds = { first: 90, count: 2 }
  spec.topology.clusters[1].controllerIds = { first: 190, count: 1 }
  spec.jvmOptions = { '-XX': { UseStringDeduplication: 'true', TieredStopAtLevel: '1', UsePerfData: 'false' }, javaSystemProperties: [{ name: 'networkaddress.cache.ttl', value: '30' }, { name: 'a.b', value: 'c' }] }
  spec.controllerJvmOptions = { '-XX': { TieredStopAtLevel: '1' } }
  const kafkaOpts = (sts: any) => sts.spec.template.spec.containers[0].env.find((e: any) => e.name === 'KAFKA_OPTS')?.value
  const [controllers, brokers] = ofKind(renderKafkaCluster(model(r))[0]!.objects, 'StatefulSet')
  assert.equal(kafkaOpts(brokers), '-XX:TieredStopAtLevel=1 -XX:-UsePerfData -XX:+UseStringDeduplication -Dnetworkaddress.cache.ttl=30 -Da.b=c', '-XX by name, then the properties in order')
  assert.equal(kafkaOpts(controllers), '-XX:TieredStopAtLevel=1')
  const before = JSON.stringify(brokers.spec.template)
  spec.jvmOptions['-XX'].TieredStopAtLevel = '4'
  assert.notEqual(JSON.stringify(ofKind(renderKafkaCluster(model(r))[0]!.objects, 'StatefulSet')[1].spec.template), before)
})

test('PDB, headless Service and per-broker Services', () => {
  const objects = renderKafkaCluster(model())[1]!.objects as any[]
  const [pdb] = ofKind(objects, 'PodDisruptionBudget')
  assert.equal(pdb.spec.maxUnavailable, 1)
  assert.equal(pdb.spec.selector.matchLabels['kafkaplane.io/kubernetes-cluster'], 'k8s-2')
  const services = ofKind(objects, 'Service')
  const headless = services.find((s) => s.spec.clusterIP === 'None')
  assert.equal(headless.metadata.name, 'payments-k8s-2')
  assert.equal(headless.spec.publishNotReadyAddresses, true)
  const perBroker = services.filter((s) => s !== headless)
  assert.deepEqual(perBroker.map((s) => [s.metadata.name, s.spec.type, s.spec.selector['statefulset.kubernetes.io/pod-name']]), [
    ['payments-broker-100', 'LoadBalancer', 'payments-k8s-2-100'],
    ['payments-broker-101', 'LoadBalancer', 'payments-k8s-2-101'],
    ['payments-broker-102', 'LoadBalancer', 'payments-k8s-2-102'],
  ])
  assert.equal(perBroker[0].metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-internal'], 'true')
  // Only controllers expose the controller port.
  assert.deepEqual(perBroker.map((s) => s.spec.ports.some((p: any) => p.name === 'controller')), [false, true, false])
  for (const o of objects) assert.equal(o.metadata.labels['app.kubernetes.io/managed-by'], 'kafkaplane')
})

test('install: CRDs, least-privilege RBAC and the operator Deployment', () => {
  const objects = renderInstall({ namespace: 'ops', image: 'img:1', version: '0.1.0' }) as any[]
  assert.deepEqual(objects.map((o) => o.kind), ['CustomResourceDefinition', 'CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'PersistentVolumeClaim', 'Deployment'])
  // The Lease: in the operator's namespace only (a Role), read and updated by its name alone.
  const [role, binding] = objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')
  assert.equal(role.metadata.namespace, 'ops')
  assert.deepEqual(role.rules, [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['kafkaplane-operator'], verbs: ['get', 'update'] },
  ])
  assert.ok(!OPERATOR_CLUSTER_RULES.some((r) => r.resources!.includes('leases')), 'no cluster-wide Lease rule')
  assert.deepEqual([binding.metadata.namespace, binding.roleRef, binding.subjects], ['ops', { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kafkaplane-operator' }, [{ kind: 'ServiceAccount', name: 'kafkaplane-operator', namespace: 'ops' }]])
  const verbs = OPERATOR_CLUSTER_RULES.flatMap((r) => r.verbs)
  assert.ok(!verbs.includes('*') && OPERATOR_CLUSTER_RULES.every((r) => !r.resources!.includes('*')))
  assert.ok(!OPERATOR_CLUSTER_RULES.some((r) => r.resources!.includes('nodes')))
  // Secrets: read by name and its own copies written, never watched (no cache of every Secret).
  assert.deepEqual(OPERATOR_CLUSTER_RULES.filter((r) => r.resources!.includes('secrets')).map((r) => [r.resources, r.verbs]), [[['secrets'], ['get', 'list', 'create', 'update', 'patch', 'delete']]])
  assert.ok(!OPERATOR_CLUSTER_RULES.some((r) => r.resources!.includes('persistentvolumeclaims') && r.verbs.includes('delete')))
  const deployment = objects.at(-1)
  assert.equal(deployment.metadata.namespace, 'ops')
  // Its plans live on the state volume, so a replication-factor change survives the pod moving.
  assert.deepEqual(deployment.spec.template.spec.containers[0].command.slice(1), ['operator', '--state-dir', '/var/lib/kafkaplane', '--remote-kubeconfig', '/etc/kafkaplane/remote-clusters/kubeconfig', '--metrics-port', '9308'])
  assert.equal(deployment.spec.template.spec.containers[0].args, undefined)
  // Its pod's name and namespace: its identity in the Lease, and where the Lease is.
  assert.deepEqual(deployment.spec.template.spec.containers[0].env, [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ])
  assert.equal(deployment.spec.replicas, 1)
  // The remote clusters' kubeconfig: an optional Secret (no remote cluster until `kafkaplane remote-secret`).
  assert.deepEqual(deployment.spec.template.spec.volumes.find((v: any) => v.name === 'remote-clusters'), { name: 'remote-clusters', secret: { secretName: 'kafkaplane-remote-clusters', optional: true } })
  const home = renderInstall({ namespace: 'ops', image: 'img:1', version: '0.1.0', homeContext: 'k8s-1' }).at(-1) as any
  assert.deepEqual(home.spec.template.spec.containers[0].args, ['--context', 'k8s-1'])
  assert.ok(deployment.spec.template.spec.containers[0].volumeMounts.some((m: any) => m.name === 'state' && m.mountPath === '/var/lib/kafkaplane'))
  assert.equal(deployment.spec.template.spec.volumes.find((v: any) => v.name === 'state').persistentVolumeClaim.claimName, objects.at(-2).metadata.name)
  assert.equal(deployment.spec.template.spec.containers[0].image, 'img:1')
  assert.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true)
})

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough()
  const err = new PassThrough()
  let stdout = ''
  let stderr = ''
  out.on('data', (d) => (stdout += d))
  err.on('data', (d) => (stderr += d))
  const code = await main(argv, { stdout: out, stderr: err, env: {} })
  return { code, stdout, stderr }
}

test('kafkaplane render and install print YAML; bad input exits 2 naming the field and the fix', async () => {
  const rendered = await run(['render', '-f', examplePath])
  assert.equal(rendered.code, 0, rendered.stderr)
  const docs = parseAllDocuments(rendered.stdout) as any[]
  assert.equal(docs.length, 2 * (1 + 1 + 3 + 1 + 1))
  assert.ok(docs.every((d) => d.errors.length === 0))
  const one = await run(['render', '-f', examplePath, '--cluster', 'k8s-2'])
  assert.match(one.stdout, /^---\n# Kubernetes cluster k8s-2 \(kubeconfig context prod-eu-2\)/)
  assert.equal((await run(['render', '-f', examplePath, '--cluster', 'nope'])).code, 2)
  const installed = await run(['install', '--namespace', 'ops'])
  assert.equal(installed.code, 0)
  assert.equal(parseAllDocuments(installed.stdout).length, 10)
  assert.equal((await run(['install', '--namespace', 'Bad_NS'])).code, 2)
  assert.equal((await run(['install', '--home-context', 'has space'])).code, 2)
  const remote = await run(['install', '--remote', '--namespace', 'ops'])
  assert.equal(remote.code, 0, remote.stderr)
  assert.deepEqual(parseAllDocuments(remote.stdout).map((d: any) => d.toJS().kind), ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Secret'])
  const imageOnRemote = await run(['install', '--remote', '--image', 'img:1'])
  assert.equal(imageOnRemote.code, 2)
  assert.match(imageOnRemote.stderr, /--image does not go with --remote/)
  assert.match((await run(['render', '--help'])).stdout, /Usage: kafkaplane render/)

  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
  const scratch = mkdtempSync('/tmp/kafkaplane-render-')
  const bad = `${scratch}/bad.yaml`
  writeFileSync(bad, readFileSync(examplePath, 'utf8').replace('count: 3}', 'count: 0}').replace('"168"', '168'))
  const refused = await run(['render', '-f', bad]).finally(() => rmSync(scratch, { recursive: true, force: true }))
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /spec\.topology\.clusters\[0\]\.brokerIds\.count is 0, but must be >= 1/)
  assert.match(refused.stderr, /spec\.brokerConfig\["log\.retention\.hours"\] is 168, but must be string/)
  assert.match(refused.stderr, /fix: /)
})

test('the example KafkaTopic is a valid topic of the example cluster', async () => {
  const { kafkaTopicModel } = await import('../model/kafka-topic-model.ts')
  const topic = parse(readFileSync(new URL('../../../examples/kafka-topic.yaml', import.meta.url), 'utf8'))
  const result = kafkaTopicModel(topic, model())
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors))
  assert.equal(result.model.topicName, 'payments.events')
  assert.equal(result.model.deleteData, false)
})

test('a remote cluster: the operator identity without its custom resources, and the home Secret with one context per remote cluster', () => {
  const [, , role, binding, token] = renderRemoteInstall({ namespace: 'ops', version: '0.1.0' }) as any[]
  assert.ok(role.rules.length > 0 && role.rules.every((r: any) => !r.apiGroups.includes('kafkaplane.io')), 'no custom resources in a remote cluster')
  assert.deepEqual(role.rules, OPERATOR_CLUSTER_RULES.filter((r) => !r.apiGroups!.includes('kafkaplane.io')))
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'kafkaplane-operator', namespace: 'ops' }])
  assert.equal(binding.roleRef.name, role.metadata.name)
  assert.equal(token.type, 'kubernetes.io/service-account-token')
  assert.equal(token.metadata.annotations['kubernetes.io/service-account.name'], 'kafkaplane-operator')

  const secret = remoteClustersSecret('ops', '0.1.0', [
    { context: 'k8s-2', server: 'https://192.0.2.2:6443', caPem: 'CA-2', token: 'tok-2' },
    { context: 'k8s-3', server: 'https://192.0.2.3:6443', caPem: 'CA-3', token: 'tok-3' },
  ])
  assert.equal(secret.metadata?.name, 'kafkaplane-remote-clusters')
  const config = new KubeConfig()
  config.loadFromString(secret.stringData!.kubeconfig!)
  assert.deepEqual(config.contexts.map((c) => c.name), ['k8s-2', 'k8s-3'])
  config.setCurrentContext('k8s-3')
  assert.equal(config.getCurrentCluster()?.server, 'https://192.0.2.3:6443')
  assert.equal(Buffer.from(config.getCurrentCluster()?.caData ?? '', 'base64').toString(), 'CA-3')
  assert.equal(config.getCurrentUser()?.token, 'tok-3')
})

test('a scale does not roll the other brokers: the config hash is the same with a broker more, and changes with the config', () => {
  const sized = (count: number, change: (spec: any) => void = () => {}) => {
    const resource = example()
    const spec = resource.spec as any
    spec.topology.clusters[1].brokerIds.count = count
    change(spec)
    const result = kafkaClusterModel(resource, 'default', { controllers: model().controllers })
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors))
    return result.model
  }
  const hash = (m: KafkaClusterModel, cluster: number) => ofKind(renderKafkaCluster(m)[cluster]!.objects, 'StatefulSet')[0].spec.template.metadata.annotations['kafkaplane.io/config-hash']
  assert.equal(hash(sized(4), 1), hash(sized(3), 1), 'k8s-2 with a fourth broker')
  assert.equal(hash(sized(5), 1), hash(sized(4), 1), 'k8s-2 with a fifth broker')
  assert.equal(hash(sized(4), 0), hash(sized(3), 0), 'k8s-1 untouched')
  assert.notEqual(hash(sized(3, (s) => (s.brokerConfig['log.retention.hours'] = '24')), 1), hash(sized(3), 1), 'a broker property')
  assert.notEqual(hash(sized(3, (s) => (s.topology.clusters[1].zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1d'])), 1), hash(sized(3), 1), 'a zone (broker.rack of one broker)')
  assert.notEqual(hash(sized(3, (s) => (s.listeners[0].port = 9192)), 1), hash(sized(3), 1), 'a listener')
})

test('dedicated controllers: per Kubernetes cluster a StatefulSet, ConfigMap, headless Service, Services and PDB of their own, applied before the brokers\', selecting controllers only', () => {
  const r = example()
  const spec = r.spec as { topology: { clusters: { controllerIds?: { first: number; count: number } }[] }; controllerResources?: unknown; controllerStorage?: unknown }
  spec.topology.clusters[0]!.controllerIds = { first: 90, count: 2 }
  spec.topology.clusters[1]!.controllerIds = { first: 190, count: 1 }
  spec.controllerResources = { cpu: '1', memory: '3Gi' }
  spec.controllerStorage = { size: '20Gi' }
  const m = model(r)
  const [one, two] = renderKafkaCluster(m)
  assert.deepEqual(one!.objects.map((o) => `${o.kind}/${o.metadata!.name}`), [
    'ConfigMap/payments-k8s-1-controller-config',
    'Service/payments-k8s-1-controller',
    'Service/payments-controller-90',
    'Service/payments-controller-91',
    'PodDisruptionBudget/payments-k8s-1-controller',
    'StatefulSet/payments-k8s-1-controller',
    'ConfigMap/payments-k8s-1-config',
    'Service/payments-k8s-1',
    'Service/payments-broker-0',
    'Service/payments-broker-1',
    'Service/payments-broker-2',
    'PodDisruptionBudget/payments-k8s-1',
    'StatefulSet/payments-k8s-1',
  ])
  const [sts, brokers] = ofKind(one!.objects, 'StatefulSet')
  assert.equal(sts.spec.ordinals.start, 90)
  assert.equal(sts.spec.replicas, 2)
  assert.equal(sts.spec.updateStrategy.type, 'OnDelete')
  assert.equal(sts.spec.selector.matchLabels['app.kubernetes.io/component'], 'controller')
  assert.equal(brokers.spec.selector.matchLabels['app.kubernetes.io/component'], 'broker')
  const pod = sts.spec.template.spec
  const kafka = pod.containers[0]
  // Its probe server: `probe serve` for this controller, judged after the start time its start script writes.
  const [sidecar] = pod.initContainers
  assert.equal(sidecar.name, 'probe-server')
  assert.equal(sidecar.restartPolicy, 'Always')
  assert.equal(sidecar.command[2], 'exec /opt/kafkaplane/bin/kafkaplane probe serve --controller-id "$KAFKAPLANE_CONTROLLER_ID" --bootstrap-controller "$KAFKAPLANE_BOOTSTRAP_CONTROLLER" --since-file /var/run/kafkaplane/started-at --port 8088')
  assert.deepEqual(sidecar.env.map((e: any) => e.name), ['KAFKAPLANE_CONTROLLER_ID', 'KAFKAPLANE_BOOTSTRAP_CONTROLLER'])
  assert.deepEqual(sidecar.volumeMounts.map((m: any) => m.mountPath), ['/var/run/kafkaplane', '/tmp'])
  assert.equal(kafka.env.find((e: any) => e.name === 'KAFKAPLANE_PROBE_SERVER').value, 'http://127.0.0.1:8088', '`kafkaplane probe` run in the pod asks the server first')
  assert.deepEqual(kafka.ports, [{ name: 'controller', containerPort: 9093, protocol: 'TCP' }])
  assert.deepEqual(kafka.resources, { requests: { cpu: '1', memory: '3Gi' }, limits: { memory: '3Gi' } })
  assert.equal(kafka.env.find((e: any) => e.name === 'KAFKA_HEAP_OPTS').value, '-Xms1536m -Xmx1536m')
  assert.deepEqual(kafka.readinessProbe.httpGet, { path: '/ready', port: 8088 }, 'answered by its probe server, which reads the start time at every answer')
  assert.deepEqual(kafka.livenessProbe.tcpSocket, { port: 9093 })
  assert.deepEqual(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels, { 'app.kubernetes.io/name': 'kafka', 'app.kubernetes.io/instance': 'payments', 'app.kubernetes.io/component': 'controller' })
  assert.deepEqual(pod.nodeSelector, { pool: 'kafka' })
  assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '20Gi')
  assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, 'gp3', "spec.storage.class when controllerStorage names none")
  const [config] = ofKind(one!.objects, 'ConfigMap')
  assert.deepEqual(Object.keys(config.data).sort(), ['controller-90.properties', 'controller-91.properties', 'start.sh'])
  assert.match(config.data['controller-91.properties'], /^process\.roles=controller$/m)
  // The quorum PDBs: with voters in two Kubernetes clusters none may go without the operator's view of both.
  assert.deepEqual(ofKind(one!.objects, 'PodDisruptionBudget').map((p) => [p.metadata.name, p.spec.maxUnavailable, p.spec.selector.matchLabels['app.kubernetes.io/component']]), [['payments-k8s-1-controller', 0, 'controller'], ['payments-k8s-1', 1, 'broker']])
  assert.equal(ofKind(two!.objects, 'StatefulSet')[0].spec.ordinals.start, 190)
  // The brokers' headless Service and PDB select brokers only; a controller's Service its pod.
  const [, headless] = ofKind(one!.objects, 'Service')
  assert.equal(ofKind(one!.objects, 'Service')[0].spec.selector['app.kubernetes.io/component'], 'controller')
  assert.equal(headless.spec.selector['statefulset.kubernetes.io/pod-name'], 'payments-k8s-1-controller-90')
  // A config change rolls the controllers too; their hash is their own.
  const hash = (x: KafkaClusterModel) => ofKind(renderKafkaCluster(x)[0]!.objects, 'StatefulSet')[0].spec.template.metadata.annotations['kafkaplane.io/config-hash']
  const changed = example()
  Object.assign(changed.spec as object, { topology: spec.topology, controllerResources: spec.controllerResources, controllerStorage: spec.controllerStorage, brokerConfig: { 'log.retention.hours': '24' } })
  assert.notEqual(hash(model(changed)), hash(m))
  // All in one Kubernetes cluster: the quorum's own spare without the operator.
  const single = example()
  const singleSpec = single.spec as any
  singleSpec.topology.clusters = [{ ...singleSpec.topology.clusters[0], controllerIds: { first: 90, count: 3 } }]
  singleSpec.placement = { replicationFactor: 3, minInsyncReplicas: 2 }
  assert.equal(ofKind(renderKafkaCluster(model(single))[0]!.objects, 'PodDisruptionBudget')[0].spec.maxUnavailable, 1)
})
