import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ExporterProcess, spawnExporter } from '../startup/exporter-process.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery } from './support/meter.js'
import { post } from './support/node-client.js'
import { matching, samplesOf } from './support/samples.js'
import { secretsOfQuery } from './support/secrets.js'

/** The entry point starts the REST meter from the environment, as a user runs it. */
describe('tencent-chat-exporter with EGRESS_PORT', { timeout: 60_000 }, () => {
  let chat: FakeChat
  let exporter: ExporterProcess
  let base: string
  let egress: string

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    exporter = spawnExporter([process.execPath, '--import', 'tsx', 'src/main.ts'], {
      env: {
        EGRESS_PORT: '0',
        CHAT_REST_URL: chat.url,
        CHAT_REST_CA_FILE: chat.caFile,
        CHAT_REST_TIMEOUT_MS: '30000',
        SDKAPPIDS: APP.sdkappid,
      },
    })
    base = `http://127.0.0.1:${await exporter.listening(45_000)}`
    const started = exporter.logs().find((log) => log.msg === 'tencent-chat-exporter listening')
    const address = (started?.egress as { address?: string } | undefined)?.address
    if (address === undefined) throw new Error(`the REST meter did not start: ${exporter.stdout}`)
    egress = `http://${address}`
  }, 60_000)
  afterAll(async () => {
    await exporter?.kill()
    await chat?.close()
  })

  it('logs the meter, its Chat and its CA file at start-up', () => {
    const line = exporter.logs().find((log) => log.msg === 'tencent-chat-exporter listening')
    expect(line?.egress).toMatchObject({
      address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      chat_rest_url: `${chat.url}/`,
      timeout_ms: 30_000,
      extra_ca: chat.caFile,
    })
  })

  it('forwards a call to Chat and counts it in /metrics', async () => {
    const query = restQuery()
    const answer = await post(`${egress}/v4/openim/sendmsg?${query}`, '{"To_Account":"b"}')
    expect(answer.status).toBe(200)
    expect(chat.calls.at(-1)?.target).toBe(`/v4/openim/sendmsg?${query}`)
    expect(answer.body.equals(chat.calls.at(-1)?.answer as Buffer)).toBe(true)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    const counted = matching(samplesOf(metrics, 'tencent_chat_rest_requests_total'), {
      sdkappid: APP.sdkappid,
      service_name: 'openim',
      command: 'sendmsg',
      action_status: 'OK',
      error_code: '0',
    })
    expect(counted.map((sample) => sample.value)).toEqual([1])
    for (const secret of secretsOfQuery(query))
      expect(exporter.stdout + exporter.stderr).not.toContain(secret)
  })
})
