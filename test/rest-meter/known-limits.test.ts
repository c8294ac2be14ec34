import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readApiLimitsFileSync } from '../../src/rest-meter/api-limits-file.js'
import { alertBody, callbackUrl, postCallback, TOKEN } from '../helpers/callbacks.js'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { post } from './support/node-client.js'
import { apiOf, samplesOf, scrape } from './support/samples.js'

// The known limit of an API and where it comes from: API_LIMITS_FILE (configured) over the latest
// Alert.RequestOverLimit's Limit for that app and API (alarm, from a real signed callback to the
// exporter) over Tencent's documented default (documented). The file is read again when it changes; a
// change that cannot be used keeps the limits read before.

const SENDMSG = 'openim/sendmsg'
const IMPORT = 'im_open_login_svc/account_import'
const CUSTOM = 'custom_svc/custom_cmd'
const RELOADED = 'tencent_chat_exporter_api_limits_file_last_reload_successful'

type Known = Record<string, string>

describe('the known limit of each API', { timeout: 60_000 }, () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  let dir: string
  let file: string

  /** `<api>` → `<source> <per second>` of tencent_chat_api_known_limit_per_second, for the app. */
  async function known(): Promise<{ limits: Known; reloaded: number | undefined; ratio: Known }> {
    const metrics = await scrape(exporter.metricsUrl)
    const limits: Known = {}
    for (const { labels, value } of samplesOf(metrics, 'tencent_chat_api_known_limit_per_second')) {
      expect(labels.sdkappid).toBe(APP.sdkappid)
      limits[apiOf(labels)] = `${labels.source} ${value}`
    }
    const ratio: Known = {}
    for (const { labels, value } of samplesOf(metrics, 'tencent_chat_rest_peak_utilization_ratio')) {
      ratio[apiOf(labels)] = String(value)
    }
    return { limits, reloaded: samplesOf(metrics, RELOADED)[0]?.value, ratio }
  }

  /** Waits (bounded) until the known limits are `expected`: the file is re-read on its own schedule. */
  async function eventually(expected: Partial<Awaited<ReturnType<typeof known>>>) {
    const deadline = Date.now() + 30_000
    for (;;) {
      const seen = await known()
      const matches = Object.entries(expected).every(
        ([key, value]) => JSON.stringify(seen[key as keyof typeof seen]) === JSON.stringify(value),
      )
      if (matches || Date.now() > deadline) return expect(seen).toMatchObject(expected)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  async function writeLimits(content: string) {
    // Written beside and renamed over, as an editor or a ConfigMap update replaces a file.
    await writeFile(`${file}.new`, content)
    await rename(`${file}.new`, file)
  }

  async function alarm(sdkAppId: string, api: string, limit: number) {
    const [serviceName, command] = api.split('/')
    const answer = await postCallback(
      callbackUrl(exporter.url, { token: TOKEN, sdkAppId }),
      alertBody({ ServiceName: serviceName, Command: command, Limit: limit, Request: limit }),
    )
    expect(answer.status).toBe(200)
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tce-limits-'))
    file = join(dir, 'limits.yaml')
    await writeFile(file, `${SENDMSG}: 400\n`)
    const read = readApiLimitsFileSync(file)
    if (!read.ok) throw new Error(read.problem)
    chat = await startFakeChat(APP)
    exporter = await startMeter(chat, {
      config: {
        callbackToken: TOKEN,
        apiLimitsFile: { path: file, limits: read.limits, content: read.content ?? '' },
      },
    })
    for (const api of [SENDMSG, IMPORT, CUSTOM]) {
      expect((await post(`${exporter.egressUrl}/v4/${api}?${restQuery()}`, '{}')).status).toBe(200)
    }
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('is the configured one, else the documented one, else none', async () => {
    const seen = await known()
    expect(seen.limits).toEqual({ [SENDMSG]: 'configured 400', [IMPORT]: 'documented 200' })
    expect(seen.ratio).toEqual({ [SENDMSG]: String(1 / 400), [IMPORT]: String(1 / 200) })
    expect(seen.reloaded).toBe(1)
  })

  it("takes an alarm's Limit over the documented one, for that app only, never over the configured one", async () => {
    await alarm(APP.sdkappid, IMPORT, 250)
    await alarm(APP.sdkappid, SENDMSG, 300)
    await alarm(APP.sdkappid, CUSTOM, 50)
    await alarm('1400000002', IMPORT, 999)
    const seen = await known()
    expect(seen.limits).toEqual({ [SENDMSG]: 'configured 400', [IMPORT]: 'alarm 250', [CUSTOM]: 'alarm 50' })
    expect(seen.ratio[CUSTOM]).toBe(String(1 / 50))
  })

  it('reads API_LIMITS_FILE again when it changes', async () => {
    await writeLimits(`${SENDMSG}: 400\n${IMPORT}: 50\n`)
    await eventually({
      limits: { [SENDMSG]: 'configured 400', [IMPORT]: 'configured 50', [CUSTOM]: 'alarm 50' },
      reloaded: 1,
    })
  })

  it.each([
    ['YAML that does not parse', `${SENDMSG}: [400\n`],
    ['a key that is not an API', 'sendmsg: 400\n'],
    ['a limit that is not a positive number', `${SENDMSG}: -5\n`],
  ])('keeps the limits read before when the file changes to %s, and says so', async (_name, content) => {
    await writeLimits(`${SENDMSG}: 400\n${IMPORT}: 50\n`)
    await eventually({ reloaded: 1 })
    const errors = exporter.logs.filter((line) =>
      String(line.msg).startsWith('API_LIMITS_FILE changed'),
    ).length
    await writeLimits(content)
    await eventually({
      limits: { [SENDMSG]: 'configured 400', [IMPORT]: 'configured 50', [CUSTOM]: 'alarm 50' },
      reloaded: 0,
    })
    const logged = exporter.logs.filter((line) => String(line.msg).startsWith('API_LIMITS_FILE changed'))
    expect(logged.length).toBe(errors + 1)
    expect(logged.at(-1)?.level).toBe('error')
  })

  it('falls back to the alarm, then the documented limit, as the file stops naming an API', async () => {
    await writeLimits(`${CUSTOM}: 7\n`)
    await eventually({
      limits: { [SENDMSG]: 'alarm 300', [IMPORT]: 'alarm 250', [CUSTOM]: 'configured 7' },
      reloaded: 1,
    })
  })
})
