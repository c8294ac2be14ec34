import { afterAll, describe, expect, it } from 'vitest'
import { OK_ANSWER } from '../../src/protocol/answers.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue } from '../helpers/callbacks.js'
import { type BuiltEntryPoint, type ExporterProcess, spawnExporter } from '../startup/exporter-process.js'
import { secretVolume } from './support/secret-volume.js'

// The rotation procedure of docs/security.md on the real entry point, with the token file in a folder
// laid out and updated like a Kubernetes Secret volume, while "Chat" keeps sending signed callbacks.

export function tokenRotationTests(entryPoint: () => BuiltEntryPoint): void {
  describe('token rotation on the real entry point', () => {
    let exporter: ExporterProcess | undefined
    const volume = secretVolume({ token: '# callback token\nold-token-1111\n' })

    afterAll(async () => {
      await exporter?.kill()
      volume.remove()
    })

    async function scrape(base: string): Promise<string> {
      return (await fetch(`${base}/metrics`)).text()
    }

    /** Polls /metrics until `done` holds for the exposition; at most `timeoutMs` (the reload bound is 10 s). */
    async function waitForMetrics(base: string, done: (text: string) => boolean, timeoutMs = 12_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const text = await scrape(base)
        if (done(text)) return text
        if (Date.now() > deadline) throw new Error(`metrics never reached the expected state:\n${text}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }

    describe('rotating CALLBACK_TOKEN_FILE through a Secret volume while callbacks flow', () => {
      it('loses no callback and answers none bad_signature', async () => {
        exporter = spawnExporter(['node', entryPoint().main], {
          env: { SDKAPPIDS: SDKAPPID, CALLBACK_TOKEN_FILE: volume.path('token'), LOG_LEVEL: 'info' },
        })
        const base = `http://127.0.0.1:${await exporter.listening()}`

        // "Chat": two senders on keep-alive connections (fetch's default), each signing with whatever token the console holds at that moment.
        let consoleToken = 'old-token-1111'
        let sending = true
        const answers: Array<{ status: number; body: string }> = []
        const sender = async () => {
          // Bounded: at most 5,000 callbacks each, and the test stops them much sooner.
          for (let i = 0; sending && i < 5_000; i++) {
            const { status, text } = await postCallback(
              callbackUrl(base, { token: consoleToken }),
              alertBody(),
            )
            answers.push({ status, body: text })
          }
        }
        const senders = [sender(), sender()]
        const sentBy = async (count: number) => {
          const target = answers.length + count
          while (answers.length < target) await new Promise((resolve) => setTimeout(resolve, 10))
        }

        await sentBy(50)
        // 1. Add the new token as a second line; wait until the exporter reports two tokens.
        volume.update({ token: '# callback token, rotation in progress\nold-token-1111\nnew-token-2222\n' })
        await waitForMetrics(base, (text) => sampleValue(text, 'tencent_chat_exporter_callback_tokens') === 2)
        await sentBy(50)
        // 2. Change the token in the Chat console.
        consoleToken = 'new-token-2222'
        await sentBy(100)
        // 3. Remove the old line; wait for the reload.
        volume.update({ token: 'new-token-2222\n' })
        const final = await waitForMetrics(
          base,
          (text) => sampleValue(text, 'tencent_chat_exporter_callback_tokens') === 1,
        )
        await sentBy(50)
        sending = false
        await Promise.all(senders)

        expect(answers.length).toBeGreaterThanOrEqual(250)
        expect(answers.filter((answer) => answer.status !== 200 || answer.body !== OK_ANSWER)).toEqual([])
        const text = await scrape(base)
        expect(
          sampleValue(text, 'tencent_chat_exporter_rejected_callbacks_total', { reason: 'bad_signature' }),
        ).toBe(0)
        expect(
          sampleValue(text, 'tencent_chat_exporter_callbacks_total', {
            sdkappid: SDKAPPID,
            callback_command: 'Alert.RequestOverLimit',
          }),
        ).toBe(answers.length)
        expect(sampleValue(final, 'tencent_chat_exporter_token_file_last_reload_successful')).toBe(1)
        expect(sampleValue(final, 'tencent_chat_exporter_token_file_reload_failures_total')).toBe(0)

        // The old token is gone for good.
        const stale = await postCallback(callbackUrl(base, { token: 'old-token-1111' }), alertBody())
        expect(stale.status).toBe(401)
        expect(stale.text).toContain('bad_signature')

        const reloads = exporter.logs().filter((line) => line.msg === 'CALLBACK_TOKEN_FILE reloaded')
        expect(reloads.map((line) => line.token_count)).toEqual([2, 1])
        expect(exporter.stdout + exporter.stderr).not.toMatch(/old-token-1111|new-token-2222/)
      })

      it('keeps the tokens in force when the Secret is updated with an empty token', async () => {
        if (!exporter) throw new Error('the exporter of the previous test is needed')
        const base = `http://127.0.0.1:${await exporter.listening()}`
        volume.update({ token: '\n' })
        const text = await waitForMetrics(
          base,
          (text) => sampleValue(text, 'tencent_chat_exporter_token_file_last_reload_successful') === 0,
        )
        expect(sampleValue(text, 'tencent_chat_exporter_callback_tokens')).toBe(1)
        expect(sampleValue(text, 'tencent_chat_exporter_token_file_reload_failures_total')).toBe(1)
        const still = await postCallback(callbackUrl(base, { token: 'new-token-2222' }), alertBody())
        expect(still.status).toBe(200)
        const unsigned = await postCallback(callbackUrl(base), alertBody())
        expect(unsigned.status).toBe(401)
        const error = await exporter.waitForLog((line) => line.level === 'error', 1_000)
        expect(error.msg).toMatch(/tokens in force are kept/)
      })
    })
  })
}
