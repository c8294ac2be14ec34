import { afterEach, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue } from '../helpers/callbacks.js'
import { manualClock, startExporter, type TestExporter } from '../helpers/start-exporter.js'

let exporter: TestExporter | undefined
afterEach(async () => {
  await exporter?.close()
  exporter = undefined
})

const api = (command: string) => ({ sdkappid: SDKAPPID, service_name: 'openim', command })

async function start(config: { alertTtlSeconds: number; maxSeries: number }) {
  const clock = manualClock()
  exporter = await startExporter({ config, clock })
  const url = exporter.url
  return {
    clock,
    alert: async (command: string, request = 170) => {
      const answer = await postCallback(callbackUrl(url), alertBody({ Command: command, Request: request }))
      expect(answer.status).toBe(200)
      expect(answer.text).toBe('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}')
    },
    groupAlarm: async (sdkAppId: string) => {
      const command = 'Group.CallbackOnDailyGroupQuotaAlarm'
      const answer = await postCallback(
        callbackUrl(url, { sdkAppId, command }),
        JSON.stringify({ QuotaUsed: 8000, Quota: 10000 }),
      )
      expect(answer.status).toBe(200)
    },
    scrape: async () => (await fetch(`${url}/metrics`)).text(),
  }
}

describe('ALERT_TTL_SECONDS', () => {
  it('removes QPS and utilisation after the TTL, keeps limit, counter and last-alert time', async () => {
    const { clock, alert, scrape } = await start({ alertTtlSeconds: 300, maxSeries: 10 })
    await alert('sendmsg')
    const alertedAt = clock.now() / 1000

    clock.advance(300_000)
    let metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', api('sendmsg'))).toBe(170)
    expect(sampleValue(metrics, 'tencent_chat_exporter_alert_ttl_seconds')).toBe(300)

    clock.advance(1)
    metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', api('sendmsg'))).toBeUndefined()
    expect(sampleValue(metrics, 'tencent_chat_api_utilization_ratio', api('sendmsg'))).toBeUndefined()
    expect(sampleValue(metrics, 'tencent_chat_api_request_limit_per_second', api('sendmsg'))).toBe(200)
    expect(sampleValue(metrics, 'tencent_chat_api_overlimit_alerts_total', api('sendmsg'))).toBe(1)
    expect(sampleValue(metrics, 'tencent_chat_api_last_alert_timestamp_seconds', api('sendmsg'))).toBe(
      alertedAt,
    )
    expect(sampleValue(metrics, 'tencent_chat_exporter_tracked_apis')).toBe(1)

    // A new alert brings the API back, and its counter goes on from where it was.
    await alert('sendmsg', 190)
    metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', api('sendmsg'))).toBe(190)
    expect(sampleValue(metrics, 'tencent_chat_api_overlimit_alerts_total', api('sendmsg'))).toBe(2)
  })

  it('expires group quota series the same way', async () => {
    const { clock, groupAlarm, scrape } = await start({ alertTtlSeconds: 60, maxSeries: 10 })
    await groupAlarm(SDKAPPID)
    clock.advance(60_001)
    const metrics = await scrape()
    const app = { sdkappid: SDKAPPID }
    expect(sampleValue(metrics, 'tencent_chat_group_daily_net_increase', app)).toBeUndefined()
    expect(sampleValue(metrics, 'tencent_chat_group_daily_quota_utilization_ratio', app)).toBeUndefined()
    expect(sampleValue(metrics, 'tencent_chat_group_daily_quota', app)).toBe(10000)
    expect(sampleValue(metrics, 'tencent_chat_group_quota_alerts_total', app)).toBe(1)
  })
})

