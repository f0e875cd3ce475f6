/**
 * The readiness answers of a `probe serve`, reduced to their changes: `record` returns the line to log
 * for the first answer (when the kubelet first asked: its startup probe passed), when the answer
 * flipped (ready to not ready or back), or when it stayed not ready for another kind of reason (its
 * first words: "catching up", "partitions are under min.insync.replicas", ...), and undefined
 * otherwise, so a broker unready for ten minutes logs once, not forty times.
 */
export class ReadinessLog {
  #last: { ready: boolean; kind: string } | undefined

  record(ready: boolean, line: string): string | undefined {
    const kind = ready ? '' : reasonKind(line)
    const last = this.#last
    this.#last = { ready, kind }
    if (last === undefined) return `first answer: ${line}`
    if (last.ready !== ready) return `${ready ? 'became ready' : 'became NOT ready'}: ${line}`
    if (!ready && last.kind !== kind) return `still not ready, now: ${line}`
    return undefined
  }
}

/** A reason without its numbers and examples: what stays the same while the same condition lasts. */
function reasonKind(line: string): string {
  return line.replace(/\([^)]*\)/g, '').replace(/\d+/g, 'N').slice(0, 80)
}
