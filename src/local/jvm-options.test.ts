import { test } from 'node:test'
import assert from 'node:assert/strict'
import { jvmOptionProblem } from './local-cluster.ts'

test('a local cluster takes one -X or -D option a flag, and refuses the heap and what kafkaplane sets, naming the fix', () => {
  for (const ok of ['-XX:TieredStopAtLevel=1', '-XX:+UseStringDeduplication', '-Xss1m', '-Dnetworkaddress.cache.ttl=30']) assert.equal(jvmOptionProblem(ok), undefined, ok)
  const refused = (option: string, message: RegExp, fix: RegExp) => {
    const problem = jvmOptionProblem(option)
    assert.ok(problem, `${option} is refused`)
    assert.match(problem.message, message)
    assert.match(problem.fix, fix)
  }
  refused('TieredStopAtLevel=1', /"TieredStopAtLevel=1" is not one JVM option/, /e\.g\. --jvm-option=-XX:TieredStopAtLevel=1/)
  refused('-XX:TieredStopAtLevel=1 -Xss1m', /is not one JVM option/, /per flag, without spaces/)
  refused('-Xmx2g', /-Xmx2g sizes the heap/, /--heap/)
  refused('-XX:MaxHeapSize=2g', /sizes the heap/, /--heap/)
  refused('-XX:MaxRAMPercentage=75', /sizes the heap/, /--heap/)
  refused('-Dkafka.logs.dir=/tmp/x', /what kafkaplane sets for each node/, /leave it out/)
  refused('-XX:SharedArchiveFile=/tmp/x.jsa', /what kafkaplane sets/, /leave it out/)
})
