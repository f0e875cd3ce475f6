import { parseQuantity } from '../model/quantity.ts'
import { CONDITIONS_SCHEMA, DNS_LABEL_PATTERN, DNS_SUBDOMAIN_PATTERN, QUANTITY_PATTERN, rule, type Schema } from './schema.ts'
import { OWNED_BROKER_PROPERTIES } from '../../core/broker-properties.ts'
import { HEAP_XX_OPTIONS, OWNED_SYSTEM_PROPERTIES } from '../../core/jvm-options.ts'

/**
 * The `KafkaCluster` custom resource: one Kafka cluster (KRaft), possibly stretched over several
 * Kubernetes clusters and their zones. Its schema below is the CRD's and the model's (docs/architecture.md, principle 8); the
 * types are the spec after the schema's defaults are applied.
 */
export interface KafkaClusterSpec {
  kafka: { version: string; image: string; keepMetadataVersion: boolean; clusterId?: string; imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never'; bootstrapServers?: string[] }
  topology: {
    clusters: KubernetesClusterSpec[]
    /**
     * How many KRaft controllers: brokers that are controllers too (combined nodes), spread over
     * clusters and zones; or, when clusters name controllerIds, exactly those dedicated controllers.
     */
    controllers: number
  }
  storage: { size: string; class?: string; metadata?: { size: string; class?: string } }
  resources: ResourcesSpec
  /** Each dedicated controller's container (when spec.topology.clusters[].controllerIds are given). */
  controllerResources: ResourcesSpec
  /** Each broker's JVM, beyond its heap (spec.resources.heap). */
  jvmOptions: JvmOptionsSpec
  /** Each dedicated controller's JVM, beyond its heap (spec.controllerResources.heap). */
  controllerJvmOptions: JvmOptionsSpec
  /** Each dedicated controller's volume: the KRaft metadata log. */
  controllerStorage: { size: string; class?: string }
  brokerConfig: Record<string, string>
  allowAutoCreateTopics: boolean
  listeners: ListenerSpec[]
  interBrokerListener?: string
  controllerPort: number
  brokerServices: { type: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; annotations: Record<string, string> }
  pool: { nodeSelector: Record<string, string>; tolerations: TolerationSpec[]; nodeAffinity?: Record<string, unknown> }
  placement: { replicationFactor?: number; minInsyncReplicas?: number }
  rolling: {
    maxUnavailable: number
    /** Where a roll's batch lies: within one zone of one Kubernetes cluster, or anywhere in one Kubernetes cluster. */
    batchWithin: 'zone' | 'cluster'
    terminationGracePeriodSeconds: number
  }
  scaling: { throttle?: string; allowLessSurvivable: boolean }
  selfHealing: SelfHealingSpec
}

/** The operator's self-healer for this cluster (src/kube/operator/heal-workers.ts). */
export interface SelfHealingSpec {
  enabled: boolean
  /** How long a broker may be gone (not registered, or fenced) before its replicas move to the brokers left. */
  goneBrokerGraceSeconds: number
  /** At most this many plans started in any hour. */
  maxPlansPerHour: number
}

export interface ResourcesSpec {
  cpu: string
  memory: string
  cpuLimit?: string
  heap?: string
}

/**
 * JVM options of a broker or a dedicated controller, in Strimzi's shape: `-XX` options by name, a value
 * "true" for `-XX:+Name`, "false" for `-XX:-Name`, anything else for `-XX:Name=value`; and system
 * properties (`-Dname=value`). The container gets them in KAFKA_OPTS, after Kafka's own performance
 * options (so they win). The heap is spec.resources.heap's, the collector G1 (Kafka's).
 */
export interface JvmOptionsSpec {
  '-XX': Record<string, string>
  javaSystemProperties: { name: string; value: string }[]
}

export interface KubernetesClusterSpec {
  name: string
  /** The kubeconfig context that reaches it (default: its name). */
  context?: string
  zones: string[]
  brokerIds: IdRange
  /** The node ids of its dedicated KRaft controllers (process.roles=controller, a StatefulSet of their own). */
  controllerIds?: IdRange
}

export interface IdRange {
  first: number
  count: number
}

export interface ListenerSpec {
  name: string
  port: number
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'
  advertisedAddress: string
  /** The listener's certificate (protocol SSL or SASL_SSL only). */
  tls?: ListenerTlsSpec
}

/**
 * Where a TLS listener's certificate comes from: a Secret of the KafkaCluster's namespace in the home
 * Kubernetes cluster, of cert-manager's shape (`tls.crt` the chain, `tls.key` its key, `ca.crt` the CA
 * that client certificates are checked against). The operator checks it and copies it to every
 * Kubernetes cluster of the KafkaCluster (src/kube/model/listener-certificates.ts); a new certificate in it
 * restarts the brokers (roll reason `certificates`).
 */
export interface ListenerTlsSpec {
  secretName: string
  /** Whether clients must show a certificate signed by the Secret's ca.crt (mTLS). */
  clientAuthentication: 'required' | 'requested' | 'none'
}

/** Whether a listener's protocol is TLS (SSL, SASL_SSL). */
export const tlsProtocol = (protocol: ListenerSpec['protocol']): boolean => protocol === 'SSL' || protocol === 'SASL_SSL'

export interface TolerationSpec {
  key?: string
  operator: 'Exists' | 'Equal'
  value?: string
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'
  tolerationSeconds?: number
}

/** Placeholders of an advertised address template; each broker gets its own value. */
export const ADDRESS_PLACEHOLDERS = ['id', 'pod', 'podIP', 'service', 'brokerService', 'cluster', 'namespace', 'name', 'port'] as const
const ADDRESS_PATTERN = `^([^{}:]|\\{(${ADDRESS_PLACEHOLDERS.join('|')})\\})+:(\\{port\\}|[0-9]{1,5})$`
const LISTENER_NAME_PATTERN = '^[A-Z][A-Z0-9_]*$'
const MAX_CLUSTERS = 16
const MAX_ZONES = 16
const MAX_LISTENERS = 8
const XX_NAME = '^[A-Za-z][A-Za-z0-9]*$'
const COLLECTOR = '^Use[A-Za-z0-9]*GC$'
/** No whitespace and no shell pattern characters: the start script splits KAFKA_OPTS into words. */
const JVM_WORD = '^[^\\s*?\\[\\]]+$'

type Cluster = Pick<KafkaClusterSpec['topology'], 'clusters' | 'controllers'>
type Spec = KafkaClusterSpec

const brokerCount = (t: Cluster) => t.clusters.reduce((n, c) => n + c.brokerIds.count, 0)
/** Whether the controllers are dedicated: some Kubernetes cluster names controllerIds. */
export const dedicatedControllers = (t: Pick<Cluster, 'clusters'>): boolean => t.clusters.some((c) => c.controllerIds !== undefined)
const apart = (a: IdRange, b: IdRange) => a.first + a.count <= b.first || b.first + b.count <= a.first

export const KAFKA_CLUSTER_SPEC_SCHEMA: Schema = {
  type: 'object',
  required: ['kafka', 'topology'],
  properties: {
    kafka: {
      type: 'object',
      required: ['image'],
      properties: {
        version: {
          type: 'string',
          default: '4.1.1',
          pattern: '^([4-9]|[1-9][0-9])\\.[0-9]+\\.[0-9]+$',
          description: 'the Kafka version of the image, 4.0 or later (KRaft only), e.g. version: 4.1.1; a broker refuses to start on an image of another Kafka version, naming both',
        },
        image: {
          type: 'string',
          minLength: 1,
          maxLength: 512,
          description: 'the broker image (Kafka plus kafkaplane for the probes, deploy/Dockerfile), e.g. image: registry.example.com/kafkaplane-kafka:4.1.1',
        },
        imagePullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'], default: 'IfNotPresent', description: 'one of Always, IfNotPresent, Never' },
        keepMetadataVersion: {
          type: 'boolean',
          default: false,
          description:
            "false: once every broker runs spec.kafka.version, the operator raises the cluster's metadata.version to the newest level they all support (after which no older Kafka can run the cluster); true: it stays, so that a roll back to the previous version remains possible; set it back to false to finalize once the new version has proven itself",
        },
        clusterId: {
          type: 'string',
          pattern: '^[A-Za-z0-9_-]{22}$',
          description: 'the KRaft cluster id (22 characters of base64url, as `kafka-storage random-uuid` prints); leave it out to derive one from the namespace and name',
        },
        bootstrapServers: {
          type: 'array',
          minItems: 1,
          maxItems: 32,
          items: { type: 'string', pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$', maxLength: 253 },
          description:
            'where the operator reaches the brokers (topics, replication factor changes), e.g. bootstrapServers: [kafka.example.com:9092]; leave it out to use every broker\'s advertised inter-broker address, reachable from inside the Kubernetes cluster',
        },
      },
    },
    topology: {
      type: 'object',
      required: ['clusters'],
      description: 'the Kubernetes clusters the brokers run in, their zones and broker ids',
      properties: {
        clusters: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_CLUSTERS,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          description: 'one entry per Kubernetes cluster: {name: k8s-1, context: prod-eu-1, zones: [a, b, c], brokerIds: {first: 0, count: 3}}',
          items: {
            type: 'object',
            required: ['name', 'zones', 'brokerIds'],
            properties: {
              name: {
                type: 'string',
                maxLength: 24,
                pattern: DNS_LABEL_PATTERN,
                description: 'a short DNS label naming the Kubernetes cluster (lower case letters, digits and -), e.g. name: k8s-1',
              },
              context: { type: 'string', minLength: 1, maxLength: 253, description: 'the kubeconfig context that reaches this Kubernetes cluster (default: its name)' },
              zones: {
                type: 'array',
                minItems: 1,
                maxItems: MAX_ZONES,
                'x-kubernetes-list-type': 'set',
                items: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$' },
                description: 'the values of topology.kubernetes.io/zone its brokers spread over, each once, e.g. zones: [eu-west-1a, eu-west-1b, eu-west-1c]',
              },
              brokerIds: {
                type: 'object',
                required: ['first', 'count'],
                description: 'the broker ids of this Kubernetes cluster: first, first+1, ..., first+count-1 (the StatefulSet ordinals), e.g. brokerIds: {first: 100, count: 3}',
                properties: {
                  first: { type: 'integer', minimum: 0, maximum: 1_000_000, description: 'the first broker id of this Kubernetes cluster, 0 to 1000000' },
                  count: { type: 'integer', minimum: 1, maximum: 1000, description: 'how many brokers run in this Kubernetes cluster, 1 to 1000' },
                },
              },
              controllerIds: {
                type: 'object',
                required: ['first', 'count'],
                description:
                  'the node ids of the dedicated KRaft controllers of this Kubernetes cluster (process.roles=controller, their own StatefulSet <name>-<cluster>-controller), e.g. controllerIds: {first: 90, count: 2}; give them in one or more clusters, summing to spec.topology.controllers, or nowhere for controllers on brokers. Fixed for the life of the cluster (a static quorum)',
                properties: {
                  first: { type: 'integer', minimum: 0, maximum: 1_000_000, description: 'the first controller id of this Kubernetes cluster, 0 to 1000000, apart from every broker id' },
                  count: { type: 'integer', minimum: 1, maximum: 5, description: 'how many dedicated controllers run in this Kubernetes cluster, 1 to 5' },
                },
              },
            },
          },
        },
        controllers: {
          type: 'integer',
          enum: [1, 3, 5],
          default: 3,
          description: 'how many KRaft controllers: 3 (tolerates one loss) or 5 (two); 1 only for tests. Brokers that are controllers too, or, when clusters name controllerIds, those dedicated controllers',
        },
      },
      'x-kubernetes-validations': [
        rule<Cluster>({
          rule: 'self.clusters.all(a, self.clusters.all(b, a.name == b.name || a.brokerIds.first + a.brokerIds.count <= b.brokerIds.first || b.brokerIds.first + b.brokerIds.count <= a.brokerIds.first))',
          message: 'spec.topology.clusters: broker id ranges overlap; give each Kubernetes cluster its own range, e.g. brokerIds {first: 0, count: 3} and {first: 100, count: 3}',
          fieldPath: '.clusters',
          holds: (t) => t.clusters.every((a) => t.clusters.every((b) => a.name === b.name || a.brokerIds.first + a.brokerIds.count <= b.brokerIds.first || b.brokerIds.first + b.brokerIds.count <= a.brokerIds.first)),
        }),
        rule<Cluster>({
          rule: 'self.clusters.exists(c, has(c.controllerIds)) || self.clusters.map(c, c.brokerIds.count).sum() >= self.controllers',
          message: 'spec.topology.controllers: more controllers than brokers; lower controllers or add brokers',
          fieldPath: '.controllers',
          holds: (t) => dedicatedControllers(t) || brokerCount(t) >= t.controllers,
        }),
        rule<Cluster>({
          rule: '!self.clusters.exists(c, has(c.controllerIds)) || self.clusters.map(c, has(c.controllerIds) ? c.controllerIds.count : 0).sum() == self.controllers',
          message: 'spec.topology.clusters[].controllerIds: their counts must add up to spec.topology.controllers; change the counts, or controllers',
          fieldPath: '.controllers',
          holds: (t) => !dedicatedControllers(t) || t.clusters.reduce((n, c) => n + (c.controllerIds?.count ?? 0), 0) === t.controllers,
        }),
        rule<Cluster>({
          rule: 'self.clusters.all(a, !has(a.controllerIds) || self.clusters.all(b, (a.controllerIds.first + a.controllerIds.count <= b.brokerIds.first || b.brokerIds.first + b.brokerIds.count <= a.controllerIds.first) && (a.name == b.name || !has(b.controllerIds) || a.controllerIds.first + a.controllerIds.count <= b.controllerIds.first || b.controllerIds.first + b.controllerIds.count <= a.controllerIds.first)))',
          message: 'spec.topology.clusters[].controllerIds: a controller id range overlaps a broker id range or another controller range (node ids are shared by brokers and controllers); give the controllers ids of their own, e.g. controllerIds {first: 90, count: 3}',
          fieldPath: '.clusters',
          holds: (t) => t.clusters.every((a) => a.controllerIds === undefined || t.clusters.every((b) => apart(a.controllerIds!, b.brokerIds) && (a.name === b.name || b.controllerIds === undefined || apart(a.controllerIds!, b.controllerIds)))),
        }),
        rule<Cluster>({
          rule: 'self.clusters.all(c, self.clusters.exists_one(d, d.name == c.name))',
          message: 'spec.topology.clusters: a Kubernetes cluster name is listed twice; name each cluster once',
          fieldPath: '.clusters',
          holds: (t) => t.clusters.every((c) => t.clusters.filter((d) => d.name === c.name).length === 1),
        }),
      ],
    },
    storage: {
      type: 'object',
      default: {},
      description: 'each broker\'s persistent volume for its log dirs, and optionally a separate one for the KRaft metadata log',
      properties: {
        size: { type: 'string', default: '100Gi', pattern: QUANTITY_PATTERN, description: 'a Kubernetes quantity, e.g. size: 500Gi' },
        class: { type: 'string', minLength: 1, maxLength: 253, description: 'a StorageClass name (default: the cluster\'s default class)' },
        metadata: {
          type: 'object',
          description: 'a separate volume for the KRaft metadata log (metadata.log.dir), e.g. metadata: {size: 10Gi}',
          properties: {
            size: { type: 'string', default: '10Gi', pattern: QUANTITY_PATTERN, description: 'a Kubernetes quantity, e.g. size: 10Gi' },
            class: { type: 'string', minLength: 1, maxLength: 253, description: 'a StorageClass name' },
          },
        },
      },
    },
    resources: resourcesSchema('broker', { cpu: '2', memory: '8Gi' }),
    controllerResources: resourcesSchema('controller', { cpu: '500m', memory: '2Gi' }),
    jvmOptions: jvmOptionsSchema('broker'),
    controllerJvmOptions: jvmOptionsSchema('controller'),
    controllerStorage: {
      type: 'object',
      default: {},
      description: "each dedicated controller's persistent volume, for the KRaft metadata log",
      properties: {
        size: { type: 'string', default: '10Gi', pattern: QUANTITY_PATTERN, description: 'a Kubernetes quantity, e.g. size: 20Gi' },
        class: { type: 'string', minLength: 1, maxLength: 253, description: "a StorageClass name (default: spec.storage.class, else the cluster's default class)" },
      },
    },
    brokerConfig: {
      type: 'object',
      default: {},
      maxProperties: 256,
      description: 'broker properties for every broker, values as strings, e.g. brokerConfig: {log.retention.hours: "168"}',
      additionalProperties: { type: 'string', maxLength: 4096, description: 'a broker property value, quoted as a string, e.g. "168" or "false"' },
      'x-kubernetes-validations': [
        rule<Record<string, string>>({
          rule: `[${OWNED_BROKER_PROPERTIES.map((p) => `'${p}'`).join(', ')}].all(k, !(k in self))`,
          message: `spec.brokerConfig sets a property kafkaplane sets for every broker (${OWNED_BROKER_PROPERTIES.join(', ')}); remove it and use spec.listeners, spec.topology or spec.storage instead`,
          holds: (c) => OWNED_BROKER_PROPERTIES.every((k) => !(k in c)),
        }),
      ],
    },
    allowAutoCreateTopics: {
      type: 'boolean',
      default: false,
      description: 'set allowAutoCreateTopics: true to let brokerConfig turn auto.create.topics.enable on (topics then get Kafka\'s placement, not kafkaplane\'s)',
    },
    listeners: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_LISTENERS,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      default: [{ name: 'INTERNAL', port: 9092, protocol: 'PLAINTEXT', advertisedAddress: '{pod}.{service}.{namespace}.svc:{port}' }],
      description: 'the client and replication listeners, e.g. [{name: INTERNAL, port: 9092}, {name: EXTERNAL, port: 9094, advertisedAddress: "kafka-{id}.example.com:{port}"}]',
      items: {
        type: 'object',
        required: ['name', 'port'],
        properties: {
          name: { type: 'string', maxLength: 32, pattern: LISTENER_NAME_PATTERN, description: 'an upper-case listener name other than CONTROLLER, e.g. name: EXTERNAL' },
          port: { type: 'integer', minimum: 1024, maximum: 65535, description: 'a container port from 1024 to 65535 (brokers run as non-root)' },
          protocol: { type: 'string', enum: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], default: 'PLAINTEXT', description: 'one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL' },
          advertisedAddress: {
            type: 'string',
            maxLength: 253,
            default: '{pod}.{service}.{namespace}.svc:{port}',
            pattern: ADDRESS_PATTERN,
            description: `HOST:PORT clients are told for each broker, a template with {${ADDRESS_PLACEHOLDERS.join('}, {')}} that must contain {id}, {pod}, {podIP} or {brokerService}, e.g. advertisedAddress: "kafka-{id}.{cluster}.example.com:{port}"; {podIP} is the pod's IP at each start (for clients on a flat network, e.g. VPC-native pods), never the inter-broker listener's`,
          },
          tls: {
            type: 'object',
            required: ['secretName'],
            description: 'the certificate of an SSL or SASL_SSL listener, e.g. tls: {secretName: kafka-tls}: a Secret in the KafkaCluster\'s namespace of the home Kubernetes cluster with tls.crt, tls.key and ca.crt (as cert-manager writes it)',
            properties: {
              secretName: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN, description: 'the Secret\'s name, e.g. secretName: kafka-tls' },
              clientAuthentication: {
                type: 'string',
                enum: ['required', 'requested', 'none'],
                default: 'required',
                description: 'required (mTLS: clients show a certificate signed by the Secret\'s ca.crt), requested, or none',
              },
            },
          },
        },
        'x-kubernetes-validations': [
          rule<ListenerSpec>({
            rule: "self.advertisedAddress.contains('{id}') || self.advertisedAddress.contains('{pod}') || self.advertisedAddress.contains('{podIP}') || self.advertisedAddress.contains('{brokerService}')",
            message: 'spec.listeners[].advertisedAddress must give every broker its own address; put {id}, {pod}, {podIP} or {brokerService} in it, e.g. "kafka-{id}.example.com:{port}"',
            fieldPath: '.advertisedAddress',
            holds: (l) => ['{id}', '{pod}', '{podIP}', '{brokerService}'].some((p) => l.advertisedAddress.includes(p)),
          }),
          rule<ListenerSpec>({
            rule: "(self.protocol == 'SSL' || self.protocol == 'SASL_SSL') == has(self.tls)",
            message: 'spec.listeners[]: an SSL or SASL_SSL listener needs tls.secretName (its certificate), and only those have tls; add tls: {secretName: SECRET}, or remove tls from a PLAINTEXT or SASL_PLAINTEXT listener',
            fieldPath: '.tls',
            holds: (l) => tlsProtocol(l.protocol) === (l.tls !== undefined),
          }),
          rule<ListenerSpec>({
            rule: "self.name != 'CONTROLLER'",
            message: 'spec.listeners[].name CONTROLLER is the KRaft controller listener kafkaplane adds; name the listener otherwise, e.g. INTERNAL',
            fieldPath: '.name',
            holds: (l) => l.name !== 'CONTROLLER',
          }),
        ],
      },
    },
    interBrokerListener: {
      type: 'string',
      maxLength: 32,
      pattern: LISTENER_NAME_PATTERN,
      description: 'the listener brokers replicate over (default the first listener); with several Kubernetes clusters its address must be reachable from all of them',
    },
    controllerPort: { type: 'integer', minimum: 1024, maximum: 65535, default: 9093, description: 'the KRaft controller port of the controllers, 1024 to 65535, e.g. controllerPort: 9093' },
    brokerServices: {
      type: 'object',
      default: {},
      description: 'the per-broker Services (clients outside the Kubernetes cluster reach each broker through its own)',
      properties: {
        type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer'], default: 'ClusterIP', description: 'one of ClusterIP, NodePort, LoadBalancer' },
        annotations: { type: 'object', default: {}, maxProperties: 64, additionalProperties: { type: 'string', maxLength: 4096 }, description: 'annotations of every per-broker Service (load balancer settings), e.g. {service.beta.kubernetes.io/aws-load-balancer-internal: "true"}' },
      },
    },
    pool: {
      type: 'object',
      default: {},
      description: 'the dedicated node pool of the brokers: a node selector or node affinity, and tolerations of its taints',
      properties: {
        nodeSelector: { type: 'object', default: {}, maxProperties: 32, additionalProperties: { type: 'string', maxLength: 63 }, description: 'node labels, e.g. nodeSelector: {pool: kafka}' },
        tolerations: {
          type: 'array',
          default: [],
          maxItems: 16,
          description: 'tolerations of the pool\'s taints, e.g. [{key: dedicated, operator: Equal, value: kafka, effect: NoSchedule}]',
          items: {
            type: 'object',
            properties: {
              key: { type: 'string', maxLength: 316 },
              operator: { type: 'string', enum: ['Exists', 'Equal'], default: 'Equal', description: 'Exists or Equal' },
              value: { type: 'string', maxLength: 63 },
              effect: { type: 'string', enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], description: 'one of NoSchedule, PreferNoSchedule, NoExecute' },
              tolerationSeconds: { type: 'integer', minimum: 0 },
            },
            'x-kubernetes-validations': [
              rule<TolerationSpec>({
                rule: "self.operator == 'Exists' || (has(self.key) && has(self.value))",
                message: 'spec.pool.tolerations[]: operator Equal needs a key and a value; give both, or use operator: Exists',
                holds: (t) => t.operator === 'Exists' || (t.key !== undefined && t.value !== undefined),
              }),
            ],
          },
        },
        nodeAffinity: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          description: 'a Kubernetes nodeAffinity, as in a pod spec (checked by the API server when the StatefulSet is applied)',
        },
      },
    },
    placement: {
      type: 'object',
      default: {},
      description: 'the default replication factor and min.insync.replicas of topics (default: what `kafkaplane plan advise` recommends for this topology)',
      properties: {
        replicationFactor: { type: 'integer', minimum: 1, maximum: 16, description: 'the default replication factor of topics, e.g. replicationFactor: 3' },
        minInsyncReplicas: { type: 'integer', minimum: 1, maximum: 16, description: 'the default min.insync.replicas of topics, e.g. minInsyncReplicas: 2' },
      },
      'x-kubernetes-validations': [
        rule<Spec['placement']>({
          rule: '!has(self.replicationFactor) || !has(self.minInsyncReplicas) || self.minInsyncReplicas <= self.replicationFactor',
          message: 'spec.placement.minInsyncReplicas is above replicationFactor, so no write could ever be acknowledged; lower minInsyncReplicas (replicationFactor - 1 keeps writes going with one replica down)',
          fieldPath: '.minInsyncReplicas',
          holds: (p) => p.replicationFactor === undefined || p.minInsyncReplicas === undefined || p.minInsyncReplicas <= p.replicationFactor,
        }),
      ],
    },
    rolling: {
      type: 'object',
      default: {},
      description: 'how brokers are restarted',
      properties: {
        maxUnavailable: { type: 'integer', minimum: 1, maximum: 16, default: 1, description: 'pods down at once in a roll (a batch within spec.rolling.batchWithin: brokers, then a standby dedicated controller when there is room; only when no partition falls below min.insync.replicas and the KRaft quorum keeps a caught-up majority) or brokers down at once in a drain (the PodDisruptionBudget), e.g. maxUnavailable: 1' },
        batchWithin: {
          type: 'string',
          enum: ['zone', 'cluster'],
          default: 'zone',
          description:
            "what a roll's batch shares: zone (one zone of one Kubernetes cluster) or cluster (one Kubernetes cluster, any of its zones: a whole failure domain of a stretched cluster whose placement survives its loss); a batch is always only brokers that may stop together without a partition below min.insync.replicas, never a KRaft controller",
        },
        terminationGracePeriodSeconds: {
          type: 'integer',
          minimum: 30,
          maximum: 86400,
          default: 300,
          description: 'seconds a broker gets for its controlled shutdown (moving leadership away) before it is killed, 30 or more, e.g. 300',
        },
      },
    },
    selfHealing: {
      type: 'object',
      default: {},
      description:
        'the self-healer the operator runs for this cluster: a broker gone (not registered, or fenced) for longer than goneBrokerGraceSeconds has its replicas moved to the brokers left (spread kept on every failure dimension), a partition placed against the spread rules is repaired, replication throttles nothing needs are removed; throttled and resumable like every plan, never while a roll of this cluster runs or while another plan of the cluster is unfinished; it never balances and never changes a replication factor (KafkaTopic resources own those). status.selfHealing says what it decided and what it waits for',
      properties: {
        enabled: {
          type: 'boolean',
          default: true,
          description:
            'on by default: with replication factor 3 and min.insync.replicas 2 a broker lost for good leaves its partitions one more failure away from refusing writes, and the healer gives them their third replica back without anyone being paged; set enabled: false to only ever move data by hand',
        },
        goneBrokerGraceSeconds: {
          type: 'integer',
          minimum: 10,
          maximum: 604800,
          default: 1800,
          description:
            'seconds a broker may be gone before its replicas are moved, e.g. goneBrokerGraceSeconds: 1800 (the default, as Cruise Control\'s broker failure self-healing threshold): long enough for a node reboot, a kernel upgrade or a pod waiting for its local volume\'s node, which come back with their data and need no copy; short enough that a lost broker\'s partitions get their replicas back well before a second failure is likely',
        },
        maxPlansPerHour: {
          type: 'integer',
          minimum: 1,
          maximum: 100,
          default: 2,
          description:
            'at most this many healing plans started in any hour, e.g. maxPlansPerHour: 2 (the default): one fault needs one plan (a broker drained, a spread repaired), and a limit this low stops a loop (a change undone by another tool) from copying data all day',
          },
        },
      },
    scaling: {
      type: 'object',
      default: {},
      description:
        'how brokers are added and removed when spec.topology.clusters[].brokerIds.count changes: new brokers get a fair share of the replicas, leaving brokers (the highest ordinals) are drained before their pods go',
      properties: {
        throttle: {
          type: 'string',
          pattern: QUANTITY_PATTERN,
          description: 'the replication throttle while data moves, bytes per second per broker as a Kubernetes quantity, e.g. throttle: 50Mi ("0": none; default: the operator\'s --throttle, 50 MiB/s); changed while a scale moves data, its plan takes the new rate at once',
        },
        allowLessSurvivable: {
          type: 'boolean',
          default: false,
          description:
            'set allowLessSurvivable: true to remove brokers even when partitions that stay writable after the loss of any one zone or Kubernetes cluster would not on the brokers left (e.g. a zone\'s last broker); without it such a scale-down is refused and nothing changes',
        },
      },
    },
  },
  'x-kubernetes-validations': [
    rule<Spec>({
      rule: "!('auto.create.topics.enable' in self.brokerConfig) || self.brokerConfig['auto.create.topics.enable'] != 'true' || self.allowAutoCreateTopics",
      message: 'spec.brokerConfig auto.create.topics.enable: "true" lets any client create topics with Kafka\'s placement and defaults; remove it, or set spec.allowAutoCreateTopics: true if you mean it',
      fieldPath: '.brokerConfig',
      holds: (s) => s.brokerConfig['auto.create.topics.enable'] !== 'true' || s.allowAutoCreateTopics,
    }),
    rule<Spec>({
      rule: '!has(self.interBrokerListener) || self.listeners.exists(l, l.name == self.interBrokerListener)',
      message: 'spec.interBrokerListener names no listener of spec.listeners; name one of them, or leave it out for the first',
      fieldPath: '.interBrokerListener',
      holds: (s) => s.interBrokerListener === undefined || s.listeners.some((l) => l.name === s.interBrokerListener),
    }),
    rule<Spec>({
      rule: "has(self.interBrokerListener) ? self.listeners.all(l, l.name != self.interBrokerListener || !has(l.tls)) : !has(self.listeners[0].tls)",
      message: 'spec.interBrokerListener: TLS between brokers is not supported yet (the readiness probes and the operator reach brokers over that listener without a certificate); replicate over a PLAINTEXT listener and give clients the TLS one, e.g. interBrokerListener: INTERNAL',
      fieldPath: '.interBrokerListener',
      holds: (s) => (s.interBrokerListener !== undefined ? s.listeners.every((l) => l.name !== s.interBrokerListener || l.tls === undefined) : s.listeners[0]?.tls === undefined),
    }),
    rule<Spec>({
      rule: 'self.listeners.all(l, l.port != self.controllerPort && self.listeners.exists_one(m, m.port == l.port))',
      message: 'spec.listeners: two listeners (or a listener and spec.controllerPort) share a port; give each its own port',
      fieldPath: '.listeners',
      holds: (s) => s.listeners.every((l) => l.port !== s.controllerPort && s.listeners.filter((m) => m.port === l.port).length === 1),
    }),
    rule<Spec>({
      rule: '!has(self.placement.replicationFactor) || self.placement.replicationFactor <= self.topology.clusters.map(c, c.brokerIds.count).sum()',
      message: 'spec.placement.replicationFactor is above the number of brokers; lower it or add brokers in spec.topology.clusters',
      fieldPath: '.placement.replicationFactor',
      holds: (s) => s.placement.replicationFactor === undefined || s.placement.replicationFactor <= brokerCount(s.topology),
    }),
  ],
}

