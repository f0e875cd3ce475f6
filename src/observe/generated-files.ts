/**
 * Files in the repository generated from a TypeScript source (the alert rules, the Grafana dashboard):
 * `node <source>` writes them, `node <source> --check` exits 1 naming each one that differs.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The header of a generated YAML file: where it comes from and which test checks it. */
export function generatedHeader(source: string, test: string): string {
  return `# Generated from ${source}: do not edit by hand.\n# Regenerate: node ${source} (${test} fails when this file differs).\n`
}

/** The repository-relative paths of `files` whose content on disk is missing or differs. */
export function staleFiles(files: ReadonlyMap<string, string>, root = REPOSITORY_ROOT): string[] {
  return [...files].filter(([path, text]) => readOrUndefined(`${root}${path}`) !== text).map(([path]) => path)
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The command line of a generator: writes `files`, or with --check reports the stale ones. Returns the exit code. */
export function generate(source: string, files: ReadonlyMap<string, string>, argv: readonly string[]): number {
  if (argv.includes('--check')) {
    const stale = staleFiles(files)
    for (const path of stale) process.stderr.write(`${path} differs from ${source} (fix: node ${source})\n`)
    return stale.length === 0 ? 0 : 1
  }
  for (const [path, text] of files) writeFileSync(`${REPOSITORY_ROOT}${path}`, text)
  process.stdout.write(`wrote ${[...files.keys()].join(', ')}\n`)
  return 0
}
