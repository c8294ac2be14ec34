import { describe, expect, it } from 'vitest'
import { monitoringConfig } from '../../prometheus/config.js'
import { type AlertRule, alertRules, ruleGroups } from '../../prometheus/src/rules.js'
import { REST_ERROR_CODES } from '../../src/rest-meter/rest-error-codes.js'

/** The codes an `error_code=~"…"` matcher of an expression selects, in order, per matcher. */
function errorCodeMatchers(expr: string): string[][] {
  return [...expr.matchAll(/error_code=~"([^"]*)"/g)].map((match) => (match[1] as string).split('|'))
}

function restAlert(name: string, config = monitoringConfig): AlertRule {
  const rule = alertRules(ruleGroups(config)).find((candidate) => candidate.alert === name)
  if (!rule) throw new Error(`no alert ${name}`)
  return rule
}

const asStrings = (codes: readonly number[]) => codes.map(String)

describe("the REST meter's alert rules", () => {
  it('page on every throttling code of the meter, 60007 and 60011 among them', () => {
    const matchers = errorCodeMatchers(restAlert('TencentChatRestThrottled').expr)
    expect(matchers.length).toBeGreaterThan(0)
    for (const codes of matchers) expect(codes).toEqual(asStrings(REST_ERROR_CODES.throttling))
    expect(matchers[0]).toEqual(expect.arrayContaining(['60007', '60011']))
  })

  it("page on every UserSig code of the meter, the ones Tencent documents for an admin's UserSig among them", () => {
    const matchers = errorCodeMatchers(restAlert('TencentChatRestUserSigRejected').expr)
    expect(matchers.length).toBeGreaterThan(0)
    for (const codes of matchers) expect(codes).toEqual(asStrings(REST_ERROR_CODES.usersig))
    expect(matchers[0]).toEqual(
      expect.arrayContaining(['70001', '70003', '70005', '70009', '70013', '70014', '70052']),
    )
  })

  it("count Chat's internal errors and backend timeouts as failures, beside the meter's own", () => {
    const { expr } = restAlert('TencentChatRestFailing')
    expect(errorCodeMatchers(expr)).toEqual([
      asStrings([...REST_ERROR_CODES.internal, ...REST_ERROR_CODES.timeout]),
    ])
    expect(expr).toContain('tencent_chat_rest_failures_total{job="tencent-chat-exporter"}')
  })

  it('never count a successful or a malformed call as throttled, rejected or failed', () => {
    for (const name of [
      'TencentChatRestThrottled',
      'TencentChatRestUserSigRejected',
      'TencentChatRestFailing',
    ]) {
      for (const codes of errorCodeMatchers(restAlert(name).expr)) {
        expect(codes, name).not.toContain('0')
        for (const code of REST_ERROR_CODES.request) expect(codes, name).not.toContain(String(code))
      }
    }
  })

  it('take their thresholds, windows and durations from prometheus/config.ts', () => {
    const config = {
      ...monitoringConfig,
      restNearLimitRatio: 0.45,
      restFailureRatio: 0.02,
      restLatencyP99Seconds: 2.5,
      restWindow: '10m',
      for: { ...monitoringConfig.for, restApiNearLimit: '3m', restLatencyHigh: '20m' },
    }
    const near = restAlert('TencentChatRestApiNearLimit', config)
    expect(near.expr).toMatch(/>= 0\.45$/)
    expect(near.for).toBe('3m')
    expect(restAlert('TencentChatRestFailing', config).expr).toMatch(/> 0\.02$/)
    const latency = restAlert('TencentChatRestLatencyHigh', config)
    expect(latency.expr).toMatch(/\[10m\]\)\)\) > 2\.5$/)
    expect(latency.for).toBe('20m')
    expect(latency.annotations.description).toContain('over the last 10 minutes')
    expect(restAlert('TencentChatRestThrottled', config).expr).toContain('offset 10m')
  })

  it('by default warn at 60% of the limit for 5 minutes, before Chat alarms at 80%', () => {
    const near = restAlert('TencentChatRestApiNearLimit')
    expect(near.expr).toBe('tencent_chat_rest:peak_utilization_ratio:sum >= 0.6')
    expect(near.for).toBe('5m')
    expect(restAlert('TencentChatRestLatencyHigh').for).toBe('10m')
    expect(restAlert('TencentChatRestFailing').for).toBe('5m')
  })
})
