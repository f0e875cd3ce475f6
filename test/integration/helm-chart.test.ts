import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import type { KubernetesObject } from '@kubernetes/client-node'
import { parse, parseAllDocuments, stringify } from 'yaml'
import { CHART_CRDS_DIR, chartCrdFiles, staleChartCrdFiles } from '../../src/kube/helm/chart-crds.ts'
import { isAlive } from '../../src/local/broker-process.ts'
import { startKubeControlPlane, type KubeControlPlane } from '../../src/local/kube-control-plane.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const chart = `${root}deploy/helm/kafkaplane-operator`
const version = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version

type Json = Record<string, any>
interface Ran {
  code: number
  stdout: string
  stderr: string
}

/** The labels Helm's templates add to or change in `kafkaplane install`'s (operatorLabels). */
const HELM_LABELS = { 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'kafkaplane', 'helm.sh/chart': `kafkaplane-operator-0.1.0` }

/**
 * The operator's Helm chart (deploy/helm/kafkaplane-operator) with a real helm v4 (scripts/fetch-helm.sh
 * builds it from the Go module proxy) and a real kube-apiserver:
 *   1. `helm lint --strict` passes, with the default values and with custom ones; values.schema.json
 *      refuses a bad value before anything renders;
 *   2. the chart cannot drift from `kafkaplane install`: its crds/ files are exactly what src/kube/crds
 *      generates, `helm template --include-crds` with the default values renders the same objects as
 *      `kafkaplane install` (all of them, field by field) but the Namespace, with Helm's labels added,
 *      and appVersion is package.json's version;
 *   3. custom values (namespace, image, pull policy and secrets, resources, tolerations, node selector,
 *      affinity, watched namespace, the state volume's size and class) show up where they belong, and
 *      nothing else changes;
 *   4. on a real API server: the rendered chart passes kubectl's server-side dry-run; the README's
 *      `helm install` (after `--dry-run=server`) installs the CRDs (Established) and the operator's
 *      objects; `helm upgrade` with other values changes the Deployment; `helm uninstall` removes the
 *      operator's objects and keeps the CRDs, which a newer chart's CRDs then replace with the README's
 *      `kubectl apply --server-side --force-conflicts`; the rendered chart then applies with kubectl.
 * One control plane (etcd and kube-apiserver) serves part 4 and is stopped in after(), with helm's
 * temporary home.
 */