/** The resources of a broker's or a dedicated controller's container (spec.resources, spec.controllerResources). */
function resourcesSchema(node: 'broker' | 'controller', defaults: { cpu: string; memory: string }): Schema {
  const field = node === 'broker' ? 'spec.resources' : 'spec.controllerResources'
  return {
    type: 'object',
    default: {},
    description: `CPU and memory of each ${node} container; the JVM heap is half the memory unless heap is given${node === 'controller' ? ' (dedicated controllers only: spec.topology.clusters[].controllerIds)' : ''}`,
    properties: {
      cpu: { type: 'string', default: defaults.cpu, pattern: QUANTITY_PATTERN, description: `the CPU request, a Kubernetes quantity, e.g. cpu: "${node === 'broker' ? 4 : 1}"` },
      cpuLimit: { type: 'string', pattern: QUANTITY_PATTERN, description: `a CPU limit (default none: ${node}s are not throttled), e.g. cpuLimit: "8"` },
      memory: { type: 'string', default: defaults.memory, pattern: QUANTITY_PATTERN, description: `the memory request and limit, a Kubernetes quantity, e.g. memory: ${node === 'broker' ? '16Gi' : '4Gi'}` },
      heap: { type: 'string', pattern: QUANTITY_PATTERN, description: `the JVM heap (default half the memory: the rest is page cache), e.g. heap: ${node === 'broker' ? '6Gi' : '1Gi'}` },
    },
    'x-kubernetes-validations': [
      rule<ResourcesSpec>({
        rule: '!has(self.heap) || quantity(self.heap).isLessThan(quantity(self.memory))',
        message: `${field}.heap must be less than ${field}.memory (the page cache needs the rest); lower heap or leave it out for half the memory`,
        fieldPath: '.heap',
        // The twin compares what the API server's quantity() compares: the amounts, suffixes applied.
        holds: (r) => r.heap === undefined || parseQuantity(r.heap) < parseQuantity(r.memory),
      }),
    ],
  }
}

