import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BuiltEntryPoint, buildEntryPoint, runUntilExit } from './exporter-process.js'

const FAKE_VERSION = join(import.meta.dirname, 'fixtures/fake-node-version.cjs')

// The built entry points as an older Node.js runs them: the version is faked by a preload, everything
// else is the real process.
describe('on a Node.js older than package.json engines', () => {
  let entry: BuiltEntryPoint
  beforeAll(async () => {
    entry = await buildEntryPoint()
  }, 120_000)
  afterAll(() => entry?.remove())

  const asNode = (version: string, script: string) =>
    runUntilExit(['node', '--require', FAKE_VERSION, join(entry.dir, 'dist/src', script)], {
      env: { FAKE_NODE_VERSION: version, CALLBACK_TOKEN: 'x'.repeat(32) },
    })

  it('the exporter stops at once, naming the version it needs and the one it found', async () => {
    const result = await asNode('20.18.1', 'main.js')
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'tencent-chat-exporter: needs Node.js 20.19.0 or later, this is Node.js 20.18.1: upgrade Node.js, or run the container image\n',
    )
    // Nothing else ran: no log line, so not even the configuration was read.
    expect(result.stdout).toBe('')
  })

  it('the Docker HEALTHCHECK reports the same and fails', async () => {
    const result = await asNode('18.20.4', 'healthcheck.js')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('unhealthy: needs Node.js 20.19.0 or later, this is Node.js 18.20.4')
  })

  it('starts on the oldest version it supports', async () => {
    const result = await runUntilExit(
      ['node', '--require', FAKE_VERSION, entry.main],
      // A configuration error makes the exporter exit by itself, after the version check let it start.
      { env: { FAKE_NODE_VERSION: '20.19.0', PORT: 'not-a-port' } },
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('invalid configuration: PORT')
    expect(result.stderr).not.toContain('needs Node.js')
  })
})
