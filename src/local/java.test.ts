import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseJavaVersion } from './java.ts'

test('parses modern and legacy java -version banners', () => {
  assert.deepEqual(parseJavaVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime'), { version: '17.0.15', major: 17 })
  assert.deepEqual(parseJavaVersion('java version "1.8.0_401"'), { version: '1.8.0_401', major: 8 })
  assert.deepEqual(parseJavaVersion('openjdk version "21" 2023-09-19'), { version: '21', major: 21 })
  assert.equal(parseJavaVersion('command not found'), undefined)
})