describe('MAX_SERIES', () => {
  it('forgets the least recently alerted expired API to make room for a new one', async () => {
    const { clock, alert, scrape } = await start({ alertTtlSeconds: 60, maxSeries: 3 })
    await alert('a')
    clock.advance(1000)
    await alert('b')
    clock.advance(1000)
    await alert('c')
    clock.advance(1000)
    await alert('a') // a is now the most recently alerted
    clock.advance(61_000) // a, b, c have all expired

    await alert('d')
    let metrics = await scrape()
    // b was the least recently alerted: all five of its series are gone.
    for (const name of [
      'tencent_chat_api_request_limit_per_second',
      'tencent_chat_api_overlimit_alerts_total',
      'tencent_chat_api_last_alert_timestamp_seconds',
    ]) {
      expect(sampleValue(metrics, name, api('b')), name).toBeUndefined()
      expect(sampleValue(metrics, name, api('a')), name).toBeDefined()
      expect(sampleValue(metrics, name, api('c')), name).toBeDefined()
    }
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', api('d'))).toBe(170)
    expect(sampleValue(metrics, 'tencent_chat_exporter_tracked_apis')).toBe(3)

    await alert('e')
    metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_overlimit_alerts_total', api('c'))).toBeUndefined()
    expect(sampleValue(metrics, 'tencent_chat_api_overlimit_alerts_total', api('a'))).toBe(2)
  })

  it('answers OK but drops a new API when every tracked API is within its TTL, logging at most once a minute', async () => {
    const { clock, alert, scrape } = await start({ alertTtlSeconds: 300, maxSeries: 2 })
    await alert('a')
    await alert('b')
    const before = await scrape()
    const logsBefore = exporter?.logs.length ?? 0

    for (const command of ['c', 'd', 'e']) await alert(command)
    let metrics = await scrape()
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_dropped_alerts_total', { reason: 'series_limit' }),
    ).toBe(3)
    for (const command of ['c', 'd', 'e']) {
      expect(sampleValue(metrics, 'tencent_chat_api_overlimit_alerts_total', api(command))).toBeUndefined()
    }
    const apiLines = (text: string) => text.split('\n').filter((line) => line.startsWith('tencent_chat_api_'))
    expect(apiLines(metrics)).toEqual(apiLines(before))
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_callbacks_total', {
        callback_command: 'Alert.RequestOverLimit',
      }),
    ).toBe(5)

    const dropLogs = () =>
      (exporter?.logs.slice(logsBefore) ?? []).filter((line) => line.reason === 'series_limit')
    expect(dropLogs()).toHaveLength(1)
    expect(dropLogs()[0]).toMatchObject({ level: 'warn', max_series: 2 })

    clock.advance(60_000)
    await alert('f')
    expect(dropLogs()).toHaveLength(2)
    expect(dropLogs()[1]).toMatchObject({ dropped_since_last_log: 2 })

    // Known APIs keep updating while the table is full.
    await alert('a', 199)
    metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', api('a'))).toBe(199)
  })

  it('applies to group quota series, keyed by app', async () => {
    const { groupAlarm, scrape } = await start({ alertTtlSeconds: 300, maxSeries: 1 })
    await groupAlarm('1400000001')
    await groupAlarm('1400000002')
    const metrics = await scrape()
    expect(
      sampleValue(metrics, 'tencent_chat_group_quota_alerts_total', { sdkappid: '1400000002' }),
    ).toBeUndefined()
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_dropped_alerts_total', { reason: 'series_limit' }),
    ).toBe(1)
  })

  it('bounds the callbacks_total label sets, counting the rest under _other', async () => {
    const { scrape } = await start({ alertTtlSeconds: 300, maxSeries: 2 })
    const url = exporter?.url ?? ''
    for (const command of ['A.One', 'A.Two', 'A.Three', 'A.Four']) {
      expect((await postCallback(callbackUrl(url, { command }), '{}')).status).toBe(200)
    }
    const metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_exporter_callbacks_total', { callback_command: 'A.Two' })).toBe(
      1,
    )
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_callbacks_total', { callback_command: 'A.Three' }),
    ).toBeUndefined()
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_callbacks_total', {
        sdkappid: '_other',
        callback_command: '_other',
      }),
    ).toBe(2)
  })
})
