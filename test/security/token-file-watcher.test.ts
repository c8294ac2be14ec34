import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCallbackTokens, type ReplaceableTokens } from '../../src/auth/callback-tokens.js'
import { manualClock } from '../../src/clock.js'
import { createLogger } from '../../src/logging/logger.js'
import { type TokenFileWatcher, watchTokenFile } from '../../src/tokens/token-file-watcher.js'
import { seriesWithMetrics } from '../helpers/exporter-metrics.js'
import { waitUntil } from './support/wait.js'

type Log = Record<string, unknown>

/** Unit tests of the watcher on real files; `check()` stands for the watch event or the poll tick. */
describe('token file watcher', () => {
  let dir: string
  let path: string
  let tokens: ReplaceableTokens
  let registry: Registry
  let logs: Log[]
  let watcher: TokenFileWatcher | undefined
  const clock = manualClock(Date.UTC(2026, 0, 1))

  const start = (options: { watch?: boolean; pollIntervalMs?: number } = {}) => {
    const made = seriesWithMetrics(
      { alertTtlSeconds: 300, maxSeries: 10 },
      { tokenFile: true, callbackTokens: () => tokens.current.length },
    )
    registry = made.registry
    const metrics = made.metrics.tokenFile
    if (!metrics) throw new Error('no token file metrics')
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line))
        done()
      },
    })
    watcher = watchTokenFile({
      path,
      tokens,
      metrics,
      logger: createLogger('debug', sink),
      clock,
      watch: options.watch ?? false,
      pollIntervalMs: options.pollIntervalMs ?? 3_600_000,
    })
    return watcher
  }
  const value = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value
  const allText = () => JSON.stringify(logs)

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tce-tokens-'))
    path = join(dir, 'token')
    writeFileSync(path, 'old-token\n')
    tokens = createCallbackTokens('CALLBACK_TOKEN_FILE', ['old-token'])
    registry = new Registry()
    logs = []
  })

  afterEach(() => {
    watcher?.close()
    watcher = undefined
    rmSync(dir, { recursive: true, force: true })
  })

  it('reports the start-up load as a successful reload, and an unchanged file as nothing new', async () => {
    const w = start()
    await w.check()
    expect(await value('tencent_chat_exporter_token_file_last_reload_successful')).toBe(1)
    expect(await value('tencent_chat_exporter_token_file_last_reload_success_timestamp_seconds')).toBe(
      clock.now() / 1000,
    )
    expect(await value('tencent_chat_exporter_callback_tokens')).toBe(1)
    expect(logs.filter((log) => log.level !== 'debug')).toEqual([])
  })

  it('picks up a second token, then the removal of the first', async () => {
    const w = start()
    await w.check()
    clock.advance(10_000)
    writeFileSync(path, 'old-token\nnew-token\n')
    await w.check()
    expect(tokens.current).toEqual(['old-token', 'new-token'])
    expect(await value('tencent_chat_exporter_callback_tokens')).toBe(2)
    expect(await value('tencent_chat_exporter_token_file_last_reload_success_timestamp_seconds')).toBe(
      clock.now() / 1000,
    )
    writeFileSync(path, '# old token removed 2026-01-02\nnew-token\n')
    await w.check()
    expect(tokens.current).toEqual(['new-token'])
    expect(logs.filter((log) => log.msg === 'CALLBACK_TOKEN_FILE reloaded')).toHaveLength(2)
    expect(allText()).not.toMatch(/old-token|new-token/)
  })

  it.each([
    ['empty', ''],
    ['only comments', '# nothing here\n\n'],
    ['a line with white space inside', 'new token\n'],
  ])(
    'keeps the tokens in force when the new content is %s, logs an error and counts a failure',
    async (_, content) => {
      const w = start()
      await w.check()
      writeFileSync(path, content)
      await w.check()
      expect(tokens.current).toEqual(['old-token'])
      expect(await value('tencent_chat_exporter_token_file_last_reload_successful')).toBe(0)
      expect(await value('tencent_chat_exporter_token_file_reload_failures_total')).toBe(1)
      expect(await value('tencent_chat_exporter_callback_tokens')).toBe(1)
      const errors = logs.filter((log) => log.level === 'error')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({ path, token_count: 1 })
      expect(allText()).not.toMatch(/old-token|new token/)
      // The same bad content is reported once, not on every check.
      await w.check()
      expect(await value('tencent_chat_exporter_token_file_reload_failures_total')).toBe(1)
    },
  )

  it('keeps the tokens while the file is missing, and recovers when it is back', async () => {
    const w = start()
    await w.check()
    rmSync(path)
    await w.check()
    expect(tokens.current).toEqual(['old-token'])
    expect(logs.find((log) => log.level === 'error')?.problem).toMatch(/ENOENT/)
    expect(await value('tencent_chat_exporter_token_file_last_reload_successful')).toBe(0)
    writeFileSync(path, 'old-token\n')
    await w.check()
    expect(await value('tencent_chat_exporter_token_file_last_reload_successful')).toBe(1)
    expect(tokens.current).toEqual(['old-token'])
  })

  it('notices a change through the folder watch alone', async () => {
    start({ watch: true })
    writeFileSync(path, 'old-token\nnew-token\n')
    await waitUntil('the watch to reload', () => tokens.current.length === 2, 5_000)
  })

  it('notices an editor renaming a new file over the old one', async () => {
    start({ watch: true })
    writeFileSync(join(dir, '.token.swp'), 'new-token\n')
    renameSync(join(dir, '.token.swp'), path)
    await waitUntil('the watch to reload', () => tokens.current[0] === 'new-token', 5_000)
  })

  it('notices a change through the periodic check alone (no watch)', async () => {
    start({ watch: false, pollIntervalMs: 100 })
    writeFileSync(path, 'new-token\n')
    await waitUntil('the poll to reload', () => tokens.current[0] === 'new-token', 5_000)
  })

  it("follows a Kubernetes Secret volume's ..data symlink swap", async () => {
    // kubelet's layout: <dir>/token -> ..data/token, ..data -> ..<timestamp>; an update writes a new
    // timestamped folder, points ..data_tmp at it and renames ..data_tmp over ..data.
    const volume = join(dir, 'volume')
    mkdirSync(join(volume, '..2026_01_01_00_00_00.1'), { recursive: true })
    writeFileSync(join(volume, '..2026_01_01_00_00_00.1', 'token'), 'old-token\n')
    symlinkSync('..2026_01_01_00_00_00.1', join(volume, '..data'))
    symlinkSync('..data/token', join(volume, 'token'))
    path = join(volume, 'token')
    const w = start({ watch: true })
    await w.check()
    mkdirSync(join(volume, '..2026_01_02_00_00_00.2'))
    writeFileSync(join(volume, '..2026_01_02_00_00_00.2', 'token'), 'old-token\nnew-token\n')
    symlinkSync('..2026_01_02_00_00_00.2', join(volume, '..data_tmp'))
    renameSync(join(volume, '..data_tmp'), join(volume, '..data'))
    rmSync(join(volume, '..2026_01_01_00_00_00.1'), { recursive: true })
    await waitUntil('the watch to follow the swap', () => tokens.current.length === 2, 5_000)
    expect(tokens.current).toEqual(['old-token', 'new-token'])
  })
})
