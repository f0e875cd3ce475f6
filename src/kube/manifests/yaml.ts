import { stringify } from 'yaml'

/**
 * A Kubernetes object as the YAML kafkaplane prints (render, install, the Helm chart's CRDs): no line
 * folding, and no anchors or aliases where generators share an object (labels, selectors, security
 * contexts), so each document reads on its own and diffs line by line.
 */
export function manifestYaml(object: unknown): string {
  return stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })
}
