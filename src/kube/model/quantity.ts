/**
 * Kubernetes resource quantities (`8Gi`, `500M`, `1.5`, `2e3`) as numbers, the way the API server reads
 * them: binary suffixes Ki..Ei are powers of 1024, decimal ones m, k, M..E powers of 1000. The text has
 * already matched QUANTITY_PATTERN (the CRD schema), so this only converts.
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 }
const DECIMAL: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 }

export function parseQuantity(text: string): number {
  const match = /^\+?([0-9]*\.?[0-9]*)(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/.exec(text)
  if (!match || match[1] === '' || match[1] === '.') throw new Error(`not a quantity: ${text}`)
  const base = Number(match[1])
  if (match[2] !== undefined) return base * 10 ** Number(match[2])
  const suffix = match[3] ?? ''
  return base * (BINARY[suffix] ?? DECIMAL[suffix]!)
}

/** Whole MiB, rounded down (JVM flags: `-Xmx4096m`). */
export function toMebibytes(bytes: number): number {
  return Math.floor(bytes / 2 ** 20)
}
