import { parseArgs } from 'node:util'

export interface ApiSpec {
  serviceName: string
  command: string
  /** QPS limit Chat reports for the API. */
  limit: number
}

export interface SimulationOptions {
  /** The exporter's callback URL; the only address the simulator sends to. */
  url: URL
  sdkAppId: string
  /** Callback authentication token; when set, every request carries Sign and RequestTime. */
  token: string | undefined
  durationSeconds: number
  intervalSeconds: number
  apis: ApiSpec[]
  groupQuota: number
  /** The REST meter's base URL (EGRESS_PORT): when set, REST calls go through it too. */
  restUrl: URL | undefined
  /** The APIs the REST calls go to, with the per-second limit Chat enforces on each. */
  restApis: ApiSpec[]
  /** The app's admin account and secret key, which sign the REST calls' UserSigs. */
  identifier: string
  secretKey: string
}

export const DEFAULT_APIS =
  'openim/batchsendmsg:200,openim/sendmsg:200,group_open_http_svc/send_group_msg:200'

/** APIs of the REST calls, with the per-second limits the demo Chat enforces (deploy's demo limits file too). */
export const DEFAULT_REST_APIS =
  'profile/portrait_get:20,group_open_http_svc/get_group_info:10,openim/query_online_status:10'

export const USAGE = `Usage: npm run simulate -- [options]

Sends signed Tencent Chat alarm callbacks to a running exporter: a ramp through 80% of the limit,
a spike over 100%, then recovery (no alarms). With --rest-url, also calls Chat's REST API through the
exporter's REST meter: a ramp from 30% of each API's limit, the same spike (Chat answers 60007 past the
limit, and a few calls carry an expired UserSig), then 30%. Stops by itself after --duration.

  --url URL          callback URL (default http://127.0.0.1:10240/callback)
  --sdkappid ID      SdkAppid to send (default 1400000001)
  --token TOKEN      callback authentication token (default: $CALLBACK_TOKEN; unsigned when empty)
  --duration SEC     length of the whole pattern, 5 to 3600 (default 120)
  --interval SEC     seconds between rounds of alarms, 0.1 to 60 (default 1)
  --apis LIST        comma-separated service/command[:limit] (default ${DEFAULT_APIS})
  --group-quota N    daily group quota reported by group quota alarms (default 10000)
  --rest-url URL     the REST meter's base URL (EGRESS_PORT), e.g. http://127.0.0.1:10241
  --rest-apis LIST   service/command:limit of the REST calls (default ${DEFAULT_REST_APIS})
  --identifier ID    the app's admin account of the REST calls (default administrator)
  --secret-key KEY   the app's secret key for the UserSigs (default: $CHAT_SECRET_KEY)
  --help             show this help`

export class UsageError extends Error {
  override name = 'UsageError'
}

function numberIn(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`)
  }
  return value
}

export function parseApis(list: string): ApiSpec[] {
  const apis = list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const match = /^([\w.-]+)\/([\w.-]+)(?::(\d+))?$/.exec(item)
      if (!match) throw new UsageError(`--apis: "${item}" is not service/command[:limit]`)
      return { serviceName: match[1] as string, command: match[2] as string, limit: Number(match[3] ?? 200) }
    })
  if (apis.length === 0) throw new UsageError('--apis: give at least one service/command')
  if (apis.some((api) => api.limit <= 0)) throw new UsageError('--apis: a limit must be above 0')
  return apis
}

export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined>,
): SimulationOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:10240/callback' },
      sdkappid: { type: 'string', default: '1400000001' },
      token: { type: 'string' },
      duration: { type: 'string', default: '120' },
      interval: { type: 'string', default: '1' },
      apis: { type: 'string', default: DEFAULT_APIS },
      'group-quota': { type: 'string', default: '10000' },
      'rest-url': { type: 'string' },
      'rest-apis': { type: 'string', default: DEFAULT_REST_APIS },
      identifier: { type: 'string', default: 'administrator' },
      'secret-key': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) return 'help'
  let url: URL
  try {
    url = new URL(values.url)
  } catch {
    throw new UsageError(`--url: "${values.url}" is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError('--url must be http or https')
  if (!/^\d{1,20}$/.test(values.sdkappid)) throw new UsageError('--sdkappid must be digits')
  const token = values.token ?? env.CALLBACK_TOKEN
  let restUrl: URL | undefined
  if (values['rest-url'] !== undefined) {
    try {
      restUrl = new URL(values['rest-url'])
    } catch {
      throw new UsageError(`--rest-url: "${values['rest-url']}" is not a URL`)
    }
    if (restUrl.protocol !== 'http:' && restUrl.protocol !== 'https:')
      throw new UsageError('--rest-url must be http or https')
  }
  const secretKey = values['secret-key'] ?? env.CHAT_SECRET_KEY ?? ''
  if (restUrl && secretKey === '')
    throw new UsageError("--rest-url needs the app's secret key: --secret-key or CHAT_SECRET_KEY")
  return {
    url,
    sdkAppId: values.sdkappid,
    token: token === undefined || token === '' ? undefined : token,
    durationSeconds: numberIn('duration', values.duration, 5, 3600),
    intervalSeconds: numberIn('interval', values.interval, 0.1, 60),
    apis: parseApis(values.apis),
    groupQuota: numberIn('group-quota', values['group-quota'], 1, 10_000_000),
    restUrl,
    restApis: parseApis(values['rest-apis']),
    identifier: values.identifier,
    secretKey,
  }
}
