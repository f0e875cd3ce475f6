import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isKafkaplaneError } from '../errors.ts'
import { cordoningSupported, CORDONING_MIN_METADATA, KAFKA_RELEASE_LINES, knownReleaseMetadata, namedLevel } from './kafka-releases.ts'
import { checkWantedVersion, compareKafkaVersions } from './version-change.ts'

describe('the Kafka release lines kafkaplane knows', () => {
  it('lists each line once, in order, each newer line with a higher newest level', () => {
    for (let i = 1; i < KAFKA_RELEASE_LINES.length; i++) {
      assert.equal(compareKafkaVersions(KAFKA_RELEASE_LINES[i]!.line, KAFKA_RELEASE_LINES[i - 1]!.line), 1)
      assert.ok(KAFKA_RELEASE_LINES[i]!.metadata.level > KAFKA_RELEASE_LINES[i - 1]!.metadata.level)
    }
  })

  it('knows a version by its line; a newer line gets the newest known level as a lower bound; an older one nothing', () => {
    assert.deepEqual(knownReleaseMetadata('4.1.2'), { version: '4.1.2', metadata: { level: 27, name: '4.1-IV1' } })
    assert.deepEqual(knownReleaseMetadata('4.9.0'), { version: '4.9.0', metadata: { level: 33, name: '4.4-IV2' }, bound: true })
    assert.equal(knownReleaseMetadata('3.9.0'), undefined)
    assert.deepEqual(namedLevel(33), { level: 33, name: '4.4-IV2' })
    assert.deepEqual(namedLevel(31), { level: 31 })
  })
})

describe("the operator's check of spec.kafka.version", () => {
  const never = async () => assert.fail('an upgrade reads nothing from the cluster')
  const at = (level: number) => async () => namedLevel(level)

  it('lets an unchanged version and any upgrade through without reading the cluster', async () => {
    assert.equal(await checkWantedVersion(['4.1.1', '4.1.1'], '4.1.1', undefined, never), 'same')
    assert.equal(await checkWantedVersion(['4.1.1'], '4.4.0', knownReleaseMetadata('4.4.0'), never), 'upgrade')
    assert.equal(await checkWantedVersion(['4.1.1', '4.4.0'], '4.4.0', knownReleaseMetadata('4.4.0'), never), 'upgrade', 'a roll half done goes on')
    assert.equal(await checkWantedVersion(['4.4.0'], '4.9.0', undefined, never), 'upgrade', 'a line newer than the table')
  })

  it('allows a roll back while the metadata.version stays within the older release', async () => {
    assert.equal(await checkWantedVersion(['4.4.0', '4.4.0'], '4.1.1', knownReleaseMetadata('4.1.1'), at(27)), 'downgrade')
    assert.equal(await checkWantedVersion(['4.1.1', '4.4.0'], '4.1.1', knownReleaseMetadata('4.1.1'), at(27)), 'downgrade', 'a roll half done turned back')
  })

  it('refuses a roll back below the finalized metadata.version, and one to a line it does not know', async () => {
    await assert.rejects(checkWantedVersion(['4.4.0'], '4.1.1', knownReleaseMetadata('4.1.1'), at(33)), (err: unknown) =>
      isKafkaplaneError(err) && err.code === 'VERSION_CHANGE_REFUSED' && /4\.1-IV1 \(level 27\).*4\.4-IV2 \(level 33\)/.test(err.message),
    )
    await assert.rejects(checkWantedVersion(['4.1.1'], '3.9.0', knownReleaseMetadata('3.9.0'), at(27)), (err: unknown) =>
      isKafkaplaneError(err) && err.code === 'VERSION_CHANGE_REFUSED' && /Kafka 3\.9\.0 is older than Kafka 4\.1\.1/.test(err.message) && /kafka-releases\.ts/.test(err.fix),
    )
  })
})

describe('cordoning (KIP-1066)', () => {
  it('is applied from 4.3-IV0 on: not at the pinned 4.1 line, at 4.3 and 4.4', () => {
    assert.deepEqual(CORDONING_MIN_METADATA, KAFKA_RELEASE_LINES.find((r) => r.line === '4.3')!.metadata)
    assert.equal(cordoningSupported(27), false)
    assert.equal(cordoningSupported(29), false)
    assert.equal(cordoningSupported(30), true)
    assert.equal(cordoningSupported(33), true)
  })
})