/**
 * spec.jvmOptions, spec.controllerJvmOptions (JvmOptionsSpec). `-XX` is `__dash__XX` in CEL (the API
 * server's escape of a property name with a dash).
 */
function jvmOptionsSchema(node: 'broker' | 'controller'): Schema {
  const field = node === 'broker' ? 'spec.jvmOptions' : 'spec.controllerJvmOptions'
  const heap = node === 'broker' ? 'spec.resources.heap' : 'spec.controllerResources.heap'
  type Options = Partial<JvmOptionsSpec>
  const xx = (o: Options) => Object.entries(o['-XX'] ?? {})
  return {
    type: 'object',
    default: {},
    description: `options of each ${node}'s JVM beyond its heap (${heap}), in Strimzi's shape, e.g. ${field}: {"-XX": {TieredStopAtLevel: "1"}, javaSystemProperties: [{name: networkaddress.cache.ttl, value: "30"}]}; a change restarts the ${node}s (roll reason config)`,
    properties: {
      '-XX': {
        type: 'object',
        default: {},
        maxProperties: 64,
        description: `-XX options by name: "true" for -XX:+Name, "false" for -XX:-Name, any other value for -XX:Name=value, e.g. "-XX": {TieredStopAtLevel: "1", UseStringDeduplication: "true"}`,
        additionalProperties: { type: 'string', minLength: 1, maxLength: 256, pattern: JVM_WORD, description: 'a value without spaces or *?[], e.g. "true", "false" or "200"' },
      },
      javaSystemProperties: {
        type: 'array',
        default: [],
        maxItems: 64,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        description: `system properties (-Dname=value), e.g. javaSystemProperties: [{name: networkaddress.cache.ttl, value: "30"}]`,
        items: {
          type: 'object',
          required: ['name', 'value'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$', description: 'a property name of letters, digits, _, . and -, e.g. name: networkaddress.cache.ttl' },
            value: { type: 'string', minLength: 1, maxLength: 256, pattern: JVM_WORD, description: 'a value without spaces or *?[], e.g. value: "30"' },
          },
        },
      },
    },
    'x-kubernetes-validations': [
      rule<Options>({
        rule: `!has(self.__dash__XX) || self.__dash__XX.all(k, k.matches('${XX_NAME}'))`,
        message: `${field}["-XX"] has a name that is no -XX option name; give names as the JVM spells them, letters and digits without -XX: or +/-, e.g. "-XX": {TieredStopAtLevel: "1"}`,
        holds: (o) => xx(o).every(([k]) => new RegExp(XX_NAME).test(k)),
      }),
      rule<Options>({
        rule: `!has(self.__dash__XX) || ![${HEAP_XX_OPTIONS.map((k) => `'${k}'`).join(', ')}].exists(k, k in self.__dash__XX)`,
        message: `${field}["-XX"] sizes the heap (${HEAP_XX_OPTIONS.join(', ')}), which kafkaplane sets from ${heap} (-Xms and -Xmx, default half the memory); set that instead`,
        holds: (o) => xx(o).every(([k]) => !(HEAP_XX_OPTIONS as readonly string[]).includes(k)),
      }),
      rule<Options>({
        rule: `!has(self.__dash__XX) || self.__dash__XX.all(k, !k.matches('${COLLECTOR}') || (k == 'UseG1GC' && self.__dash__XX[k] == 'true'))`,
        message: `${field}["-XX"] chooses a garbage collector other than G1, the one Kafka's start scripts choose; remove it (G1's pause goal is "-XX": {MaxGCPauseMillis: "20"})`,
        holds: (o) => xx(o).every(([k, v]) => !new RegExp(COLLECTOR).test(k) || (k === 'UseG1GC' && v === 'true')),
      }),
      rule<Options>({
        rule: `!has(self.javaSystemProperties) || self.javaSystemProperties.all(p, !(p.name in [${OWNED_SYSTEM_PROPERTIES.map((k) => `'${k}'`).join(', ')}]))`,
        message: `${field}.javaSystemProperties sets a property the start script sets (${OWNED_SYSTEM_PROPERTIES.join(', ')}: the image's log4j2 config, the pod's log dir); remove it from the list`,
        holds: (o) => (o.javaSystemProperties ?? []).every((p) => !(OWNED_SYSTEM_PROPERTIES as readonly string[]).includes(p.name)),
      }),
    ],
  }
}

