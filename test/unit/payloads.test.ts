import { describe, expect, it } from 'vitest'
import {
  ALERT_REQUEST_OVER_LIMIT,
  GROUP_DAILY_QUOTA_ALARM,
  isBeforeCallback,
} from '../../src/protocol/commands.js'
import { parsePayload } from '../../src/protocol/payloads.js'
import { CallbackRejection } from '../../src/protocol/rejection.js'

const alert = {
  CallbackCommand: ALERT_REQUEST_OVER_LIMIT,
  ServiceName: 'openim',
  Command: 'batchsendmsg',
  Request: 510,
  Limit: 200,
}

function detailOf(command: string, body: unknown): string {
  try {
    parsePayload(command, body)
  } catch (error) {
    expect(error).toBeInstanceOf(CallbackRejection)
    expect((error as CallbackRejection).reason).toBe('invalid_payload')
    return (error as CallbackRejection).detail
  }
  throw new Error('expected a rejection')
}

describe('parsePayload: Alert.RequestOverLimit', () => {
  it("reads the docs' sample", () => {
    expect(parsePayload(ALERT_REQUEST_OVER_LIMIT, alert)).toEqual({
      kind: 'request_over_limit',
      alert: { serviceName: 'openim', command: 'batchsendmsg', request: 510, limit: 200 },
    })
  })

  it('accepts numeric strings, fractions, zero and a body without CallbackCommand', () => {
    const { CallbackCommand: _, ...withoutCommand } = alert
    expect(
      parsePayload(ALERT_REQUEST_OVER_LIMIT, { ...withoutCommand, Request: '163.5', Limit: ' 0 ' }),
    ).toMatchObject({
      alert: { request: 163.5, limit: 0 },
    })
  })

  it('accepts label values with every allowed character, up to 128 long', () => {
    const name = `a-Z_0.9/${'x'.repeat(120)}`
    expect(parsePayload(ALERT_REQUEST_OVER_LIMIT, { ...alert, ServiceName: name })).toMatchObject({
      alert: { serviceName: name },
    })
  })

  it.each([
    [{ ...alert, ServiceName: undefined }, 'ServiceName is missing'],
    [{ ...alert, Command: '' }, 'Command must be 1-128 letters, digits or _.-/, got ""'],
    [{ ...alert, Command: 'send msg' }, 'Command must be 1-128 letters, digits or _.-/'],
    [{ ...alert, Command: 'x'.repeat(129) }, 'Command must be 1-128'],
    [{ ...alert, Command: '发送' }, 'Command must be 1-128'],
    [{ ...alert, Command: 'a\nb' }, 'Command must be 1-128'],
    [{ ...alert, ServiceName: 7 }, 'ServiceName must be a string, got 7'],
    [{ ...alert, Request: -1 }, 'Request must be a finite non-negative number, got -1'],
    [{ ...alert, Request: 'abc' }, 'Request must be a finite non-negative number, got "abc"'],
    [{ ...alert, Request: '0x10' }, 'Request must be a finite non-negative number'],
    [{ ...alert, Request: '' }, 'Request must be a finite non-negative number'],
    [{ ...alert, Limit: null }, 'Limit must be a finite non-negative number, got null'],
    [{ ...alert, Limit: true }, 'Limit must be a finite non-negative number, got true'],
    [{ ...alert, Limit: '1e999' }, 'Limit must be a finite non-negative number, got Infinity'],
    [{ ...alert, Limit: ' -5 ' }, 'Limit must be a finite non-negative number, got " -5 "'],
    [
      { ...alert, Request: Number.POSITIVE_INFINITY },
      'Request must be a finite non-negative number, got Infinity',
    ],
    [{ ...alert, Request: Number.NaN }, 'Request must be a finite non-negative number, got NaN'],
    [{ ...alert, Limit: [200] }, 'Limit must be a finite non-negative number'],
    [{ ...alert, CallbackCommand: 'State.StateChange' }, 'body CallbackCommand "State.StateChange" differs'],
    [{ ...alert, CallbackCommand: 5 }, 'body CallbackCommand 5 differs'],
  ])('rejects %o', (body, detail) => {
    expect(detailOf(ALERT_REQUEST_OVER_LIMIT, body)).toContain(detail)
  })

  it('describes deeply nested values by kind, without recursing into them', () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(detailOf(ALERT_REQUEST_OVER_LIMIT, { ...alert, ServiceName: deep, Limit: { a: deep } })).toBe(
      'ServiceName must be a string, got an array; Limit must be a finite non-negative number, got an object',
    )
  })

  it('reads trimmed numeric strings and returns the label values as given', () => {
    expect(parsePayload(ALERT_REQUEST_OVER_LIMIT, { ...alert, Request: '\t12\n', Limit: '2e2' })).toEqual({
      kind: 'request_over_limit',
      alert: { serviceName: 'openim', command: 'batchsendmsg', request: 12, limit: 200 },
    })
  })

  it('names every bad field at once', () => {
    expect(detailOf(ALERT_REQUEST_OVER_LIMIT, {})).toBe(
      'ServiceName is missing; Command is missing; Request is missing; Limit is missing',
    )
  })
})

