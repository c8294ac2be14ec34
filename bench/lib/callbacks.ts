import type { Dispatcher } from 'undici'
import { computeSign } from '../../src/auth/signature.js'

export const TOKEN = 'bench-token-0123456789'
export const CALLBACK_PATH = '/callback'
/** How many APIs one app gets in the catalogue; more APIs spread over more apps, as on a shared exporter. */
const APIS_PER_APP = 200
const FIRST_SDKAPPID = 1_400_000_000

export interface Api {
  sdkAppId: string
  serviceName: string
  command: string
}

// Real Chat REST services and commands, so label lengths and the exposition's size are realistic.
const SERVICES = ['openim', 'group_open_http_svc', 'profile', 'sns', 'im_open_login_svc', 'all_member_push']
const COMMANDS = [
  'sendmsg',
  'batchsendmsg',
  'importmsg',
  'admin_getroammsg',
  'admin_msgwithdraw',
  'create_group',
  'get_group_info',
  'add_group_member',
  'send_group_msg',
  'portrait_get',
  'friend_add',
  'account_import',
]

/** `count` distinct APIs: the same count always gives the same list, the smaller a prefix of the larger. */
export function apiCatalog(count: number): Api[] {
  return Array.from({ length: count }, (_, i) => {
    const inApp = i % APIS_PER_APP
    return {
      sdkAppId: String(FIRST_SDKAPPID + Math.floor(i / APIS_PER_APP)),
      serviceName: SERVICES[inApp % SERVICES.length] as string,
      command: `${COMMANDS[Math.floor(inApp / SERVICES.length) % COMMANDS.length]}_${Math.floor(inApp / SERVICES.length)}`,
    }
  })
}

/** The SDKAPPIDS value that admits every app of the catalogue of `count` APIs. */
export function sdkAppIdsFor(count: number): string {
  const apps = Math.max(1, Math.ceil(count / APIS_PER_APP))
  return Array.from({ length: apps }, (_, i) => String(FIRST_SDKAPPID + i)).join(',')
}

/** The path and query Chat would call, signed for `nowSeconds` (valid for MAX_CLOCK_SKEW_SECONDS). */
export function signedPath(
  sdkAppId: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  token = TOKEN,
): string {
  const params = new URLSearchParams({
    SdkAppid: sdkAppId,
    CallbackCommand: 'Alert.RequestOverLimit',
    contenttype: 'json',
    OptPlatform: 'RESTAPI',
    RequestTime: String(nowSeconds),
    Sign: computeSign(token, nowSeconds),
  })
  return `${CALLBACK_PATH}?${params}`
}

export function alertBody(api: Api, request: number, limit = 200): string {
  return JSON.stringify({
    CallbackCommand: 'Alert.RequestOverLimit',
    ServiceName: api.serviceName,
    Command: api.command,
    Request: request,
    Limit: limit,
  })
}

/**
 * Posts one alert signed now, as Chat would, through `dispatcher` (an undici pool, so that the caller
 * decides how many connections it uses), and fails unless it is answered 200.
 */
export async function postAlert(
  base: string,
  api: Api,
  request: number,
  options: { token?: string; limit?: number; dispatcher?: Dispatcher } = {},
): Promise<void> {
  const response = await fetch(`${base}${signedPath(api.sdkAppId, undefined, options.token)}`, {
    method: 'POST',
    body: alertBody(api, request, options.limit),
    // @ts-expect-error undici's dispatcher option, not in the DOM fetch types
    dispatcher: options.dispatcher,
  })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`callback answered ${response.status}`)
}

export interface PreparedRequest {
  method: 'POST'
  path: string
  headers: Record<string, string>
  body: string
}

/** One signed request per API, signed now: build them again for every round (RequestTime goes stale). */
export function alertRequests(apis: Api[], nowSeconds = Math.floor(Date.now() / 1000)): PreparedRequest[] {
  const paths = new Map<string, string>()
  return apis.map((api, i) => {
    let path = paths.get(api.sdkAppId)
    if (path === undefined) {
      path = signedPath(api.sdkAppId, nowSeconds)
      paths.set(api.sdkAppId, path)
    }
    return {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body: alertBody(api, 160 + (i % 100)),
    }
  })
}
