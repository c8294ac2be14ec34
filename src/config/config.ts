import { z } from 'zod'
import { readApiLimitsFileSync } from '../rest-meter/api-limits-file.js'
import { readPemCertificates } from '../rest-meter/extra-ca.js'
import { readTokenFileSync } from '../tokens/token-file.js'
import { tokenProblem } from '../tokens/token-list.js'
import { loadTlsMaterial } from '../web-config/tls-material.js'
import { readWebConfigFile, type WebConfig, WebConfigError } from '../web-config/web-config-file.js'

/** The exporter's validated configuration, read once at start-up from the environment (SPEC §4). */
export interface Config {
  port: number
  host: string
  /** When set, `/metrics` is served only on this second listener. */
  metricsPort: number | undefined
  callbackPath: string
  /** SDKAppIDs to accept; `undefined` accepts any. */
  sdkAppIds: ReadonlySet<string> | undefined
  /** CALLBACK_TOKEN: one fixed callback token; when set, `Sign` and `RequestTime` are required. */
  callbackToken: string | undefined
  /** CALLBACK_TOKEN_FILE: its path and the tokens read at start-up; it is re-read when it changes. */
  callbackTokenFile: TokenFileConfig | undefined
  maxClockSkewSeconds: number
  /**
   * WEB_CONFIG_FILE: exporter-toolkit web configuration (TLS, headers, basic auth, rate limit) for the
   * listener that serves `/metrics`; never applied to the callback path or the probes.
   */
  webConfig: WebConfig | undefined
  alertTtlSeconds: number
  maxSeries: number
  bodyLimitBytes: number
  logLevel: LogLevel
  /** How long SIGTERM waits for requests in flight before forcing the exit. */
  shutdownTimeoutSeconds: number
  upstream: UpstreamConfig | undefined
  /** The REST meter: on when EGRESS_PORT is set. */
  egress: EgressConfig | undefined
  /** API_LIMITS_FILE: its path and the limits read at start-up; re-read when it changes. */
  apiLimitsFile: ApiLimitsFileConfig | undefined
}

export interface TokenFileConfig {
  path: string
  /** One or more tokens (never none): a Sign matching any of them is accepted. */
  tokens: readonly string[]
}

/** Front-proxy mode: forward every accepted callback to the app backend. */
export interface UpstreamConfig {
  url: URL
  timeoutMs: number
  failurePolicy: 'allow' | 'reject'
  /** Whether alarm callbacks (which the exporter answers itself) are forwarded too. */
  forwardAlerts: boolean
}

/** The REST meter: the app's REST calls to Chat, forwarded and measured (docs/rest-meter.md). */
export interface EgressConfig {
  port: number
  host: string
  /** Chat's REST origin for the app's region (CHAT_REST_URL); calls go to its path + the call's path. */
  chatRestUrl: URL
  timeoutMs: number
  /** CHAT_REST_CA_FILE: extra CA certificates (PEM) trusted for CHAT_REST_URL, beside the system's. */
  extraCa: { path: string; pem: string } | undefined
  bodyLimitBytes: number
}

export interface ApiLimitsFileConfig {
  path: string
  /** `<servicename>/<command>` → calls per second. */
  limits: ReadonlyMap<string, number>
  /** The file's content at start-up: the watcher reports only a change from it. */
  content: string
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** A configuration error; its message names the variable and what is wrong with it. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Env = Record<string, string | undefined>

/** The callback listener's port when PORT is unset (also where the Docker HEALTHCHECK looks). */
export const DEFAULT_PORT = 10240

const RESERVED_PATHS = ['/', '/metrics', '/api/v1/status', '/-/healthy', '/-/ready', '/healthz', '/readyz']

// Environment variables are strings; an empty string means "unset", as in most exporters.
const unsetIfEmpty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value

const integer = (min: number, max: number) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}` })
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(min, { message: `must be at least ${min}` })
          .max(max, { message: `must be at most ${max}` }),
      ),
  )

// The default is kept as metadata as well, so that environmentVariables() can list it for the docs.
const withDefault = <T extends z.ZodType>(schema: T, fallback: string) =>
  z.preprocess((value) => unsetIfEmpty(value) ?? fallback, schema).meta({ environmentDefault: fallback })

const portSchema = integer(0, 65535)

const sdkAppIdsSchema = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .transform((value) => value.split(',').map((id) => id.trim()))
    .pipe(
      z
        .array(
          z.string().regex(/^\d{1,20}$/, {
            message: 'must be a comma-separated list of numeric SDKAppIDs such as 1400000001',
          }),
        )
        .min(1),
    )
    .transform((ids) => new Set(ids) as ReadonlySet<string>)
    .optional(),
)

const callbackPathSchema = z
  .string()
  .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, {
    message: 'must be a URL path starting with "/" (for example /callback)',
  })
  .refine((path) => !RESERVED_PATHS.includes(path), {
    message: `must not be one of the exporter's own paths (${RESERVED_PATHS.join(', ')})`,
  })

