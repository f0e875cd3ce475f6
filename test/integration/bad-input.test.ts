/**
 * Every bad input of the local runtime gets a clear error naming the cause and the fix, with the
 * right exit code, and changes nothing: no data dir is created, no broker is left running.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdir, readdir, readFile, symlink, truncate, unlink, writeFile } from 'node:fs/promises'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { layoutBrokers } from '../../src/core/topology/layout.ts'
import { isAlive } from '../../src/local/broker-process.ts'
import { readClusterState } from '../../src/local/cluster-state.ts'
import { LocalCluster } from '../../src/local/local-cluster.ts'
import { KAFKA_POM, pomKafkaVersion } from '../../src/local/kafka-distribution.ts'
import { cacheDir } from '../../src/local/paths.ts'
import { freeBasePort, isFree, killClusterIn, removeDir, tempDir } from './support/clusters.ts'
import { runCli, type CliResult } from './support/cli.ts'

function expectError(result: CliResult, exitCode: number, code: string, message: RegExp, fix: RegExp) {
  assert.equal(result.code, exitCode, `exit code; stderr: ${result.stderr}`)
  assert.match(result.stderr, new RegExp(`error \\[${code}\\]`), result.stderr)
  assert.match(result.stderr, message)
  assert.match(result.stderr, new RegExp(`fix: .*${fix.source}`), result.stderr)
}

/** Java processes whose command line mentions `dir`: none may outlive a failed start. */
async function javaProcessesUnder(dir: string): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmdline.includes('kafka.Kafka') && cmdline.includes(dir) && isAlive(Number(entry))) pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

const realJavaHome = process.env.JAVA_HOME || '/usr/lib/jvm/java-17-openjdk-amd64'

describe('bad command-line input exits 2 and creates nothing', { timeout: 300_000 }, () => {
  let stateHome: string
  let env: NodeJS.ProcessEnv
  before(async () => {
    stateHome = await tempDir('bad-flags')
    env = { ...process.env, XDG_STATE_HOME: stateHome }
  })
  after(() => removeDir(stateHome))

  const cases: [string[], RegExp, RegExp][] = [
    [['up', '--brokers', '0'], /--brokers 0 is not a whole number between 1 and 99/, /--brokers N/],
    [['up', '--brokers', 'six'], /--brokers six/, /--brokers N/],
    [['up', '--zones', 'a,,b'], /--zones "a,,b" has an empty item/, /comma-separated/],
    [['up', '--clusters', 'k8s-1,k8s-1'], /names "k8s-1" twice/, /once/],
    [['up', '--topology', 'x.yaml', '--zones', 'a'], /--topology cannot be combined/, /either a topology file/],
    [['up', '--topology', '/nonexistent/topology.yaml'], /cannot read topology file \/nonexistent\/topology.yaml: ENOENT/, /existing topology file/],
    [['up', '--bogus'], /Unknown option '--bogus'/, /kafkaplane up --help/],
    [['up', '--config', 'broker.rack=x'], /--config broker.rack cannot be set/, /--topology/],
    [['up', '--config', 'novalue'], /--config "novalue" is not key=value/, /key=value/],
    [['up', '--heap', 'lots'], /--heap lots is not a JVM heap size/, /512m/],
    [['up', '--jvm-option=-Xmx2g'], /--jvm-option -Xmx2g sizes the heap/, /--heap SIZE/],
    [['up', '--jvm-option', 'TieredStopAtLevel=1'], /"TieredStopAtLevel=1" is not one JVM option/, /--jvm-option=-XX:TieredStopAtLevel=1/],
    [['up', '--dashboard', '--detach'], /--dashboard serves the live view from this process/, /leave out --detach/],
    [['up', '--dashboard-port', '70000'], /--dashboard-port 70000/, /--dashboard-port N/],
    [['up', '--base-port', '80'], /--base-port 80 is not a whole number between 1024 and 32767/, /--base-port N/],
    [['up', 'now'], /takes no arguments, got "now"/, /--help/],
  ]
  for (const [args, message, fix] of cases) {
    test(`kafkaplane ${args.join(' ')}`, async () => {
      expectError(await runCli(args, { env }), 2, args.includes('--topology') && !args.includes('--zones') ? 'BAD_TOPOLOGY' : 'BAD_ARGUMENT', message, fix)
      assert.deepEqual(await readdir(stateHome), [], 'nothing was created')
    })
  }

  test('a topology file with a duplicate broker id and a misspelt dimension', async () => {
    const file = join(stateHome, '..', `topology-${process.pid}.yaml`)
    await writeFile(file, 'dimensions: [cluster, zone]\nbrokers:\n  - {id: 0, cluster: k8s-1, zone: a}\n  - {id: 0, cluster: k8s-2, zome: b}\n')
    try {
      expectError(await runCli(['up', '--topology', file], { env }), 2, 'BAD_TOPOLOGY', /broker id 0 is listed twice.*has "zome", which is not a dimension/, /correct/)
      assert.deepEqual(await readdir(stateHome), [])
    } finally {
      await unlink(file)
    }
  })

  test('an unknown command', async () => {
    const result = await runCli(['upp'], { env })
    assert.equal(result.code, 2)
    assert.match(result.stderr, /unknown command "upp"\nfix: use one of: up, down, fetch/)
  })

  test('--help of every verb and --version exit 0', async () => {
    for (const verb of ['up', 'down', 'fetch']) {
      const help = await runCli([verb, '--help'], { env })
      assert.equal(help.code, 0)
      assert.match(help.stdout, new RegExp(`^Usage: kafkaplane ${verb}`))
    }
    const version = await runCli(['--version'], { env })
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^kafkaplane \d+\.\d+\.\d+\n$/)
  })
})

