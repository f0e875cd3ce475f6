import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

let writes = 0

/**
 * Writes `value` as JSON to `file` atomically: a crash leaves the old file or the new one, never half
 * of one. Each write goes through a temp file of its own, so that two at once never rename each other's
 * away (that failed a campaign run with ENOENT); the last rename wins.
 */
export async function writeJsonAtomically(file: string, value: unknown, indent = 2): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.${++writes}.tmp`
  await writeFile(tmp, JSON.stringify(value, null, indent) + '\n')
  await rename(tmp, file)
}