/**
 * Rules on the whole resource: its name and the Kubernetes cluster names make object names
 * (StatefulSet `<name>-<cluster>`, and `<name>-<cluster>-controller` for dedicated controllers, at most
 * 52 characters so that its pods' revision label fits in 63; per-broker Service `<name>-broker-<id>`),
 * so they must be DNS labels short enough.
 */
export const KAFKA_CLUSTER_RESOURCE_RULES = [
  rule<{ metadata: { name: string }; spec: Spec }>({
    rule: "self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && self.spec.topology.clusters.all(c, size(self.metadata.name) + size(c.name) + (has(c.controllerIds) ? 11 : 0) <= 51)",
    message: 'metadata.name must be a DNS label (lower case letters, digits and -) and, with a "-" and the longest spec.topology.clusters[].name (and "-controller" where it names controllerIds), at most 52 characters (it names the StatefulSets); shorten the name or the cluster names',
    fieldPath: '.metadata.name',
    holds: (r) => new RegExp(DNS_LABEL_PATTERN).test(r.metadata.name) && r.spec.topology.clusters.every((c) => r.metadata.name.length + c.name.length + (c.controllerIds ? 11 : 0) <= 51),
  }),
]

const ids: Schema = { type: 'array', maxItems: 1000, items: { type: 'integer' } }
const reasons: Schema = { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 500 } }