describe('the operator Helm chart', () => {
  let helmBin = ''
  let plane: KubeControlPlane | undefined
  const helmHome = mkdtempSync(join(tmpdir(), 'kafkaplane-helm-'))

  before(async () => {
    const started = performance.now()
    const fetched = await exec('bash', [`${root}scripts/fetch-helm.sh`])
    assert.equal(fetched.code, 0, fetched.stderr)
    helmBin = join(fetched.stdout.trim().split('\n').at(-1)!, 'helm')
    const v = await helmOk(['version', '--short'])
    console.log(`helm ${v.trim()} located (or built) in ${Math.round(performance.now() - started)} ms`)
  })

  after(async () => {
    try {
      if (plane !== undefined) {
        const pids = plane.pids
        await plane.stop()
        assert.deepEqual(pids.filter(isAlive), [], 'every control-plane process is gone after stop()')
      }
    } finally {
      rmSync(helmHome, { recursive: true, force: true })
    }
  })

  it('passes `helm lint --strict` with the default values and with custom ones; the values schema refuses a bad value', async () => {
    const lint = await helmOk(['lint', '--strict', chart])
    assert.match(lint, /1 chart\(s\) linted, 0 chart\(s\) failed/)
    const custom = await helmOk(['lint', '--strict', chart, '-f', writeValues('custom', CUSTOM_VALUES)])
    assert.match(custom, /0 chart\(s\) failed/)

    const bad = await helm(['template', 'kafkaplane', chart, '--set', 'imagePullPolicy=Sometimes'])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /imagePullPolicy/, bad.stderr)
    const unknown = await helm(['template', 'kafkaplane', chart, '--set', 'replicas=2'])
    assert.notEqual(unknown.code, 0, 'a value the chart does not have is refused, not ignored')
    assert.match(unknown.stderr, /replicas/, unknown.stderr)
  })

  it('holds in crds/ exactly the CRDs src/kube/crds generates (and `kafkaplane install` prints), each behind a do-not-edit header', async () => {
    assert.deepEqual(staleChartCrdFiles(), [], 'regenerate them: node src/kube/helm/chart-crds.ts')
    assert.deepEqual(readdirSync(CHART_CRDS_DIR).sort(), [...chartCrdFiles().keys()].sort(), 'crds/ holds only generated files')
    const installed = documents(await kafkaplane(['install'])).filter((d) => d.kind === 'CustomResourceDefinition')
    const inChart = [...chartCrdFiles().keys()].map((name) => {
      const text = readFileSync(join(CHART_CRDS_DIR, name), 'utf8')
      assert.match(text, /^# Generated from src\/kube\/crds .*do not edit by hand\.\n# Regenerate: node src\/kube\/helm\/chart-crds\.ts/)
      return parse(text) as KubernetesObject
    })
    assert.deepEqual(inChart, installed)
    assert.equal((parse(readFileSync(`${chart}/Chart.yaml`, 'utf8')) as Json).appVersion, version, "Chart.yaml's appVersion is package.json's version")
  })

  it('renders with the default values what `kafkaplane install` prints (but the Namespace, which helm --create-namespace makes), with Helm labels', async () => {
    const rendered = documents(await helmOk(['template', 'kafkaplane', chart, '-n', 'kafkaplane-system', '--include-crds']))
    const installed = documents(await kafkaplane(['install', '--namespace', 'kafkaplane-system'])).filter((d) => d.kind !== 'Namespace')
    // The same kinds and names (Helm orders them by kind: CRDs first, the Deployment last, as install does).
    assert.deepEqual(rendered.map(id).sort(), installed.map(id).sort())
    assert.deepEqual([rendered[0], rendered[1], rendered.at(-1)].map((d) => d?.kind), ['CustomResourceDefinition', 'CustomResourceDefinition', 'Deployment'])
    for (const object of rendered) {
      const want = installed.find((d) => id(d) === id(object))!
      if (object.kind !== 'CustomResourceDefinition') {
        assert.deepEqual(object.metadata?.labels, { ...want.metadata?.labels, ...HELM_LABELS }, `${id(object)}: install's labels, managed by Helm`)
      }
      assert.deepEqual(withoutHelmLabels(object), withoutHelmLabels(want), `${id(object)} is install's, field by field`)
    }
    const deployment = rendered.find((d) => d.kind === 'Deployment') as Json
    const container = deployment.spec.template.spec.containers[0]
    assert.equal(container.image, `ghcr.io/kafkaplane/kafkaplane:${version}`)
    assert.deepEqual(container.command, ['/opt/kafkaplane/bin/kafkaplane', 'operator', '--state-dir', '/var/lib/kafkaplane', '--remote-kubeconfig', '/etc/kafkaplane/remote-clusters/kubeconfig', '--metrics-port', '9308'])
    assert.equal(container.args, undefined, 'every namespace is watched, from the in-cluster context')
    assert.deepEqual(deployment.spec.template.spec.volumes.find((v: Json) => v.name === 'remote-clusters'), { name: 'remote-clusters', secret: { secretName: 'kafkaplane-remote-clusters', optional: true } })
    assert.deepEqual(deployment.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'kafkaplane', 'app.kubernetes.io/component': 'operator' })
  })

  it('shows custom values where they belong (namespace, image, pull policy and secrets, resources, tolerations, node selector, affinity, watched namespace, state volume) and changes nothing else', async () => {
    const defaults = documents(await helmOk(['template', 'kafkaplane', chart, '-n', 'kafkaplane-system']))
    const rendered = documents(await helmOk(['template', 'kafkaplane', chart, '-n', 'kafka-ops', '-f', writeValues('custom', CUSTOM_VALUES)]))
    assert.deepEqual(rendered.map(id), defaults.map(id))
    for (const object of rendered) {
      const namespaced = object.kind !== 'ClusterRole' && object.kind !== 'ClusterRoleBinding'
      assert.equal(object.metadata?.namespace, namespaced ? 'kafka-ops' : undefined, `${id(object)} is in the release's namespace`)
    }
    const subjects = (rendered.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding') as Json[]).flatMap((b) => b.subjects)
    assert.ok(subjects.length > 0)
    assert.deepEqual(new Set(subjects.map((s) => JSON.stringify(s))), new Set([JSON.stringify({ kind: 'ServiceAccount', name: 'kafkaplane-operator', namespace: 'kafka-ops' })]))

    const pod = (rendered.find((d) => d.kind === 'Deployment') as Json).spec.template.spec
    const container = pod.containers[0]
    assert.equal(container.image, 'registry.example.com/platform/kafkaplane:0.2.0-rc.1')
    assert.equal(container.imagePullPolicy, 'Always')
    assert.deepEqual(pod.imagePullSecrets, CUSTOM_VALUES.imagePullSecrets)
    assert.deepEqual(container.args, ['--namespace', 'kafka', '--context', 'k8s-1'])
    assert.deepEqual(container.resources, CUSTOM_VALUES.resources)
    assert.deepEqual(pod.tolerations, CUSTOM_VALUES.tolerations)
    assert.deepEqual(pod.nodeSelector, CUSTOM_VALUES.nodeSelector)
    assert.deepEqual(pod.affinity, CUSTOM_VALUES.affinity)
    const claim = rendered.find((d) => d.kind === 'PersistentVolumeClaim') as Json
    assert.deepEqual(claim.spec, { accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '5Gi' } } })

    // Everything else is the defaults' (the namespace aside): the values touch only what they name.
    const strip = (o: KubernetesObject) => {
      const copy = structuredClone(o) as Json
      if (copy.metadata.namespace !== undefined) copy.metadata.namespace = 'NS'
      for (const s of copy.subjects ?? []) s.namespace = 'NS'
      if (copy.kind === 'Deployment') {
        const spec = copy.spec.template.spec
        for (const key of ['imagePullSecrets', 'nodeSelector', 'tolerations', 'affinity']) delete spec[key]
        for (const key of ['image', 'imagePullPolicy', 'args', 'resources']) delete spec.containers[0][key]
      }
      if (copy.kind === 'PersistentVolumeClaim') copy.spec = 'the claim'
      return copy
    }
    assert.deepEqual(rendered.map(strip), defaults.map(strip))
  })

  it('on a real API server: passes server-side dry-run; `helm install` (README) installs the CRDs and the operator; upgrade changes the Deployment; uninstall keeps the CRDs, which newer CRDs replace with --force-conflicts; the rendered chart applies with kubectl', async () => {
    plane = await startKubeControlPlane({ name: 'helm' })
    console.log(`control plane started in ${plane.timings.startMs} ms`)
    const p = plane
    const kubectlOk = async (args: readonly string[], input?: string) => {
      const r = await p.kubectl(args, input === undefined ? {} : { input })
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`)
      return r.stdout
    }
    const onServer = ['--kubeconfig', p.kubeconfigPath]

    // 1. What `helm template` renders passes the API server's own checks (a dry-run creates nothing, so the namespace first).
    const manifest = await helmOk(['template', 'kafkaplane', chart, '-n', 'kafkaplane-check', '--include-crds'])
    const count = documents(manifest).length
    assert.equal(count, 9, 'two CRDs, ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding, PersistentVolumeClaim, Deployment')
    await kubectlOk(['create', 'namespace', 'kafkaplane-check'])
    const dryRun = await kubectlOk(['apply', '--server-side', '--dry-run=server', '-f', '-'], manifest)
    assert.equal([...dryRun.matchAll(/serverside-applied \(server dry run\)/g)].length, count, dryRun)

    // 2. helm's own server dry-run, then the README's install (into the namespace helm creates).
    const installArgs = ['install', 'kafkaplane', chart, '-n', 'kafkaplane-system', '--create-namespace', ...onServer]
    const dry = await helmOk([...installArgs, '--dry-run=server'])
    assert.match(dry, /STATUS: pending-install/)
    assert.equal((await p.kubectl(['get', 'crd', 'kafkaclusters.kafkaplane.io'])).code, 1, 'a dry-run creates nothing')
    const installed = await helmOk(installArgs)
    assert.match(installed, /STATUS: deployed/)
    assert.match(installed, /Helm never upgrades or deletes them/, 'NOTES.txt says what happens to the CRDs')
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/kafkaclusters.kafkaplane.io', 'crd/kafkatopics.kafkaplane.io'])
    const objects = await kubectlOk(['get', 'serviceaccount,role,rolebinding,persistentvolumeclaim,deployment', '-n', 'kafkaplane-system', '-l', 'app.kubernetes.io/instance=kafkaplane', '-o', 'name'])
    assert.deepEqual(objects.trim().split('\n').sort(), [
      'deployment.apps/kafkaplane-operator',
      'persistentvolumeclaim/kafkaplane-operator-state',
      'role.rbac.authorization.k8s.io/kafkaplane-operator',
      'rolebinding.rbac.authorization.k8s.io/kafkaplane-operator',
      'serviceaccount/kafkaplane-operator',
    ])
    const leaseRole = JSON.parse(await kubectlOk(['get', 'role', 'kafkaplane-operator', '-n', 'kafkaplane-system', '-o', 'json'])) as Json
    const installLeaseRole = documents(await kafkaplane(['install'])).find((d) => d.kind === 'Role') as Json
    assert.deepEqual(leaseRole.rules, installLeaseRole.rules, "the server keeps install's Lease rules")
    const role = JSON.parse(await kubectlOk(['get', 'clusterrole', 'kafkaplane-operator', '-o', 'json'])) as Json
    const installRole = documents(await kafkaplane(['install'])).find((d) => d.kind === 'ClusterRole') as Json
    assert.deepEqual(role.rules, installRole.rules, "the server keeps install's RBAC rules")
    const binding = JSON.parse(await kubectlOk(['get', 'clusterrolebinding', 'kafkaplane-operator', '-o', 'json'])) as Json
    assert.equal(binding.subjects[0].namespace, 'kafkaplane-system')

    // 3. An upgrade with other values changes the Deployment on the server (not the claim: its class is immutable).
    const { stateVolume: _, ...upgrade } = CUSTOM_VALUES
    await helmOk(['upgrade', 'kafkaplane', chart, '-n', 'kafkaplane-system', ...onServer, '-f', writeValues('upgrade', upgrade)])
    const pod = (JSON.parse(await kubectlOk(['get', 'deployment', 'kafkaplane-operator', '-n', 'kafkaplane-system', '-o', 'json'])) as Json).spec.template.spec
    assert.equal(pod.containers[0].image, 'registry.example.com/platform/kafkaplane:0.2.0-rc.1')
    assert.deepEqual(pod.containers[0].args, ['--namespace', 'kafka', '--context', 'k8s-1'])
    assert.deepEqual(pod.tolerations, CUSTOM_VALUES.tolerations)
    const list = JSON.parse(await helmOk(['list', '-n', 'kafkaplane-system', '-o', 'json', ...onServer])) as Json[]
    assert.deepEqual(list.map((r) => [r.name, r.revision, r.status, r.app_version]), [['kafkaplane', '2', 'deployed', version]])

    // 4. Uninstall removes the operator and keeps the CRDs (and so every KafkaCluster and KafkaTopic). Not
    // --wait: with no controller-manager the state claim keeps its pvc-protection finalizer.
    await helmOk(['uninstall', 'kafkaplane', '-n', 'kafkaplane-system', ...onServer])
    const claim = await p.kubectl(['get', 'persistentvolumeclaim', 'kafkaplane-operator-state', '-n', 'kafkaplane-system', '-o', 'jsonpath={.metadata.deletionTimestamp}'])
    assert.ok(claim.code === 1 || claim.stdout !== '', 'the state claim is gone or being deleted')
    assert.equal((await p.kubectl(['get', 'deployment', 'kafkaplane-operator', '-n', 'kafkaplane-system'])).code, 1, 'the Deployment is gone')
    assert.equal((await p.kubectl(['get', 'clusterrole', 'kafkaplane-operator'])).code, 1, 'the ClusterRole is gone')
    const crds = await kubectlOk(['get', 'crd', '-o', 'name'])
    assert.deepEqual(crds.trim().split('\n').sort(), ['customresourcedefinition.apiextensions.k8s.io/kafkaclusters.kafkaplane.io', 'customresourcedefinition.apiextensions.k8s.io/kafkatopics.kafkaplane.io'])

    // A newer chart's CRDs go on by hand (README): helm owns their fields, so --force-conflicts is needed.
    const crdFile = join(CHART_CRDS_DIR, 'kafkatopics.kafkaplane.io.yaml')
    const newer = readFileSync(crdFile, 'utf8').replace(/description: "the number of partitions[^"]*"/, 'description: "the number of partitions (a newer chart)"')
    assert.notEqual(newer, readFileSync(crdFile, 'utf8'))
    const conflict = await p.kubectl(['apply', '--server-side', '-f', '-'], { input: newer })
    assert.notEqual(conflict.code, 0)
    assert.match(conflict.stderr, /conflict/i)
    await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], newer)
    const crd = JSON.parse(await kubectlOk(['get', 'crd', 'kafkatopics.kafkaplane.io', '-o', 'json'])) as Json
    assert.equal(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.partitions.description, 'the number of partitions (a newer chart)')

    // 5. The rendered chart also applies with kubectl, for those who keep Helm out of the cluster.
    const applied = await kubectlOk(['apply', '--server-side', '-f', '-'], manifest)
    assert.equal([...applied.matchAll(/serverside-applied$/gm)].length, count, applied)
  })

  async function helm(args: readonly string[]): Promise<Ran> {
    return exec(helmBin, args, { HELM_CACHE_HOME: `${helmHome}/cache`, HELM_CONFIG_HOME: `${helmHome}/config`, HELM_DATA_HOME: `${helmHome}/data`, KUBECONFIG: `${helmHome}/no-kubeconfig` })
  }

  async function helmOk(args: readonly string[]): Promise<string> {
    const r = await helm(args)
    assert.equal(r.code, 0, `helm ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }

  function writeValues(name: string, values: unknown): string {
    const path = join(helmHome, `${name}.yaml`)
    writeFileSync(path, stringify(values))
    return path
  }
})

