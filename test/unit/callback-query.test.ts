import querystring from 'node:querystring'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CallbackQuery, parseCallbackQuery as parseRaw } from '../../src/protocol/callback-query.js'
import { isValidLabelValue, quoteForMessage } from '../../src/protocol/label-value.js'
import { CallbackRejection } from '../../src/protocol/rejection.js'

const base = { SdkAppid: '1400000001', CallbackCommand: 'Alert.RequestOverLimit' }

/** The query string a set of parameters makes (an array: the parameter given once per value). */
const queryOf = (params: Record<string, string | string[] | undefined>) =>
  Object.entries(params)
    .flatMap(([name, value]) => (value === undefined ? [] : [value].flat().map((v) => [name, v])))
    .map(([name, value]) => `${encodeURIComponent(name as string)}=${encodeURIComponent(value as string)}`)
    .join('&')
const parseCallbackQuery = (params: Record<string, string | string[] | undefined>) =>
  parseRaw(queryOf(params))

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

describe('parseCallbackQuery on raw query strings', () => {
  it("decodes as Node's querystring does: + is a space, escapes, a broken escape left as sent", () => {
    expect(
      parseRaw('SdkAppid=1&CallbackCommand=A.B&ClientIP=1.2.3.4+x&Sign=%41%zz&contenttype=%E4%BD%A0'),
    ).toMatchObject({
      clientIp: '1.2.3.4 x',
      sign: 'A%zz',
      contentType: '你',
    })
    expect(parseRaw('sdk%41ppid=7&%43allbackCommand=A.B&OptPlatform&&=x')).toMatchObject({
      sdkAppId: '7',
      callbackCommand: 'A.B',
      optPlatform: '',
    })
  })

  /**
   * The reference: what the exporter did before reading the raw query itself, Koa's `ctx.query`
   * (Node's querystring.parse) and then the parameters by lower-cased name.
   */
  function reference(raw: string): CallbackQuery {
    const params = new Map<string, string | string[]>()
    for (const [key, value] of Object.entries(querystring.parse(raw))) {
      if (value === undefined) continue
      const name = key.toLowerCase()
      const seen = params.get(name)
      params.set(name, seen === undefined ? value : [seen, value].flat())
    }
    const pick = (name: string) => {
      const value = params.get(name.toLowerCase())
      if (Array.isArray(value)) {
        throw new CallbackRejection('invalid_payload', `query parameter ${name} is given more than once`)
      }
      return value
    }
    const sdkAppId = pick('SdkAppid')
    if (sdkAppId === undefined || sdkAppId === '') {
      throw new CallbackRejection('invalid_payload', 'query parameter SdkAppid is missing')
    }
    if (!/^\d{1,20}$/.test(sdkAppId)) {
      throw new CallbackRejection(
        'invalid_payload',
        `query parameter SdkAppid must be a numeric SDKAppID, got ${quoteForMessage(sdkAppId)}`,
      )
    }
    const callbackCommand = pick('CallbackCommand')
    if (callbackCommand === undefined || callbackCommand === '') {
      throw new CallbackRejection('invalid_payload', 'query parameter CallbackCommand is missing')
    }
    if (!isValidLabelValue(callbackCommand)) {
      throw new CallbackRejection(
        'invalid_payload',
        `query parameter CallbackCommand must be 1-128 letters, digits or _.-/, got ${quoteForMessage(callbackCommand)}`,
      )
    }
    return {
      sdkAppId,
      callbackCommand,
      sign: pick('Sign'),
      requestTime: pick('RequestTime'),
      optPlatform: pick('OptPlatform'),
      contentType: pick('contenttype'),
      clientIp: pick('ClientIP'),
    }
  }

  const outcome = (parse: (raw: string) => CallbackQuery, raw: string) => {
    try {
      return parse(raw)
    } catch (error) {
      return (error as Error).message
    }
  }

  const name = fc.oneof(
    fc.constantFrom('SdkAppid', 'sdkappid', 'SDKAPPID', 'SdkAppId', 'CallbackCommand', 'callbackcommand'),
    fc.constantFrom('Sign', 'SIGN', 'RequestTime', 'OptPlatform', 'contenttype', 'ClientIP', 'clientip'),
    fc.constantFrom('Sdk%41ppid', 'sdkapp%69d', 'Sign+', 'S%69gn', '%', '', '__proto__', 'constructor'),
    fc.string({ maxLength: 6 }),
  )
  const value = fc.oneof(
    fc.stringMatching(/^\d{1,22}$/),
    fc.constantFrom(
      'Alert.RequestOverLimit',
      'State.StateChange',
      'a+b',
      '%41',
      '%zz',
      '%E4%BD',
      '%E4%BD%A0',
      '',
    ),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'binary', maxLength: 8 }).map(encodeURIComponent),
  )
  const pair = fc.oneof(
    fc.tuple(name, value).map(([n, v]) => `${n}=${v}`),
    name,
    fc.constantFrom('', '=', '==', '=x', '&'),
  )

  it('reads the same values and gives the same rejections as querystring.parse and lower-cased names', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 10 }), (pairs) => {
        const raw = pairs.join('&')
        expect(outcome(parseRaw, raw)).toEqual(outcome(reference, raw))
      }),
      { numRuns: 20_000 },
    )
  })

  it("stops after 1,000 pairs, as Node's querystring does", () => {
    const padding = Array.from({ length: 998 }, (_, i) => `p${i}=1`).join('&')
    for (const raw of [
      `SdkAppid=1&${padding}&CallbackCommand=A.B`,
      `SdkAppid=1&CallbackCommand=A.B&${padding}&Sign=x`,
      `SdkAppid=1&&&${padding}&CallbackCommand=A.B`,
    ]) {
      expect(outcome(parseRaw, raw)).toEqual(outcome(reference, raw))
    }
  })

  it('checks the CallbackCommand of every callback, also after many accepted ones', () => {
    for (let i = 0; i < 300; i++) {
      expect(parseRaw(`SdkAppid=1&CallbackCommand=A.Cmd${i}`).callbackCommand).toBe(`A.Cmd${i}`)
      expect(parseRaw(`SdkAppid=1&CallbackCommand=A.Cmd${i}`).callbackCommand).toBe(`A.Cmd${i}`)
    }
    for (const bad of ['A B', 'X/Sign/0123456789abcdef0123456789abcdef', 'é']) {
      for (let i = 0; i < 2; i++) {
        expect(() => parseRaw(`SdkAppid=1&CallbackCommand=${encodeURIComponent(bad)}`)).toThrow(
          /query parameter CallbackCommand (must be|holds)/,
        )
      }
    }
  })
})
