/**
 * A principal without the ACL a plan needs (issue 10, defect 5): the plan stops at once with Kafka's
 * reason and the code KAFKA_NOT_AUTHORIZED, instead of retrying as if a broker were not answering, and
 * leaves no throttle behind. A real cluster with the StandardAuthorizer: the inter-broker and
 * controller listeners are super users; the SASL user `kafkaplane` gets only the ACLs granted here.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { createAdmin } from '../../src/kafka/connection.ts'
import type { LocalClientSecurity, LocalCluster } from '../../src/local/local-cluster.ts'
import { removeDir, startTestCluster, tempDir } from './support/clusters.ts'
import { runCli } from './support/cli.ts'
import { fill } from './support/kafka-io.ts'
import { assertNoThrottles } from './support/throttles.ts'

describe('a plan run by a principal without the ACLs it needs', { timeout: 600_000 }, () => {
  let cluster: LocalCluster
  let security: LocalClientSecurity
  let scratch: string
  before(async () => {
    scratch = await tempDir('authorization')
    cluster = await startTestCluster(layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }]), {
      security: true,
      config: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:ANONYMOUS' },
    })
    security = cluster.clientSecurity!
  })
  after(async () => {
    await cluster?.stop()
    await removeDir(scratch)
  })

  test('replication-factor fix without Alter on the cluster: stops at once, KAFKA_NOT_AUTHORIZED, no retry, no throttle left', async () => {
    const admin = createAdmin({ bootstrapServers: cluster.bootstrapServers })
    try {
      await admin.createTopics({ topics: ['guarded'], partitions: 4, replicas: 2 })
      const allow = (resourceType: number, resourceName: string, operation: number) => ({
        resourceType: resourceType as 2,
        resourceName,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: `User:${security.saslUser}`,
        host: '*',
        operation: operation as 8,
        permissionType: AclPermissionTypes.ALLOW,
      })
      // Everything a plan reads and its throttles, but not Alter on the cluster (reassignments).
      await admin.createAcls({
        creations: [
          allow(ResourceTypes.CLUSTER, 'kafka-cluster', AclOperations.DESCRIBE),
          allow(ResourceTypes.CLUSTER, 'kafka-cluster', AclOperations.DESCRIBE_CONFIGS),
          allow(ResourceTypes.CLUSTER, 'kafka-cluster', AclOperations.ALTER_CONFIGS),
          allow(ResourceTypes.TOPIC, '*', AclOperations.DESCRIBE),
          allow(ResourceTypes.TOPIC, '*', AclOperations.DESCRIBE_CONFIGS),
          allow(ResourceTypes.TOPIC, '*', AclOperations.ALTER_CONFIGS),
        ],
      })
    } finally {
      await admin.close()
    }
    await fill(cluster.bootstrapServers, 'guarded', 2 * 1024 * 1024)
    const sasl = [
      '--bootstrap-server', security.saslSslBootstrapServers.join(','),
      '--tls-ca-file', security.caFile,
      '--sasl-mechanism', 'SCRAM-SHA-512',
      '--sasl-username', security.saslUser,
      '--sasl-password-file', security.saslPasswordFile,
    ]
    const fix = await runCli(['replication-factor', 'fix', '--target', '3', '--topics', 'guarded', '--state-file', `${scratch}/plan.json`, '--poll-ms', '500', ...sasl], { timeoutMs: 300_000 })
    assert.equal(fix.code, 1, fix.stdout + fix.stderr)
    assert.match(fix.stderr, /error \[KAFKA_NOT_AUTHORIZED\]: .*CLUSTER_AUTHORIZATION_FAILED/)
    assert.match(fix.stderr, /fix: grant this client's principal/)
    assert.doesNotMatch(fix.stderr, /retrying/, 'a missing ACL is not retried')
    await assertNoThrottles({ bootstrapServers: cluster.bootstrapServers }, `the throttles it set are removed; its output:\n${fix.stderr}`)
  })
})