describe('a missing or broken environment exits 1 with the fix', { timeout: 300_000 }, () => {
  let scratch: string
  before(async () => {
    scratch = await tempDir('env')
    await mkdir(join(scratch, 'empty-bin'))
  })
  after(() => removeDir(scratch))

  test('no java', async () => {
    const env = { ...process.env, PATH: join(scratch, 'empty-bin'), JAVA_HOME: '', XDG_STATE_HOME: join(scratch, 'state') }
    expectError(await runCli(['up', '--brokers', '1'], { env }), 1, 'JAVA_MISSING', /Java 17\+ is needed .*no `java` on PATH/, /install a JDK 17/)
    assert.equal(existsSync(join(scratch, 'state')), false)
  })

  test('JAVA_HOME pointing nowhere', async () => {
    const env = { ...process.env, JAVA_HOME: join(scratch, 'no-jdk') }
    expectError(await runCli(['fetch'], { env }), 1, 'JAVA_MISSING', /JAVA_HOME=.*no-jdk/, /point JAVA_HOME at a JDK 17/)
  })

  test('no maven to fetch the jars with', async () => {
    const env = { ...process.env, PATH: join(scratch, 'empty-bin'), JAVA_HOME: realJavaHome, KAFKAPLANE_CACHE: join(scratch, 'cache-no-mvn') }
    expectError(await runCli(['fetch'], { env }), 1, 'MAVEN_MISSING', /Maven \(`mvn`\) is needed/, /apt-get install maven.*KAFKA_HOME/)
  })

  test('Maven Central unreachable', async () => {
    const closed = await closedPort()
    const cache = join(scratch, 'cache-offline')
    const env = {
      ...process.env,
      KAFKAPLANE_CACHE: cache,
      KAFKAPLANE_MAVEN_REPOSITORY: `http://127.0.0.1:${closed}/maven2`,
      MAVEN_OPTS: `-Dmaven.repo.local=${join(scratch, 'empty-m2')}`,
    }
    const result = await runCli(['fetch'], { env })
    expectError(result, 1, 'MAVEN_FAILED', new RegExp(`Maven could not reach http://127.0.0.1:${closed}/maven2`), /check the network or your Maven proxy settings/)
    assert.deepEqual(existsSync(cache) ? (await readdir(cache)).filter((f) => f.startsWith('kafka-')) : [], [], 'no half-filled jar cache is left')
  })

  test('KAFKA_HOME that is not a Kafka distribution', async () => {
    const env = { ...process.env, KAFKA_HOME: join(scratch, 'not-kafka') }
    expectError(await runCli(['fetch'], { env }), 1, 'KAFKA_HOME_INVALID', /not-kafka is not a Kafka distribution/, /unpacked Kafka 4.x distribution/)
  })

  test('a broken jar cache is reported, not used, and `fetch --force` repairs it', async () => {
    const version = await pomKafkaVersion(KAFKA_POM)
    const cache = join(scratch, 'cache-broken')
    await cp(join(cacheDir(), `kafka-${version}`), join(cache, `kafka-${version}`), { recursive: true })
    const jar = join(cache, `kafka-${version}`, `kafka-clients-${version}.jar`)
    await truncate(jar, 1000)
    const dataDir = join(scratch, 'never-created')
    const env = { ...process.env, KAFKAPLANE_CACHE: cache }
    expectError(
      await runCli(['up', '--brokers', '1', '--data-dir', dataDir], { env }),
      1,
      'KAFKA_JARS_BROKEN',
      new RegExp(`jar cache .*kafka-${version} is broken: kafka-clients-${version}.jar has 1000 bytes`),
      /kafkaplane fetch --force/,
    )
    assert.equal(existsSync(dataDir), false)
    await unlink(jar)
    expectError(await runCli(['fetch'], { env }), 1, 'KAFKA_JARS_BROKEN', new RegExp(`kafka-clients-${version}.jar is missing`), /fetch --force/)
    const repaired = await runCli(['fetch', '--force'], { env })
    assert.equal(repaired.code, 0, repaired.stderr)
    assert.match(repaired.stdout, new RegExp(`kafka ${version.replace(/\./g, '\\.')} \\(maven\\)`))
    assert.equal((await runCli(['fetch'], { env })).code, 0)
  })
})

