/**
 * The CustomResourceDefinitions of the operator's Helm chart (deploy/helm/kafkaplane-operator/crds/), generated
 * from src/kube/crds, the one place the schema is written, exactly as `kafkaplane install` prints them: one file
 * per CRD, named after it, behind a header saying how to regenerate it. Helm installs that folder before the
 * chart's templates and never upgrades or deletes it.
 *
 *   node src/kube/helm/chart-crds.ts           writes the files (and removes other .yaml files there)
 *   node src/kube/helm/chart-crds.ts --check   exits 1 naming each file that differs from what it would write
 *
 * test/integration/helm-chart.test.ts fails when the files differ.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { customResourceDefinitions } from '../crds/crd.ts'
import { manifestYaml } from '../manifests/yaml.ts'

export const CHART_CRDS_DIR = fileURLToPath(new URL('../../../deploy/helm/kafkaplane-operator/crds/', import.meta.url))

const HEADER = `# Generated from src/kube/crds by src/kube/helm/chart-crds.ts: do not edit by hand.
# Regenerate: node src/kube/helm/chart-crds.ts (test/integration/helm-chart.test.ts fails when this file differs).
`

/** File name -> content, in the order `kafkaplane install` prints the CRDs. */
export function chartCrdFiles(): Map<string, string> {
  const files = new Map<string, string>()
  for (const crd of customResourceDefinitions()) {
    const name = (crd.metadata as { name: string }).name
    files.set(`${name}.yaml`, `${HEADER}${manifestYaml(crd)}`)
  }
  return files
}

/** The names of the files in `dir` that differ from chartCrdFiles(): missing, changed, or not generated at all. */
export function staleChartCrdFiles(dir = CHART_CRDS_DIR): string[] {
  const want = chartCrdFiles()
  const have = new Set(readdirSync(dir).filter((f) => f.endsWith('.yaml')))
  const stale = [...want].filter(([name, text]) => !have.has(name) || readFileSync(`${dir}${name}`, 'utf8') !== text).map(([name]) => name)
  return [...stale, ...[...have].filter((name) => !want.has(name))]
}

function main(argv: readonly string[]): number {
  if (argv.includes('--check')) {
    const stale = staleChartCrdFiles()
    for (const name of stale) process.stderr.write(`${CHART_CRDS_DIR}${name} differs from src/kube/crds (fix: node src/kube/helm/chart-crds.ts)\n`)
    return stale.length === 0 ? 0 : 1
  }
  const want = chartCrdFiles()
  for (const name of readdirSync(CHART_CRDS_DIR).filter((f) => f.endsWith('.yaml') && !want.has(f))) rmSync(`${CHART_CRDS_DIR}${name}`)
  for (const [name, text] of want) writeFileSync(`${CHART_CRDS_DIR}${name}`, text)
  process.stdout.write(`wrote ${[...want.keys()].join(', ')} in ${CHART_CRDS_DIR}\n`)
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2))
