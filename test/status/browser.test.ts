import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Browser, launchChromium } from '../../scripts/chromium.js'
import { type RunningScenario, SCENARIO, startStatusScenario } from '../../scripts/status-scenario.js'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from '../rest-meter/support/fake-chat.js'
import { APP, restQuery, startMeter } from '../rest-meter/support/meter.js'
import { post } from '../rest-meter/support/node-client.js'

// The status page in a real browser: Debian's chromium (scripts/install-test-tools.sh installs it),
// driven by playwright-core, scripts off, loading the page of a running exporter that received
// alarms, rejections and other callbacks (scripts/status-scenario.ts, the screenshot's scenario too).

/** Runs in the page (the project's types have no DOM): an element's computed background. */
function backgroundOf(element: unknown): string {
  type Style = { backgroundImage: string; backgroundColor: string }
  const style = (globalThis as unknown as { getComputedStyle(e: unknown): Style }).getComputedStyle(element)
  return `${style.backgroundImage} ${style.backgroundColor}`
}

/** What an element says (its DOM text; the page has no script to change it). */
const textOf = async (locator: Locator) => (await locator.textContent()) ?? ''

let scenario: RunningScenario
beforeAll(async () => {
  scenario = await startStatusScenario()
})
afterAll(() => scenario?.close())

describe.each([
  { name: 'a laptop', viewport: { width: 1280, height: 900 } },
  { name: 'a phone', viewport: { width: 390, height: 844 } },
])('the status page on $name', ({ viewport }) => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchChromium(viewport)
  }, 90_000)
  afterAll(() => browser?.close())

  it('shows what the exporter was told, loading nothing but itself', async () => {
    const page = await browser.context.newPage()
    const requests: string[] = []
    const problems: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text())
    })
    const answer = await page.goto(`${scenario.url}/`)
    expect(answer?.status()).toBe(200)
    // One document; no script, style sheet, font or image was fetched, none refused by the CSP.
    expect(requests.filter((url) => !url.endsWith('/favicon.ico'))).toEqual([`${scenario.url}/`])
    expect(problems).toEqual([])

    await expect(page.title()).resolves.toBe('Tencent Chat Exporter: status')
    const header = await textOf(page.locator('header'))
    expect(header).toMatch(/version\s+0\.\d+\.\d+/)
    expect(header).toContain('alarms only')
    expect(header).toContain('Sign required, 1 token')
    expect(header).toContain(SCENARIO.apps.join(', '))
    expect(header).toContain('REST meter off (EGRESS_PORT unset)')
    expect(await textOf(page.locator('#rest-meter + .empty'))).toContain('The REST meter is off.')

    // APIs: over the limit first, the expired one last.
    const apiRows = page.locator('#apis + .scroll tbody tr')
    await expect(apiRows.count()).resolves.toBe(SCENARIO.apis.length)
    const first = await textOf(apiRows.nth(0))
    expect(first).toContain('v4/openim/batchsendmsg')
    expect(first).toContain('255%')
    expect(first).toContain('over limit')
    expect(first).toContain('live')
    const last = await textOf(apiRows.nth(SCENARIO.apis.length - 1))
    expect(last).toContain('v4/group_open_http_svc/get_group_info')
    expect(last).toContain('expired')
    expect(last).toContain('14 min ago')
    // Over 100% looks different from 80-100%: the bar takes the colour of the number.
    const over = await apiRows.nth(0).locator('.fill').evaluate(backgroundOf)
    const warn = await apiRows.nth(1).locator('.fill').evaluate(backgroundOf)
    expect(over).not.toBe(warn)

    const quotaRows = page.locator('#group-quota + .scroll tbody tr')
    await expect(quotaRows.count()).resolves.toBe(2)
    expect(await textOf(quotaRows.nth(0))).toMatch(/1400000002[\s\S]*10,480[\s\S]*105%/)

    const callbacks = await textOf(page.locator('#callbacks + .scroll'))
    for (const command of [
      ...SCENARIO.others,
      'Alert.RequestOverLimit',
      'Group.CallbackOnDailyGroupQuotaAlarm',
    ]) {
      expect(callbacks).toContain(command)
    }

    const rejections = page.locator('#rejections + .scroll tbody tr')
    const reasons = await rejections.locator('td:first-child').allTextContents()
    expect(reasons.sort()).toEqual([
      'bad_signature',
      'invalid_payload',
      'sdkappid_not_allowed',
      'stale_request',
    ])
    // The markup a client sent is text on the page: no element was made of it.
    const markupRow = rejections.filter({ hasText: 'invalid_payload' })
    expect(await textOf(markupRow.locator('td.detail'))).toContain(SCENARIO.markup)
    await expect(markupRow.locator('td.detail *').count()).resolves.toBe(0)
    await expect(page.locator('img, script').count()).resolves.toBe(0)

    const summary = await textOf(page.locator('#summary'))
    expect(summary).toMatch(/callbacks accepted; the latest/)
    expect(summary).toMatch(/requests rejected; the latest, sdkappid_not_allowed/)
    await page.close()
  })

  it('fits: the utilisation of the first API is on screen without scrolling sideways', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${scenario.url}/`)
    const box = await page.locator('#apis + .scroll tbody tr').nth(0).locator('.pct').boundingBox()
    expect(box).not.toBeNull()
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(viewport.width)
    const screenshot = join(tmpdir(), `tce-status-${viewport.width}-${process.pid}.png`)
    try {
      await page.screenshot({ path: screenshot, fullPage: true })
      const png = await readFile(screenshot)
      expect(png.subarray(1, 4).toString()).toBe('PNG')
      expect(png.readUInt32BE(16)).toBe(viewport.width)
    } finally {
      await rm(screenshot, { force: true })
      await page.close()
    }
  })
})

describe('the REST meter section on a phone', () => {
  const viewport = { width: 390, height: 844 }
  let browser: Browser
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  beforeAll(async () => {
    // Chat allows one sendmsg a second here: a burst gets 60007.
    chat = await startFakeChat({ ...APP, limits: { 'openim/sendmsg': 1 } })
    exporter = await startMeter(chat)
    for (let i = 0; i < 50 && !chat.counts().has('openim/sendmsg 60007'); i++) {
      await post(`${exporter.egressUrl}/v4/openim/sendmsg?${restQuery()}`, '{}')
    }
    await post(`${exporter.egressUrl}/v4/custom_svc/custom_cmd?${restQuery()}`, '{}')
    browser = await launchChromium(viewport)
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await exporter?.close()
    await chat?.close()
  })

  it("shows each API's row with its limit, answers and p99, its utilisation on screen", async () => {
    const page = await browser.context.newPage()
    const requests: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    await page.goto(`${exporter.metricsUrl}/`)
    expect(requests.filter((url) => !url.endsWith('/favicon.ico'))).toEqual([`${exporter.metricsUrl}/`])
    expect(await textOf(page.locator('header'))).toContain(`REST meter on → ${new URL(chat.url).origin}`)
    const rows = page.locator('#rest-meter + .scroll tbody tr')
    await expect(rows.count()).resolves.toBe(2)
    const first = await textOf(rows.nth(0))
    expect(first).toContain('v4/openim/sendmsg')
    expect(first).toContain('200 documented')
    expect(first).toContain('FAIL 60007')
    expect(first).toMatch(/≤ \d+ ms/)
    const last = await textOf(rows.nth(1))
    expect(last).toContain('v4/custom_svc/custom_cmd')
    expect(last).toContain('OK 1')
    const box = await rows.nth(0).locator('.pct').boundingBox()
    expect(box).not.toBeNull()
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(viewport.width)
    await page.close()
  })
})
