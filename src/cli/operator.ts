import { hostname } from 'node:os'
import { join } from 'node:path'
import { stateDir as kafkaplaneStateDir } from '../local/paths.ts'
import { startOperator } from '../kube/operator/operator.ts'
import { integerOption, namespaceOption, parseOptions, type Command } from './command.ts'
import { SECURITY_HELP, SECURITY_OPTIONS, securityOptions } from './connection-options.ts'
import { rateOption } from './execution.ts'

export const operator: Command = {
  name: 'operator',
  help: `Usage: kafkaplane operator [--kubeconfig F] [--context C] [--remote-kubeconfig F] [--namespace NS] [--state-dir D] [--lease-namespace NS]

Runs the operator until SIGTERM or Ctrl-C: watches KafkaCluster and KafkaTopic resources and reconciles
them (server-side apply under the field manager kafkaplane-operator, finalizers, status conditions).
Only the operator holding the Lease kafkaplane-operator (coordination.k8s.io) reconciles; others stand
by and take over when it is released (SIGTERM) or not renewed for 15 s. Its holder is $POD_NAME (the
Deployment sets it), else host-pid.
  --kubeconfig FILE   the kubeconfig (default $KUBECONFIG, ~/.kube/config, or the pod's service account);
                      a stretched KafkaCluster's other Kubernetes clusters are contexts of this file
  --context C         the Kubernetes cluster the operator runs in (default: the current context); in a
                      pod, the name KafkaClusters give this cluster in spec.topology.clusters[].context
  --remote-kubeconfig FILE
                      the remote Kubernetes clusters' contexts (the Secret of \`kafkaplane
                      remote-secret\`, mounted by the Deployment of \`kafkaplane install\`); read
                      again when a KafkaCluster names a context not known yet
  --namespace NS      watch one namespace (default: all)
  --state-dir DIR     plans: one file per KafkaTopic (replication factor), one per KafkaCluster (a
                      scale, the self-healer) (default $XDG_STATE_HOME/kafkaplane/operator); a
                      restarted operator continues them
  --throttle RATE     replication throttle while a topic's replication factor changes, the
                      self-healer moves data, or a KafkaCluster scales unless its
                      spec.scaling.throttle says (default 50MiB)
  --heal-interval-seconds N
                      how often the self-healer looks at each KafkaCluster (default 30)
  --resync-ms N       reconcile every resource again this often (default 300000)
  --lease-namespace NS
                      where the Lease is (default $POD_NAMESPACE, else the context's namespace, else
                      default)
  --metrics-port N    serve Prometheus metrics on port N (0: any free port; default: none): GET
                      /metrics, the series of \`kafkaplane exporter\` for every KafkaCluster it
                      watches (labelled namespace and kafkacluster), collected off the scrape path,
                      and the operator's own (leader, conditions, rolls, scales, the self-healer)
  --metrics-host ADDRESS
                      address the metrics listen on (default 0.0.0.0)
  --metrics-interval-seconds N
                      time between two rounds of collections (default 30)
A KafkaCluster's brokers are reached at its spec.kafka.bootstrapServers, else at their in-cluster
addresses (the inter-broker listener's advertised address of each broker).
Connection (each flag also read from the environment variable beside it):
${SECURITY_HELP}
Exit codes: 0 stopped by a signal, 1 could not start, 2 bad input, 3 lost the Lease (work stopped).
`,
  async run(argv, io) {
    const { values } = parseOptions('operator', argv, {
      ...SECURITY_OPTIONS,
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'remote-kubeconfig': { type: 'string' },
      namespace: { type: 'string' },
      'state-dir': { type: 'string' },
      throttle: { type: 'string' },
      'resync-ms': { type: 'string' },
      'heal-interval-seconds': { type: 'string' },
      'lease-namespace': { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      'metrics-interval-seconds': { type: 'string' },
    })
    if (values.help) {
      io.stdout.write(this.help)
      return 0
    }
    const connection = securityOptions(values, io.env)
    const stateDir = values['state-dir'] ?? join(kafkaplaneStateDir(io.env), 'operator')
    const resyncMs = integerOption('--resync-ms', values['resync-ms'], 1000, 86_400_000)
    const throttle = rateOption('--throttle', values.throttle)
    const healIntervalSeconds = integerOption('--heal-interval-seconds', values['heal-interval-seconds'], 1, 86_400)
    const metricsPort = integerOption('--metrics-port', values['metrics-port'], 0, 65535)
    const metricsIntervalSeconds = integerOption('--metrics-interval-seconds', values['metrics-interval-seconds'], 1, 86_400) ?? 30
    const metrics = metricsPort === undefined ? undefined : { host: values['metrics-host'] ?? '0.0.0.0', port: metricsPort, intervalMs: metricsIntervalSeconds * 1000, seriesBudget: 100_000 }
    const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`)
    const kubeconfig = values.kubeconfig ?? io.env.KUBECONFIG
    const leaseNamespace = values['lease-namespace'] !== undefined ? namespaceOption('--lease-namespace', values['lease-namespace']) : io.env.POD_NAMESPACE || undefined
    const running = await startOperator({
      lease: { identity: io.env.POD_NAME || `${hostname()}-${process.pid}`, ...(leaseNamespace ? { namespace: leaseNamespace } : {}) },
      stateDir,
      connection,
      log,
      ...(kubeconfig ? { kubeconfig } : {}),
      ...(values.context ? { context: values.context } : {}),
      ...(values['remote-kubeconfig'] ? { remoteKubeconfig: values['remote-kubeconfig'] } : {}),
      ...(values.namespace ? { namespace: values.namespace } : {}),
      ...(resyncMs ? { resyncMs } : {}),
      ...(throttle !== undefined ? { throttleBytesPerSecond: throttle } : {}),
      ...(healIntervalSeconds ? { healIntervalMs: healIntervalSeconds * 1000 } : {}),
      ...(metrics ? { metrics } : {}),
    })
    io.stdout.write(`kafkaplane operator running (pid ${process.pid}); state in ${stateDir}\n`)
    const ended = await Promise.race([
      running.ended,
      new Promise<{ reason: 'signal'; signal: string }>((resolve) => {
        process.once('SIGTERM', () => resolve({ reason: 'signal', signal: 'SIGTERM' }))
        process.once('SIGINT', () => resolve({ reason: 'signal', signal: 'SIGINT' }))
      }),
    ])
    if (ended.reason === 'lost') {
      // Its work is stopped (or given up on): exit, so that the pod restarts and stands again.
      setTimeout(() => process.exit(3), 1000).unref()
      return 3
    }
    if (ended.reason === 'failed') {
      await running.stop()
      throw ended.error
    }
    log(`${ended.signal}: stopping (reconciles in flight finish their step; replication-factor and self-healing plans continue on the next start)`)
    await running.stop()
    log('stopped')
    return 0
  },
}