/** The operator's rolling restart (src/kube/operator/roll-workers.ts): its state, kept for a restarted operator, and where it is now. */
const ROLL_STATUS_SCHEMA: Schema = {
  type: 'object',
  description: 'the rolling restart in progress or last done: its batches, what it waits for, its ETA',
  properties: {
    format: { type: 'integer' },
    clusterId: { type: 'string', maxLength: 64 },
    rollId: { type: 'string', maxLength: 64 },
    createdAt: { type: 'string', maxLength: 64 },
    status: { type: 'string', enum: ['running', 'finished'] },
    phase: { type: 'string', enum: ['restarting', 'waiting', 'blocked', 'stalled', 'finished', 'failed'] },
    message: { type: 'string', maxLength: 4000 },
    etaSeconds: { type: 'integer', minimum: 0 },
    requested: ids,
    current: { type: 'object', properties: { ids, reasons, startedAt: { type: 'integer' }, upAt: { type: 'integer' } } },
    done: {
      type: 'array',
      maxItems: 1000,
      items: { type: 'object', properties: { ids, reasons, startedAt: { type: 'integer' }, restartMs: { type: 'integer' }, catchUpMs: { type: 'integer' } } },
    },
  },
}

/** The operator's self-healer (src/kube/operator/heal-workers.ts): its last decision and what it waits for. */
const SELF_HEALING_STATUS_SCHEMA: Schema = {
  type: 'object',
  description: 'the self-healer: its last decision, what it waits for, its last plan',
  properties: {
    phase: { type: 'string', enum: ['watching', 'waiting', 'healing', 'rate-limited', 'blocked', 'failed', 'disabled'] },
    message: { type: 'string', maxLength: 4000 },
    goneBrokers: {
      type: 'array',
      maxItems: 1000,
      description: 'brokers gone (not registered, or fenced) and not drained yet: since when, and when their replicas move',
      items: { type: 'object', properties: { id: { type: 'integer' }, since: { type: 'string', maxLength: 64 }, drainAt: { type: 'string', maxLength: 64 } } },
    },
    lastPlan: {
      type: 'object',
      properties: {
        planId: { type: 'string', maxLength: 64 },
        startedAt: { type: 'string', maxLength: 64 },
        endedAt: { type: 'string', maxLength: 64 },
        moves: { type: 'integer', minimum: 0 },
        reasons,
        result: { type: 'string', enum: ['running', 'finished', 'waiting', 'interrupted', 'failed'] },
        message: { type: 'string', maxLength: 4000 },
      },
    },
    staleThrottles: {
      type: 'object',
      description: 'the replication throttles nothing needed that it last removed',
      properties: { removedAt: { type: 'string', maxLength: 64 }, brokers: ids, topics: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 249 } } },
    },
  },
}

