import { describe, expect, it } from 'vitest'
import { isApiSegment, parseChatApiTarget } from '../../../src/rest-meter/chat-api-path.js'

describe('parseChatApiTarget', () => {
  it('takes /v4/<servicename>/<command> and keeps the query exactly as sent', () => {
    const query =
      'sdkappid=1400000001&identifier=admin&usersig=eJw*abc-_&random=99&contenttype=json&x=%2F%20+'
    expect(parseChatApiTarget(`/v4/openim/sendmsg?${query}`)).toEqual({
      ok: true,
      api: { serviceName: 'openim', command: 'sendmsg' },
      rawQuery: query,
    })
    expect(parseChatApiTarget('/v4/group_open_http_svc/get_appid_group_list')).toEqual({
      ok: true,
      api: { serviceName: 'group_open_http_svc', command: 'get_appid_group_list' },
      rawQuery: '',
    })
    expect(parseChatApiTarget('/v4/a.b-c/D_9?')).toMatchObject({ ok: true, rawQuery: '' })
  })

  it.each([
    ['/v4/openim%2Fsendmsg', 'an encoded slash'],
    ['/v4/openim/send%2fmsg', 'an encoded slash in a segment'],
    ['/v4/%2e%2e/openim/sendmsg', 'encoded dots'],
    ['/v4/openim/%2E', 'an encoded dot'],
    ['/v4/../openim/sendmsg', 'a dot-dot segment'],
    ['/v4/openim/..', 'a dot-dot command'],
    ['/v4/./sendmsg', 'a dot service name'],
    ['http://evil.invalid/v4/openim/sendmsg', 'an absolute-form target'],
    ['//evil.invalid/v4/openim/sendmsg', 'a network-path target'],
    ['*', 'the asterisk form'],
    ['evil.invalid:443', 'the authority form'],
    ['/v4/openim/sendmsg/x', 'an extra segment'],
    ['/v4/openim/sendmsg/', 'a trailing slash'],
    ['/v4/openim', 'a missing command'],
    ['/v4//sendmsg', 'an empty service name'],
    ['/v4/openim/', 'an empty command'],
    ['/v4/', 'nothing after /v4/'],
    ['/v4', 'no slash after v4'],
    ['/v4/openim/sendmsg#x', 'a fragment'],
    ['/v4/openim/sendmsg?sdkappid=1#x', 'a fragment after the query'],
    ['/v4/openim\\sendmsg', 'a backslash'],
    ['/v4/open im/sendmsg', 'a space'],
    ['/v4/openim/sendmsg;a=b', 'a parameter'],
    ['/v4/开放/sendmsg', 'a character that is no label value'],
    ['/V4/openim/sendmsg', 'an upper-case V'],
    ['', 'an empty target'],
  ])('refuses %s (%s)', (target) => {
    expect(parseChatApiTarget(target)).toMatchObject({ ok: false, problem: expect.any(String) })
  })

  it('takes segments of 1 to 128 label-safe characters', () => {
    expect(isApiSegment('a'.repeat(128))).toBe(true)
    expect(isApiSegment('a'.repeat(129))).toBe(false)
    expect(isApiSegment('')).toBe(false)
    expect(isApiSegment('...')).toBe(true)
    expect(parseChatApiTarget(`/v4/${'s'.repeat(128)}/${'c'.repeat(128)}`).ok).toBe(true)
    expect(parseChatApiTarget(`/v4/${'s'.repeat(129)}/c`).ok).toBe(false)
  })
})