const envSchema = z
  .object({
    PORT: withDefault(portSchema, String(DEFAULT_PORT)),
    HOST: withDefault(z.string().trim().min(1), '0.0.0.0'),
    METRICS_PORT: z.preprocess(unsetIfEmpty, portSchema.optional()),
    CALLBACK_PATH: withDefault(callbackPathSchema, '/callback'),
    SDKAPPIDS: sdkAppIdsSchema,
    MAX_CLOCK_SKEW_SECONDS: withDefault(integer(1, 86_400), '60'),
    ALERT_TTL_SECONDS: withDefault(integer(1, 604_800), '300'),
    MAX_SERIES: withDefault(integer(1, 1_000_000), '2000'),
    BODY_LIMIT_BYTES: withDefault(integer(1024, 64 * 1024 * 1024), '262144'),
    LOG_LEVEL: withDefault(
      z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }),
      'info',
    ),
    SHUTDOWN_TIMEOUT_SECONDS: withDefault(integer(1, 600), '10'),
    UPSTREAM_URL: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .trim()
        .transform((value, ctx) => {
          try {
            const url = new URL(value)
            if (url.protocol === 'http:' || url.protocol === 'https:') return url
          } catch {}
          ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' })
          return z.NEVER
        })
        .optional(),
    ),
    UPSTREAM_TIMEOUT_MS: withDefault(integer(1, 60_000), '1800'),
    UPSTREAM_FAILURE_POLICY: withDefault(
      z.enum(['allow', 'reject'], { message: 'must be allow or reject' }),
      'allow',
    ),
    UPSTREAM_FORWARD_ALERTS: withDefault(
      z.enum(['true', 'false'], { message: 'must be true or false' }).transform((value) => value === 'true'),
      'true',
    ),
    EGRESS_PORT: z.preprocess(unsetIfEmpty, portSchema.optional()),
    EGRESS_HOST: withDefault(z.string().trim().min(1), '127.0.0.1'),
    CHAT_REST_URL: withDefault(
      z
        .string()
        .trim()
        .transform((value, ctx) => {
          try {
            const url = new URL(value)
            if (url.protocol === 'https:' && url.search === '' && url.hash === '' && url.username === '')
              return url
          } catch {}
          ctx.addIssue({
            code: 'custom',
            message:
              "must be an https:// URL without query or credentials: Chat's REST domain for the app's region, such as https://adminapisgp.im.qcloud.com",
          })
          return z.NEVER
        }),
      'https://console.tim.qq.com',
    ),
    CHAT_REST_TIMEOUT_MS: withDefault(integer(100, 120_000), '10000'),
    REST_BODY_LIMIT_BYTES: withDefault(integer(1024, 256 * 1024 * 1024), '8388608'),
  })
  .superRefine((env, ctx) => {
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' })
    }
    if (env.EGRESS_PORT !== undefined && env.EGRESS_PORT !== 0) {
      for (const other of ['PORT', 'METRICS_PORT'] as const) {
        if (env[other] === env.EGRESS_PORT) {
          ctx.addIssue({ code: 'custom', path: ['EGRESS_PORT'], message: `must differ from ${other}` })
        }
      }
    }
  })

/**
 * Read beside the schema: the token may come from a file, and must never appear in a message; the web
 * configuration is a file with keys of its own.
 */
const FILE_VARIABLES = [
  'CALLBACK_TOKEN',
  'CALLBACK_TOKEN_FILE',
  'WEB_CONFIG_FILE',
  'CHAT_REST_CA_FILE',
  'API_LIMITS_FILE',
] as const

/**
 * Every environment variable the configuration reads, with its default as it would be written in the
 * environment (`undefined`: unset). docs/configuration.md is checked against it (test/docs).
 */
export function environmentVariables(): ReadonlyMap<string, string | undefined> {
  const variables = new Map<string, string | undefined>()
  for (const [name, schema] of Object.entries(envSchema.shape)) {
    const fallback = schema.meta()?.environmentDefault
    variables.set(name, typeof fallback === 'string' ? fallback : undefined)
  }
  for (const name of FILE_VARIABLES) variables.set(name, undefined)
  return variables
}

/**
 * Reads CALLBACK_TOKEN (one token) or CALLBACK_TOKEN_FILE (one or more, one a line); never puts a
 * token in a message. The file's later changes are picked up by the token file watcher.
 */
