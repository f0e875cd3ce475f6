import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { recipeHash, type ImageRecipe } from './oci-image.ts'

test('the image cache key: the same sources in two checkouts make one key; a changed file or destination makes another', async () => {
  const root = await mkdtemp(join(tmpdir(), 'oci-key-'))
  try {
    const checkout = async (name: string, content: string) => {
      const dir = join(root, name, 'src')
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'main.ts'), content)
      return dir
    }
    const recipe = (from: string, to = 'opt/app/src'): ImageRecipe => ({ name: 'local/app', tag: '1', entries: [{ kind: 'copy', from, to }], entrypoint: [], env: {}, user: '1000', workdir: '/opt/app' })
    const [a, b, c] = await Promise.all([checkout('a', 'x'), checkout('b', 'x'), checkout('c', 'y')])
    assert.equal(await recipeHash(recipe(a)), await recipeHash(recipe(b)), 'a clean clone elsewhere reuses the image')
    assert.notEqual(await recipeHash(recipe(a)), await recipeHash(recipe(c)), 'a changed file makes a new image')
    assert.notEqual(await recipeHash(recipe(a)), await recipeHash(recipe(a, 'opt/other')), 'a new destination makes a new image')
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})
