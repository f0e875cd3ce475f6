/**
 * The brokers' start script (broker-config-map.ts START_SCRIPT), run by a real `sh` with its fixed
 * paths moved into a temp dir and Kafka's two scripts replaced by ones that print what they were given.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DATA_DIR } from '../model/kafka-cluster-model.ts'
import { CONFIG_MOUNT, KAFKA_HOME, RUN_DIR, START_SCRIPT } from './broker-config-map.ts'
import { CONTROLLER_START_SCRIPT } from './controller-config-map.ts'

/** A start script with its fixed paths moved into a temp dir holding a fake Kafka 4.1.1 whose scripts print what they were given. */
function scriptBed(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'start-script-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const paths = { config: join(dir, 'config'), run: join(dir, 'run'), kafka: join(dir, 'kafka'), data: join(dir, 'data') }
  for (const p of [paths.config, paths.run, join(paths.kafka, 'bin'), join(paths.kafka, 'libs'), paths.data]) mkdirSync(p, { recursive: true })
  const script = join(dir, 'start.sh')
  writeFileSync(script, text.replaceAll(CONFIG_MOUNT, paths.config).replaceAll(RUN_DIR, paths.run).replaceAll(KAFKA_HOME, paths.kafka).replaceAll(DATA_DIR, paths.data))
  const fake = (name: string, body: string) => {
    writeFileSync(join(paths.kafka, 'bin', name), `#!/bin/sh\n${body}\n`)
    chmodSync(join(paths.kafka, 'bin', name), 0o755)
  }
  fake('kafka-storage.sh', `echo "format $*" >> ${join(dir, 'calls')}`)
  fake('kafka-server-start.sh', 'echo "start $1"; cat "$1"')
  writeFileSync(join(paths.kafka, 'libs', 'kafka-server-4.1.1.jar'), '')
  writeFileSync(join(paths.kafka, 'libs', 'kafka-server-common-4.1.1.jar'), '')
  return { dir, paths, script }
}

describe('the broker start script', () => {
  const { dir, paths, script } = scriptBed(START_SCRIPT)
  writeFileSync(join(paths.config, 'broker-101.properties'), '# broker 101\nnode.id=101\nbroker.rack=a\nadvertised.listeners=INTERNAL://payments-k8s-2-101.x.svc:9092,EXTERNAL://{podIP}:9094\n')
  const start = (env: Record<string, string>) => spawnSync('sh', [script], { env: { PATH: process.env.PATH, KAFKAPLANE_CLUSTER_ID: 'abc', KAFKAPLANE_BROKER_ID: '101', ...env }, encoding: 'utf8' })

  it('starts its broker with the pod zone as rack and the pod IP where {podIP} stands, formatting once with the cluster id', () => {
    const run = start({ KAFKAPLANE_ZONE: 'b', KAFKAPLANE_POD_IP: '10.244.5.7', KAFKAPLANE_KAFKA_VERSION: '4.1.1' })
    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stdout, /^start .*server\.properties\n/)
    assert.match(run.stdout, /^broker\.rack=b$/m)
    assert.doesNotMatch(run.stdout, /^broker\.rack=a$/m)
    assert.match(run.stdout, /^advertised\.listeners=INTERNAL:\/\/payments-k8s-2-101\.x\.svc:9092,EXTERNAL:\/\/10\.244\.5\.7:9094$/m)
    assert.match(run.stderr, /runs in zone b, planned in a/)
    assert.match(readFileSync(join(dir, 'calls'), 'utf8'), /^format format --cluster-id abc --config \S+server\.properties --ignore-formatted$/m)
  })

  it('refuses an image whose Kafka is not spec.kafka.version, naming both', () => {
    const run = start({ KAFKAPLANE_ZONE: 'b', KAFKAPLANE_POD_IP: '10.244.5.7', KAFKAPLANE_KAFKA_VERSION: '4.0.0' })
    assert.equal(run.status, 1)
    assert.match(run.stderr, /spec\.kafka\.version is 4\.0\.0, but this image holds Kafka 4\.1\.1: set spec\.kafka\.version to 4\.1\.1/)
    assert.doesNotMatch(run.stdout, /^start/m)
  })

  it('refuses to advertise {podIP} without the pod IP', () => {
    const run = start({ KAFKAPLANE_KAFKA_VERSION: '4.1.1' })
    assert.notEqual(run.status, 0)
    assert.match(run.stderr, /the pod IP is missing/)
    assert.doesNotMatch(run.stdout, /^start/m)
  })
})

describe("a dedicated controller's start script", () => {
  const { dir, paths, script } = scriptBed(CONTROLLER_START_SCRIPT)
  writeFileSync(join(paths.config, 'controller-90.properties'), '# controller 90\nnode.id=90\nprocess.roles=controller\n')
  const start = (env: Record<string, string>) => spawnSync('sh', [script], { env: { PATH: process.env.PATH, KAFKAPLANE_CLUSTER_ID: 'abc', KAFKAPLANE_CONTROLLER_ID: '90', ...env }, encoding: 'utf8' })

  it('starts its controller as it is, formatting once, and writes when it started it (ms since the epoch) for the readiness probe', () => {
    const before = Date.now()
    const run = start({ KAFKAPLANE_KAFKA_VERSION: '4.1.1' })
    assert.equal(run.status, 0, run.stderr)
    assert.equal(run.stdout, `start ${join(paths.config, 'controller-90.properties')}\n# controller 90\nnode.id=90\nprocess.roles=controller\n`)
    assert.match(readFileSync(join(dir, 'calls'), 'utf8'), /^format format --cluster-id abc --config \S+controller-90\.properties --ignore-formatted$/m)
    const startedAt = Number(readFileSync(join(paths.run, 'started-at'), 'utf8'))
    assert.ok(startedAt >= before - 1 && startedAt <= Date.now(), `started-at ${startedAt} is the start, in ms`)
  })

  it('refuses an id it has no properties for, and an image of another Kafka version', () => {
    const unknown = start({ KAFKAPLANE_CONTROLLER_ID: '91' })
    assert.equal(unknown.status, 1)
    assert.match(unknown.stderr, /no properties for controller 91 in this ConfigMap/)
    const other = start({ KAFKAPLANE_KAFKA_VERSION: '4.0.0' })
    assert.equal(other.status, 1)
    assert.match(other.stderr, /spec\.kafka\.version is 4\.0\.0, but this image holds Kafka 4\.1\.1/)
    assert.doesNotMatch(other.stdout, /^start/m)
  })
})
