import { test } from 'node:test'
import assert from 'node:assert/strict'
import { logExcerpt, newClusterId } from './local-cluster.ts'

test('a failed broker log shows the last ERROR and the stack trace after it', () => {
  const log = [
    '[2026-11-26 09:35:30,283] INFO starting (kafka.server.KafkaRaftServer)',
    '[2026-11-26 09:35:31,000] ERROR an earlier, recovered error (x)',
    '[2026-11-26 09:35:49,296] ERROR Exiting Kafka due to fatal exception (kafka.Kafka$)',
    'java.lang.RuntimeException: Stored node id 99 doesn\'t match previous node id 2',
    '\tat org.apache.kafka.metadata.properties.MetaPropertiesEnsemble.verify(MetaPropertiesEnsemble.java:500)',
  ].join('\n')
  assert.equal(logExcerpt(log), log.split('\n').slice(2).join('\n'))
  assert.equal(logExcerpt('a\nb\nc', 2), 'b\nc')
})

test('cluster ids are 22-character base64url uuids that never start with a dash', () => {
  for (let i = 0; i < 200; i++) assert.match(newClusterId(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
})
