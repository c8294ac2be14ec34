import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callbackUrl, postCallback } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

// The detail of a malformed_json rejection repeats what JSON.parse said, and JSON.parse repeats a piece of
// the body: it must be quoted like any other detail (escaped, invisible characters shown as \u…, runs of
// hex that could be a Sign redacted, cut short) wherever it goes: the FAIL answer, the log, the status
// JSON and the page.

const RLO = '\u202e'
const LINE_SEPARATOR = '\u2028'
const HEX = '0123456789abcdef0123456789abcdef'

let exporter: TestExporter
beforeAll(async () => {
  exporter = await startExporter()
})
afterAll(() => exporter.close())

describe('a malformed_json detail', () => {
  it('is quoted: no bidirectional control, no line separator, no Sign-like hex, a bounded length', async () => {
    const body = `{"a": ${RLO}${LINE_SEPARATOR}${HEX}${'x'.repeat(300)}`
    const answer = await postCallback(callbackUrl(exporter.url), body)
    expect(answer.status).toBe(400)
    // The raw answer: escapes survive only as text (JSON.parse of the answer would decode them).
    expect(answer.text).not.toMatch(/[\u202e\u2028]/)
    const info = JSON.parse(answer.text).ErrorInfo as string
    expect(info).toMatch(/^malformed_json: the body is not JSON: "Unexpected token/)
    expect(info).toContain('\\u202e')
    expect(info).not.toContain(RLO)
    expect(info).not.toContain(LINE_SEPARATOR)
    expect(info).not.toContain(HEX.slice(0, 16))
    expect(info.length).toBeLessThan(160)

    const status = (await (await fetch(`${exporter.url}/api/v1/status`)).json()) as {
      rejections: Array<{ reason: string; last_detail: string | null }>
    }
    const detail = status.rejections.find((entry) => entry.reason === 'malformed_json')?.last_detail
    expect(`malformed_json: ${detail}`).toBe(info)
    const page = await (await fetch(`${exporter.url}/`)).text()
    expect(page).not.toMatch(/[\u202e\u2028]/)
    expect(page).toContain('\\u202e')
    const logged = exporter.rawLogs.filter((line) => line.includes('"malformed_json"'))
    expect(logged.length).toBeGreaterThan(0)
    for (const line of logged) expect(line).not.toMatch(/[\u202e\u2028]/)
  })

  it('says what JSON.parse said about an ordinary mistake', async () => {
    const body = '{"a":1,}'
    // This Node's own wording (it changes between versions).
    const said = (() => {
      try {
        JSON.parse(body)
      } catch (error) {
        return (error as Error).message
      }
      throw new Error('the body parsed')
    })()
    const answer = await postCallback(callbackUrl(exporter.url), body)
    expect(JSON.parse(answer.text).ErrorInfo).toBe(
      `malformed_json: the body is not JSON: ${JSON.stringify(said)}`,
    )
  })
})
