/**
 * `work`'s result, or a rejection ("no answer within N ms") when it has not settled after `ms`: for a
 * request that may hang (an address that stopped answering). The work itself goes on until its client
 * closes; only the wait ends.
 */
export function withTimeout<T>(ms: number, work: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    work().then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    )
  })
}