function readTokens(env: Env): Pick<Config, 'callbackToken' | 'callbackTokenFile'> {
  const inline = unsetIfEmpty(env.CALLBACK_TOKEN) as string | undefined
  const file = unsetIfEmpty(env.CALLBACK_TOKEN_FILE) as string | undefined
  if (inline !== undefined && file !== undefined) {
    throw new ConfigError('CALLBACK_TOKEN and CALLBACK_TOKEN_FILE are both set: set only one of them')
  }
  if (inline !== undefined) {
    const token = inline.trim()
    const problem = tokenProblem(token)
    if (problem !== undefined) throw new ConfigError(`CALLBACK_TOKEN: ${problem}`)
    return { callbackToken: token, callbackTokenFile: undefined }
  }
  if (file === undefined) return { callbackToken: undefined, callbackTokenFile: undefined }
  const read = readTokenFileSync(file)
  if (!read.ok) throw new ConfigError(`CALLBACK_TOKEN_FILE: ${read.problem}`)
  return { callbackToken: undefined, callbackTokenFile: { path: file, tokens: read.tokens } }
}

/**
 * Reads WEB_CONFIG_FILE and the certificate files it names; a problem stops start-up with a message
 * naming the variable, the file and the key, never a password hash or a private key.
 */
function readWebConfig(env: Env): WebConfig | undefined {
  const path = unsetIfEmpty(env.WEB_CONFIG_FILE) as string | undefined
  if (path === undefined) return undefined
  try {
    const webConfig = readWebConfigFile(path)
    if (webConfig.tls) loadTlsMaterial(webConfig.tls)
    return webConfig
  } catch (error) {
    if (!(error instanceof WebConfigError)) throw error
    throw new ConfigError(`WEB_CONFIG_FILE (${path}): ${error.message}`)
  }
}

/** CHAT_REST_CA_FILE: PEM certificates to trust for CHAT_REST_URL besides the system's. */
function readExtraCa(env: Env): EgressConfig['extraCa'] {
  const path = unsetIfEmpty(env.CHAT_REST_CA_FILE) as string | undefined
  if (path === undefined) return undefined
  const read = readPemCertificates(path)
  if (!read.ok) throw new ConfigError(`CHAT_REST_CA_FILE (${path}): ${read.problem}`)
  return { path, pem: read.pem }
}

/** API_LIMITS_FILE: per-API limits (YAML); its later changes are picked up by its watcher. */
function readApiLimits(env: Env): ApiLimitsFileConfig | undefined {
  const path = unsetIfEmpty(env.API_LIMITS_FILE) as string | undefined
  if (path === undefined) return undefined
  const read = readApiLimitsFileSync(path)
  if (!read.ok) throw new ConfigError(`API_LIMITS_FILE (${path}): ${read.problem}`)
  return { path, limits: read.limits, content: read.content ?? '' }
}

function describeIssues(error: z.ZodError, env: Env): string {
  const messages = error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? 'environment')
    const raw = env[variable]
    return `${variable}: ${issue.message}${raw === undefined ? '' : `, got ${JSON.stringify(shownValue(raw))}`}`
  })
  // A list variable reports each bad entry with the same message: say it once.
  return [...new Set(messages)].join('; ')
}

/** The value as it may appear in a message: cut short, and without credentials in a URL. */
function shownValue(raw: string): string {
  const safe = raw.replace(/:\/\/[^/@]*@/, '://…@')
  return safe.length > 80 ? `${safe.slice(0, 80)}…` : safe
}

/** Validates the environment and returns the configuration, or throws a ConfigError naming each bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, env))
  const values = parsed.data
  const tokens = readTokens(env)
  const webConfig = readWebConfig(env)
  const extraCa = readExtraCa(env)
  const apiLimitsFile = readApiLimits(env)
  return {
    port: values.PORT,
    host: values.HOST,
    metricsPort: values.METRICS_PORT,
    callbackPath: values.CALLBACK_PATH,
    sdkAppIds: values.SDKAPPIDS,
    ...tokens,
    maxClockSkewSeconds: values.MAX_CLOCK_SKEW_SECONDS,
    webConfig,
    alertTtlSeconds: values.ALERT_TTL_SECONDS,
    maxSeries: values.MAX_SERIES,
    bodyLimitBytes: values.BODY_LIMIT_BYTES,
    logLevel: values.LOG_LEVEL,
    shutdownTimeoutSeconds: values.SHUTDOWN_TIMEOUT_SECONDS,
    upstream:
      values.UPSTREAM_URL === undefined
        ? undefined
        : {
            url: values.UPSTREAM_URL,
            timeoutMs: values.UPSTREAM_TIMEOUT_MS,
            failurePolicy: values.UPSTREAM_FAILURE_POLICY,
            forwardAlerts: values.UPSTREAM_FORWARD_ALERTS,
          },
    egress:
      values.EGRESS_PORT === undefined
        ? undefined
        : {
            port: values.EGRESS_PORT,
            host: values.EGRESS_HOST,
            chatRestUrl: values.CHAT_REST_URL,
            timeoutMs: values.CHAT_REST_TIMEOUT_MS,
            extraCa,
            bodyLimitBytes: values.REST_BODY_LIMIT_BYTES,
          },
    apiLimitsFile,
  }
}

/** The defaults, for tests and embedders that build a config by hand. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), ...overrides }
}