const CUSTOM_VALUES = {
  image: { repository: 'registry.example.com/platform/kafkaplane', tag: '0.2.0-rc.1' },
  imagePullPolicy: 'Always',
  imagePullSecrets: [{ name: 'regcred' }],
  watchNamespace: 'kafka',
  homeContext: 'k8s-1',
  resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '2Gi' } },
  nodeSelector: { 'node-role.example.com/platform': 'true' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
  stateVolume: { size: '5Gi', storageClassName: 'fast-ssd' },
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }] } } },
}

function id(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata?.name}`
}

/** The object without the labels that differ between Helm and `kafkaplane install` (both sides checked apart). */
function withoutHelmLabels(object: KubernetesObject): Json {
  const copy = structuredClone(object) as Json
  const drop = (labels: Json | undefined) => {
    if (labels === undefined) return
    for (const key of ['app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'helm.sh/chart']) delete labels[key]
  }
  drop(copy.metadata?.labels)
  drop(copy.spec?.template?.metadata?.labels)
  return copy
}

function documents(manifest: string): KubernetesObject[] {
  return parseAllDocuments(manifest)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((d): d is KubernetesObject => d !== null)
}

async function kafkaplane(args: readonly string[]): Promise<string> {
  const r = await exec(process.execPath, ['--disable-warning=ExperimentalWarning', `${root}src/cli/main.ts`, ...args])
  assert.equal(r.code, 0, r.stderr)
  return r.stdout
}

/** Runs a command; never throws for a failed one: read `code`. */
function exec(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: root, env: { ...process.env, ...env }, maxBuffer: 32 << 20, timeout: 900_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}
