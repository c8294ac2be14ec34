import { describe, expect, it } from 'vitest'
import { parseCallbackQuery } from '../../src/protocol/callback-query.js'
import { CallbackRejection } from '../../src/protocol/rejection.js'

const base = { SdkAppid: '1400000001', CallbackCommand: 'Alert.RequestOverLimit' }

function detailOf(query: Record<string, string | string[] | undefined>): string {
  try {
    parseCallbackQuery(query)
  } catch (error) {
    expect(error).toBeInstanceOf(CallbackRejection)
    expect((error as CallbackRejection).reason).toBe('invalid_payload')
    return (error as CallbackRejection).detail
  }
  throw new Error('expected a rejection')
}

describe('parseCallbackQuery', () => {
  it("reads Chat's parameters", () => {
    expect(
      parseCallbackQuery({
        ...base,
        contenttype: 'json',
        OptPlatform: 'RESTAPI',
        ClientIP: '10.0.0.1',
        Sign: 'abc',
        RequestTime: '1669872112',
      }),
    ).toEqual({
      sdkAppId: '1400000001',
      callbackCommand: 'Alert.RequestOverLimit',
      sign: 'abc',
      requestTime: '1669872112',
      optPlatform: 'RESTAPI',
      contentType: 'json',
      clientIp: '10.0.0.1',
    })
  })

  it('ignores the case of parameter names (SdkAppId as in the LiveKit docs)', () => {
    expect(parseCallbackQuery({ SdkAppId: '1', callbackcommand: 'State.StateChange' })).toMatchObject({
      sdkAppId: '1',
      callbackCommand: 'State.StateChange',
    })
  })

  it.each([
    [{ CallbackCommand: 'x' }, 'query parameter SdkAppid is missing'],
    [{ SdkAppid: '', CallbackCommand: 'x' }, 'query parameter SdkAppid is missing'],
    [
      { SdkAppid: 'abc', CallbackCommand: 'x' },
      'query parameter SdkAppid must be a numeric SDKAppID, got "abc"',
    ],
    [{ SdkAppid: '1' }, 'query parameter CallbackCommand is missing'],
    [{ SdkAppid: ['1', '2'], CallbackCommand: 'x' }, 'query parameter SdkAppid is given more than once'],
    [
      { SdkAppid: '1', sdkappid: '2', CallbackCommand: 'x' },
      'query parameter SdkAppid is given more than once',
    ],
    [{ ...base, CallbackCommand: 'Alert RequestOverLimit' }, 'must be 1-128 letters, digits or _.-/'],
    [{ ...base, CallbackCommand: 'x'.repeat(129) }, 'must be 1-128 letters, digits or _.-/'],
    [{ ...base, CallbackCommand: 'Alert.请求' }, 'must be 1-128 letters, digits or _.-/'],
    [{ ...base, Sign: ['a', 'b'] }, 'query parameter Sign is given more than once'],
  ])('rejects %o', (query, detail) => {
    expect(detailOf(query)).toContain(detail)
  })
})
