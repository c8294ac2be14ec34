import { computeSign } from '../../src/auth/signature.js'

export interface CallbackTarget {
  url: URL
  sdkAppId: string
  token: string | undefined
}

export interface CallbackResult {
  status: number
  /** Chat's answer body: `{"ActionStatus":"OK",...}` or the exporter's FAIL body. */
  body: string
}

/**
 * POSTs one callback the way Chat does: the command and app in the query string, signed with
 * SHA-256(token + RequestTime) when a token is set, and a JSON body.
 */
export async function sendCallback(
  target: CallbackTarget,
  body: Record<string, unknown> & { CallbackCommand: string },
  now: () => number = Date.now,
  signal?: AbortSignal,
): Promise<CallbackResult> {
  const url = new URL(target.url)
  url.searchParams.set('SdkAppid', target.sdkAppId)
  url.searchParams.set('CallbackCommand', body.CallbackCommand)
  url.searchParams.set('contenttype', 'json')
  url.searchParams.set('OptPlatform', 'RESTAPI')
  if (target.token !== undefined) {
    const requestTime = Math.floor(now() / 1000)
    url.searchParams.set('Sign', computeSign(target.token, requestTime))
    url.searchParams.set('RequestTime', String(requestTime))
  }
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(5000)]) : AbortSignal.timeout(5000),
  })
  return { status: response.status, body: await response.text() }
}
