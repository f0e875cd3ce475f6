import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { mergePatchTo } from './merge-patch.ts'

/** RFC 7386's MergePatch, as the API server applies it. */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch
  const result: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = applyMergePatch(result[key], value)
  }
  return result
}

describe('a merge patch to an exact status', () => {
  it("removes a nested field the new status no longer has (status.roll's current batch)", () => {
    const current = { roll: { phase: 'rolling', current: { ids: [1] }, done: [] }, observedGeneration: 2 }
    const wanted = { roll: { phase: 'finished', done: [{ ids: [1] }] }, observedGeneration: 3 }
    const patch = mergePatchTo(current, wanted)
    assert.deepEqual(patch, { roll: { current: null, phase: 'finished', done: [{ ids: [1] }] }, observedGeneration: 3 })
    assert.deepEqual(applyMergePatch(current, patch), wanted)
  })

  it('leaves out what is unchanged: a field carried as it was read (status.roll, the roll workers\' own) is not in the patch, so an older read never puts it back', () => {
    const current = { roll: { phase: 'waiting', done: [{ ids: [1] }] }, conditions: [{ type: 'Ready', status: 'False' }], observedGeneration: 2 }
    const wanted = { roll: { phase: 'waiting', done: [{ ids: [1] }] }, conditions: [{ type: 'Ready', status: 'True' }], observedGeneration: 2 }
    assert.deepEqual(mergePatchTo(current, wanted), { conditions: [{ type: 'Ready', status: 'True' }] })
    assert.deepEqual(mergePatchTo(current, current), {})
  })

  it('applied to the current object, always gives the wanted one (property; no nulls in the wanted)', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string(), fc.boolean(), fc.array(tie('value'), { maxLength: 3 }), tie('object')),
      object: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'roll', 'current'), tie('value'), { maxKeys: 4 }),
    }))
    fc.assert(
      fc.property(json.object, json.object, (generatedCurrent, generatedWanted) => {
        // As JSON, as the API server has it (fast-check's dictionaries have no prototype).
        const [current, wanted] = [generatedCurrent, generatedWanted].map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>)
        assert.deepEqual(applyMergePatch(current, mergePatchTo(current, wanted!)), wanted)
      }),
    )
  })
})