describe('parsePayload: Group.CallbackOnDailyGroupQuotaAlarm', () => {
  it("reads the docs' sample, with EventTime as a string or a number", () => {
    const sample = {
      CallbackCommand: GROUP_DAILY_QUOTA_ALARM,
      QuotaUsed: 7321,
      Quota: 10000,
      EventTime: '1670574414123',
    }
    const expected = {
      kind: 'group_quota',
      alarm: { quotaUsed: 7321, quota: 10000, eventTimeMs: 1670574414123 },
    }
    expect(parsePayload(GROUP_DAILY_QUOTA_ALARM, sample)).toEqual(expected)
    expect(parsePayload(GROUP_DAILY_QUOTA_ALARM, { ...sample, EventTime: 1670574414123 })).toEqual(expected)
    expect(parsePayload(GROUP_DAILY_QUOTA_ALARM, { QuotaUsed: '1', Quota: '2' })).toMatchObject({
      alarm: { eventTimeMs: undefined },
    })
  })

  it.each([
    [{ Quota: 1 }, 'QuotaUsed is missing'],
    [{ QuotaUsed: 1, Quota: -2 }, 'Quota must be a finite non-negative number'],
    [
      { QuotaUsed: 1, Quota: 2, EventTime: 'yesterday' },
      'EventTime must be a time in milliseconds, got "yesterday"',
    ],
    [{ QuotaUsed: 1, Quota: 2, EventTime: 1.5 }, 'EventTime must be a time in milliseconds, got 1.5'],
    [{ QuotaUsed: 1, Quota: 2, EventTime: -1 }, 'EventTime must be a time in milliseconds, got -1'],
    [
      { QuotaUsed: 1, Quota: 2, EventTime: 2 ** 53 },
      'EventTime must be a time in milliseconds, got 9007199254740992',
    ],
    [{ QuotaUsed: 1, Quota: 2, EventTime: '12345678901234567' }, 'EventTime must be a time in milliseconds'],
    [
      { QuotaUsed: 'x', EventTime: null },
      'QuotaUsed must be a finite non-negative number, got "x"; Quota is missing; EventTime must be a time in milliseconds, got null',
    ],
  ])('rejects %o', (body, detail) => {
    expect(detailOf(GROUP_DAILY_QUOTA_ALARM, body)).toContain(detail)
  })
})

describe('parsePayload: other commands', () => {
  it('accepts any JSON object', () => {
    expect(parsePayload('C2C.CallbackBeforeSendMsg', { From_Account: 'a', MsgBody: [] })).toEqual({
      kind: 'other',
    })
    expect(parsePayload('State.StateChange', {})).toEqual({ kind: 'other' })
  })

  it.each([
    [null, 'the body must be a JSON object, got null'],
    [[{}], 'the body must be a JSON object, got an array'],
    ['text', 'the body must be a JSON object, got string'],
    [42, 'the body must be a JSON object, got number'],
  ])('rejects a body that is %o', (body, detail) => {
    expect(detailOf('State.StateChange', body)).toBe(detail)
  })
})

describe('isBeforeCallback', () => {
  it.each([
    ['C2C.CallbackBeforeSendMsg', true],
    ['Group.CallbackBeforeApplyJoinGroup', true],
    ['Sns.CallbackPrevFriendAdd', true],
    ['C2C.CallbackAfterSendMsg', false],
    ['Alert.RequestOverLimit', false],
    ['State.StateChange', false],
  ])('%s → %s', (command, before) => {
    expect(isBeforeCallback(command)).toBe(before)
  })
})
