import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** Runs a file; resolves with its exit code and output (never rejects). */
export function exec(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }))
  })
}

/** The directory a scripts/fetch-*.sh prints last (it builds the tool from the Go module proxy on first use). */
export async function fetchedBin(script: string): Promise<string> {
  const r = await exec('bash', [join(root, 'scripts', script)])
  assert.equal(r.code, 0, r.stderr)
  return r.stdout.trim().split('\n').at(-1)!
}
