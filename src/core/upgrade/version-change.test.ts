import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaplaneError } from '../errors.ts'
import { checkVersionChange, compareKafkaVersions, isKafkaVersion, metadataLevelToFinalize, parseMetadataVersionLine } from './version-change.ts'

const v411 = { version: '4.1.1', metadata: { level: 27, name: '4.1-IV1' } }
const v440 = { version: '4.4.0', metadata: { level: 33, name: '4.4-IV2' } }

describe('a Kafka version change', () => {
  it('compares versions by their numbers', () => {
    assert.equal(compareKafkaVersions('4.4.0', '4.1.1'), 1)
    assert.equal(compareKafkaVersions('4.1.1', '4.10.0'), -1)
    assert.equal(compareKafkaVersions('4.1', '4.1.0'), 0)
    assert.ok(isKafkaVersion('4.4.0') && !isKafkaVersion('4.4') && !isKafkaVersion('latest'))
  })

  it('allows an upgrade, and a roll back while the metadata.version was not raised', () => {
    assert.equal(checkVersionChange('4.1.1', v440, { level: 27 }), 'upgrade')
    assert.equal(checkVersionChange('4.4.0', v411, { level: 27, name: '4.1-IV1' }), 'downgrade')
    assert.equal(checkVersionChange('4.4.0', v440, { level: 33 }), 'same')
  })

  it('refuses a roll back below a finalized metadata.version, naming both levels and the fix', () => {
    assert.throws(
      () => checkVersionChange('4.4.0', v411, { level: 33, name: '4.4-IV2' }),
      (err: unknown) =>
        isKafkaplaneError(err) &&
        err.code === 'VERSION_CHANGE_REFUSED' &&
        err.exitCode === 2 &&
        /Kafka 4\.1\.1 cannot run this cluster: its newest metadata\.version is 4\.1-IV1 \(level 27\), and the cluster's is 4\.4-IV2 \(level 33\)/.test(err.message) &&
        /stay on Kafka 4\.4\.0/.test(err.fix),
    )
  })

  it('finalizes to the newest level every node supports, and only upwards', () => {
    assert.equal(metadataLevelToFinalize(27, new Map([[0, 33], [1, 33], [2, 33]])), 33)
    assert.equal(metadataLevelToFinalize(27, new Map([[0, 33], [1, 27], [2, 33]])), undefined, 'a node still on the old binary holds it back')
    assert.equal(metadataLevelToFinalize(33, new Map([[0, 33]])), undefined)
    assert.equal(metadataLevelToFinalize(27, new Map()), undefined)
  })

  it("reads kafka-storage version-mapping's metadata.version line", () => {
    assert.deepEqual(parseMetadataVersionLine('metadata.version=33 (4.4-IV2)\nkraft.version=1\n'), { level: 33, name: '4.4-IV2' })
    assert.deepEqual(parseMetadataVersionLine('SLF4J: x\nmetadata.version=27\n'), { level: 27 })
    assert.equal(parseMetadataVersionLine('usage: ...'), undefined)
  })
})