const counts: Schema = { type: 'array', maxItems: MAX_CLUSTERS, items: { type: 'object', properties: { cluster: { type: 'string', maxLength: 24 }, brokers: { type: 'integer', minimum: 0 } } } }

/** The operator's scaling (src/kube/operator/scale-workers.ts, src/kube/model/scale.ts): kept for a restarted operator. */
const SCALE_STATUS_SCHEMA: Schema = {
  type: 'object',
  description: 'the scale in progress or last done: brokers joining and leaving, its phase, what it waits for, its plan',
  properties: {
    scaleId: { type: 'string', maxLength: 64 },
    generation: { type: 'integer' },
    startedAt: { type: 'string', maxLength: 64 },
    finishedAt: { type: 'string', maxLength: 64 },
    from: counts,
    to: counts,
    adding: ids,
    removing: ids,
    phase: { type: 'string', enum: ['waiting', 'starting-brokers', 'moving', 'removing-pods', 'unregistering', 'finished', 'refused'] },
    message: { type: 'string', maxLength: 4000 },
    reason: { type: 'string', maxLength: 64 },
    planId: { type: 'string', maxLength: 64 },
    moves: { type: 'integer', minimum: 0 },
    moved: { type: 'integer', minimum: 0 },
    problem: { type: 'string', maxLength: 4000 },
    cordon: { type: 'string', maxLength: 1000, description: "whether Kafka's own placement leaves the leaving brokers out (cordoned.log.dirs=*, KIP-1066, from metadata.version 4.3-IV0 on) or why not" },
  },
}

