import { computeSign } from '../../src/auth/signature.js'

export const SDKAPPID = '1400000001'
export const TOKEN = 'xxxxyyyy'

export interface CallbackUrlOptions {
  sdkAppId?: string
  command?: string
  token?: string
  /** Unix seconds; defaults to now. */
  requestTime?: number
  path?: string
  extra?: Record<string, string>
}

/** The URL Chat would call: the configured path plus its query parameters, signed when a token is given. */
export function callbackUrl(base: string, options: CallbackUrlOptions = {}): string {
  const params = new URLSearchParams({
    SdkAppid: options.sdkAppId ?? SDKAPPID,
    CallbackCommand: options.command ?? 'Alert.RequestOverLimit',
    contenttype: 'json',
    OptPlatform: 'RESTAPI',
    ...options.extra,
  })
  if (options.token !== undefined) {
    const requestTime = options.requestTime ?? Math.floor(Date.now() / 1000)
    params.set('Sign', computeSign(options.token, requestTime))
    params.set('RequestTime', String(requestTime))
  }
  return `${base}${options.path ?? '/callback'}?${params}`
}

export function alertBody(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    CallbackCommand: 'Alert.RequestOverLimit',
    ServiceName: 'openim',
    Command: 'batchsendmsg',
    Request: 510,
    Limit: 200,
    ...overrides,
  })
}

export async function postCallback(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body, headers })
  const text = await response.text()
  return { status: response.status, text, headers: response.headers }
}

/** Reads one sample's value from a Prometheus text exposition, or undefined when absent. */
export function sampleValue(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}
