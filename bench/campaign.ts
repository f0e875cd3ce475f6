/**
 * The seeded fault campaign (issue 10), many runs: each a random real cluster, topics, operation and
 * faults drawn from its seed (src/core/verify/campaign-scenario.ts), played by
 * test/integration/support/campaign.ts.
 *
 *   bench/run campaign [--runs N] [--seed S | --seeds S,T,...] [--quiet] [--log-dir DIR]
 *
 * Seeds are S, S+1, ... (random without --seed), or the list given; `--runs 1 --seed S` replays one run. Prints each run's
 * scenario and what happened as it goes (--quiet: only the result lines; --log-dir keeps each run's events and
 * the operation's whole output in DIR/campaign-<seed>.log), a line per run, then the
 * totals (runs, lost, stuck, stale throttles; targets 0, 0, 0) and what failed, by check and by defect of
 * issue 10 (or "new" when no known defect explains it). Exit 0 whatever the runs found: figures only.
 */
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { KNOWN_DEFECTS } from '../src/core/verify/campaign-verdict.ts'
import { campaignLine, runCampaign, type CampaignRun } from '../test/integration/support/campaign.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, seed: { type: 'string' }, seeds: { type: 'string' }, quiet: { type: 'boolean' }, 'log-dir': { type: 'string' } } })
const first = values.seed === undefined ? Math.floor(Math.random() * 0xffff_0000) : Number(values.seed)
const seeds = values.seeds === undefined ? Array.from({ length: Number(values.runs) }, (_, i) => (first + i) >>> 0) : values.seeds.split(',').map(Number)
if (seeds.length === 0 || !seeds.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffffffff)) throw new Error('usage: bench/run campaign [--runs N] [--seed S | --seeds S,T,...]')

console.log(`machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${seeds.length} runs, seeds ${seeds.join(', ')}`)
const results: CampaignRun[] = []
for (const seed of seeds) {
  const result = await runCampaign(seed, { log: values.quiet ? undefined : (line) => console.log(`  ${line}`), ...(values['log-dir'] ? { logDir: values['log-dir'] } : {}) })
  results.push(result)
  console.log(campaignLine(result))
  for (const line of result.gaveUp) console.log(`  seed ${seed} operation ${line}`)
  for (const f of result.failures.filter((f) => f.check === 'harness')) console.log(`  seed ${seed} runner: ${f.detail}`)
}

const sum = (f: (r: CampaignRun) => number) => results.reduce((s, r) => s + f(r), 0)
console.log('')
console.log(`runs ${results.length}, ok ${results.filter((r) => r.ok).length}, void ${results.filter((r) => r.void).length}; lost ${sum((r) => r.lost)} (in ${results.filter((r) => r.lost > 0).length} runs), stuck ${results.filter((r) => r.stuck).length}, stale throttles ${results.filter((r) => r.staleThrottles > 0).length} runs`)
const recovered = results.filter((r) => r.gaveUp.length > 0 && !r.stuck)
console.log(`operation runs that exited non-zero under faults, then finished when run again: ${recovered.length} runs (seeds ${recovered.map((r) => r.seed).join(', ') || '-'})`)
const byCause = new Map<string, number[]>()
for (const r of results) {
  for (const f of r.failures) {
    const cause = f.check === 'harness' ? 'the runner (not kafkaplane): run void' : f.defect === undefined ? 'NEW (no known defect)' : `defect ${f.defect}: ${KNOWN_DEFECTS[f.defect]}`
    const key = `${f.check} | ${cause} | ${r.scenario.operation.kind}`
    byCause.set(key, [...(byCause.get(key) ?? []), r.seed])
  }
}
if (byCause.size > 0) {
  console.log('\nfailures (check | cause | operation: seeds)')
  for (const [key, seeds] of [...byCause].sort()) console.log(`  ${key}: ${seeds.join(', ')}`)
}