/** What the operator reports; written by it only (status subresource). */
export const KAFKA_CLUSTER_STATUS_SCHEMA: Schema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer', minimum: 0 },
    conditions: CONDITIONS_SCHEMA,
    brokers: { type: 'integer', minimum: 0, description: 'brokers in the spec' },
    readyBrokers: { type: 'integer', minimum: 0, description: 'brokers whose readiness probe passes' },
    clusterId: { type: 'string', maxLength: 64 },
    controllers: { type: 'array', maxItems: 5, items: { type: 'integer' }, description: 'the node ids of the KRaft controllers (brokers that are controllers too, or the dedicated controllers)' },
    readyControllers: { type: 'integer', minimum: 0, description: 'dedicated controllers whose readiness probe passes (caught up with the quorum leader)' },
    clusters: {
      type: 'array',
      maxItems: MAX_CLUSTERS,
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 24 },
          brokers: { type: 'integer', minimum: 0 },
          readyBrokers: { type: 'integer', minimum: 0 },
          controllers: { type: 'integer', minimum: 0, description: 'its dedicated controllers' },
          readyControllers: { type: 'integer', minimum: 0 },
          controllerMaxUnavailable: { type: 'integer', minimum: 0, description: "its dedicated controllers' PodDisruptionBudget maxUnavailable, set for the quorum over every Kubernetes cluster" },
          maxUnavailable: { type: 'integer', minimum: 0, description: "its PodDisruptionBudget's maxUnavailable, as the operator sets it from the live cluster" },
          disruptionLimit: { type: 'string', maxLength: 1000, description: 'why no more of its brokers may be down through evictions (node drains) now' },
        },
      },
    },
    roll: ROLL_STATUS_SCHEMA,
    selfHealing: SELF_HEALING_STATUS_SCHEMA,
    scale: SCALE_STATUS_SCHEMA,
    kafka: {
      type: 'object',
      description: "the Kafka version every broker pod runs (absent while they differ) and the cluster's finalized metadata.version",
      properties: {
        version: { type: 'string', maxLength: 32 },
        metadataVersion: { type: 'object', properties: { level: { type: 'integer' }, name: { type: 'string', maxLength: 32 } } },
        message: { type: 'string', maxLength: 1000 },
      },
    },
    listenerCertificates: {
      type: 'array',
      maxItems: MAX_LISTENERS,
      description: "the certificate each TLS listener's brokers are given, as read from its Secret (kept while a renewed Secret fails its checks)",
      items: {
        type: 'object',
        properties: {
          listener: { type: 'string', maxLength: 32 },
          secret: { type: 'string', maxLength: 253 },
          subject: { type: 'string', maxLength: 1000 },
          notAfter: { type: 'string', maxLength: 64, description: 'when the certificate expires (RFC 3339)' },
          fingerprint: { type: 'string', maxLength: 128, description: 'its SHA-256 fingerprint, as openssl prints it' },
        },
      },
    },
    placement: {
      type: 'object',
      description: 'the effective default replication factor and min.insync.replicas and what they survive',
      properties: {
        replicationFactor: { type: 'integer' },
        minInsyncReplicas: { type: 'integer' },
        survivesAnyDomainLoss: { type: 'boolean' },
      },
    },
  },
}

export const KAFKA_CLUSTER_PRINTER_COLUMNS = [
  { name: 'Version', type: 'string', jsonPath: '.spec.kafka.version' },
  { name: 'Brokers', type: 'integer', jsonPath: '.status.brokers' },
  { name: 'Ready-Brokers', type: 'integer', jsonPath: '.status.readyBrokers' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const