describe('conflicts with ports and data dirs, on a real cluster', { timeout: 600_000 }, () => {
  let scratch: string
  let dataDir: string
  let kafkaHome: string
  let basePort: number
  let clusterId: string
  before(async () => {
    scratch = await tempDir('conflicts')
    dataDir = join(scratch, 'cluster')
    // An "ordinary Kafka distribution" for KAFKA_HOME: a folder whose libs/ holds Kafka's jars.
    kafkaHome = join(scratch, 'kafka-home')
    await mkdir(kafkaHome)
    await symlink(join(cacheDir(), `kafka-${await pomKafkaVersion(KAFKA_POM)}`), join(kafkaHome, 'libs'))
    basePort = await freeBasePort(3)
    const cluster = await LocalCluster.start({
      topology: layoutBrokers(3, [{ name: 'zone', values: ['a', 'b', 'c'] }]),
      dataDir,
      basePort,
      heap: '384m',
      cacheDir: join(scratch, 'unused-cache'),
      env: { ...process.env, KAFKA_HOME: kafkaHome },
    })
    process.once('exit', () => cluster.killAllNow())
    clusterId = cluster.clusterId
    assert.equal(cluster.pids().size, 3, 'a cluster runs from KAFKA_HOME')
    assert.equal(existsSync(join(scratch, 'unused-cache')), false, 'KAFKA_HOME needs no download')
    await cluster.stop()
  })
  after(async () => {
    await killClusterIn(dataDir)
    await removeDir(scratch)
  })

  test('a port in use, broker or controller, is named before anything starts', async () => {
    for (const taken of [basePort + 1, basePort + 101]) {
      const server = await listen(taken)
      try {
        const fresh = join(scratch, `fresh-${taken}`)
        expectError(
          await runCli(['up', '--brokers', '3', '--zones', 'a,b,c', '--base-port', String(basePort), '--data-dir', fresh]),
          2,
          'PORT_IN_USE',
          new RegExp(`port ${taken} \\(node 1 (broker|controller) listener\\) is already in use`),
          /--base-port/,
        )
        assert.equal(existsSync(fresh), false, 'nothing was created')
      } finally {
        server.close()
      }
    }
  })

  test('a kept data dir asked to start with another layout', async () => {
    expectError(await runCli(['up', '--data-dir', dataDir, '--brokers', '4']), 2, 'DATA_DIR_CONFLICT', /holds a cluster of 3 brokers/, /drop the layout flags/)
  })

  test('a data dir that is not a kafkaplane cluster', async () => {
    const foreign = join(scratch, 'foreign')
    await mkdir(foreign)
    await writeFile(join(foreign, 'notes.txt'), 'mine')
    expectError(await runCli(['up', '--data-dir', foreign]), 2, 'DATA_DIR_CONFLICT', /is not empty and holds no kafkaplane cluster/, /new or empty --data-dir/)
    assert.deepEqual(await readdir(foreign), ['notes.txt'])
  })

  test('node storage from another cluster id', async () => {
    const meta = join(dataDir, 'node-1', 'data', 'meta.properties')
    const original = await readFile(meta, 'utf8')
    await writeFile(meta, original.replace(/^cluster\.id=.*$/m, 'cluster.id=AnotherClusterIdAAAAAA'))
    try {
      expectError(
        await runCli(['up', '--data-dir', dataDir], { env: { ...process.env, KAFKA_HOME: kafkaHome } }),
        2,
        'DATA_DIR_CONFLICT',
        new RegExp(`node-1/data belongs to Kafka cluster AnotherClusterIdAAAAAA, but .*cluster.json is cluster ${clusterId}`),
        /another --data-dir/,
      )
      assert.deepEqual(await javaProcessesUnder(dataDir), [])
    } finally {
      await writeFile(meta, original)
    }
  })

  test('a node that fails to start tears the half-started cluster down and shows its log', async () => {
    const meta = join(dataDir, 'node-2', 'data', 'meta.properties')
    const original = await readFile(meta, 'utf8')
    await writeFile(meta, original.replace(/^node\.id=.*$/m, 'node.id=99'))
    try {
      const result = await runCli(['up', '--data-dir', dataDir, '--timeout-seconds', '90'], { env: { ...process.env, KAFKA_HOME: kafkaHome } })
      expectError(result, 1, 'BROKER_START_FAILED', /node 2 exited while starting/, /read the node's log/)
      assert.match(result.stderr, /node-2\/logs\/(stdout|server)\.log \(last lines\)/)
      assert.match(result.stderr, /99/, 'the log tail shows the mismatching node id')
      assert.deepEqual(await javaProcessesUnder(dataDir), [], 'no broker of the half-started cluster is left')
      assert.deepEqual((await readClusterState(dataDir))!.pids, {})
    } finally {
      await writeFile(meta, original)
    }
  })

  test('the repaired data dir starts again as it was', async () => {
    const result = await runCli(['up', '--detach', '--data-dir', dataDir], { env: { ...process.env, KAFKA_HOME: kafkaHome } })
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`cluster ${clusterId} is ready`))
    const down = await runCli(['down', '--data-dir', dataDir])
    assert.equal(down.code, 0, down.stderr)
    assert.deepEqual(await javaProcessesUnder(dataDir), [])
  })
})

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port, host: '127.0.0.1' }, () => resolve(server))
  })
}

async function closedPort(): Promise<number> {
  for (;;) {
    const port = 30000 + Math.floor(Math.random() * 2000)
    if (await isFree(port)) return port
  }
}
