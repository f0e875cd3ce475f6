import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KafkaplaneError } from '../core/errors.ts'

/** The binaries of one pinned Kubernetes release, etcd and CoreDNS, built from source by `scripts/fetch-kube.sh`. */
export interface KubeBinaries {
  /** Directory holding every one of KUBE_BINARY_NAMES. */
  binDir: string
  /** How long locating (and, on a fresh machine, building) them took: milliseconds. */
  tookMs: number
}

export const KUBE_BINARY_NAMES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kubectl', 'coredns'] as const
export type KubeBinaryName = (typeof KUBE_BINARY_NAMES)[number]

const fetchScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'fetch-kube.sh')
let located: Promise<KubeBinaries> | undefined

/**
 * Runs `scripts/fetch-kube.sh`, which builds the binaries through the Go module proxy on first use
 * (15-30 minutes cold on 2 cores, then cached under $KAFKAPLANE_CACHE) and otherwise only prints where
 * they are. The script's progress goes to our stderr; its last stdout line is the bin directory.
 * Once per process: later calls return the first call's answer (a failure is not remembered).
 * Fails with KUBE_BINARIES_UNAVAILABLE naming the script's last words when it cannot build them.
 */
export function locateKubeBinaries(env: NodeJS.ProcessEnv = process.env): Promise<KubeBinaries> {
  located ??= runFetchScript(env).catch((err: unknown) => {
    located = undefined
    throw err
  })
  return located
}

/** The absolute path of one binary. */
export function kubeBinary(binaries: KubeBinaries, name: KubeBinaryName): string {
  return join(binaries.binDir, name)
}

function runFetchScript(env: NodeJS.ProcessEnv): Promise<KubeBinaries> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [fetchScript], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderrTail = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk)
      stderrTail = (stderrTail + chunk).slice(-4000)
    })
    const fail = (message: string, detail: string, cause?: unknown) =>
      reject(
        new KafkaplaneError('KUBE_BINARIES_UNAVAILABLE', message, {
          fix: 'read the fetch-kube output above: it needs Go (tools/kube/go.mod names the version) and the Go module proxy; then run scripts/fetch-kube.sh again',
          detail,
          cause,
        }),
      )
    child.once('error', (err) => fail(`could not run ${fetchScript}: ${err.message}`, '', err))
    child.once('close', (code, signal) => {
      const tail = stderrTail.trim().split('\n').slice(-10).join('\n')
      if (code !== 0) return fail(`${fetchScript} failed (${signal ?? `exit code ${code}`}): the Kubernetes test binaries are not built`, tail)
      const binDir = stdout.trim().split('\n').at(-1)?.trim() ?? ''
      const missing = KUBE_BINARY_NAMES.filter((name) => !existsSync(join(binDir, name)))
      if (binDir === '' || missing.length > 0) {
        return fail(`${fetchScript} named '${binDir}' as its bin directory, which lacks ${missing.join(', ')}`, tail)
      }
      resolve({ binDir, tookMs: Math.round(performance.now() - started) })
    })
  })
}
