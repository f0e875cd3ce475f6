import assert from 'node:assert/strict'

/** One sample line of a Prometheus text exposition. */
export interface Line {
  name: string
  labels: Record<string, string>
  value: number
}

/** The sample lines of a Prometheus text exposition. */
export function parse(text: string): Line[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(l)
      assert.ok(m, `not a sample line: ${l}`)
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]))
      return { name: m[1]!, labels, value: Number(m[3]) }
    })
}

/** The value of the first sample named `name` whose labels include `labels`. */
export function value(lines: Line[], name: string, labels: Record<string, string> = {}): number | undefined {
  return lines.find((l) => l.name === name && Object.entries(labels).every(([k, v]) => l.labels[k] === v))?.value
}

/** GET `url`: a 200 with a text exposition, parsed. */
export async function scrape(url: string): Promise<Line[]> {
  const response = await fetch(url)
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
  return parse(await response.text())
}
