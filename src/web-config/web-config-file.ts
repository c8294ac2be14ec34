import { validateHeaderValue } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { readRegularFileSync, UnreadableFileError } from '../files/regular-file.js'
import { checkBcryptHash } from './bcrypt-hash.js'
import { parseGoDuration } from './go-duration.js'
import {
  CIPHER_SUITE_NAMES,
  CLIENT_AUTH_TYPES,
  type ClientAuthType,
  CURVES,
  GO_DEFAULT_CIPHER_SUITES,
  opensslCiphers,
  TLS_VERSIONS,
  type TlsVersionName,
} from './tls-names.js'

/**
 * The exporter-toolkit web configuration file (`--web.config.file` of every official exporter), with
 * the same keys and meaning: TLS, extra response headers, bcrypt basic auth, a rate limit. Read and
 * checked once at start-up; the certificate files it names are re-read when they change.
 */
export interface WebConfig {
  path: string
  /** The file held nothing (empty, or only `null`): everything stays open, as in exporter-toolkit. */
  empty: boolean
  tls: TlsSettings | undefined
  /** Header name → value, set on every answer of the listener. */
  headers: ReadonlyMap<string, string>
  /** User → bcrypt hash; empty means no basic auth. */
  users: ReadonlyMap<string, string>
  rateLimit: { intervalMs: number; burst: number } | undefined
}

/** PEM text given inline in the file, or a file (read again when it changes). */
export type PemSource = { file: string; key: string } | { inline: string; key: string }

export interface TlsSettings {
  cert: PemSource
  key: PemSource
  clientCa: PemSource | undefined
  clientAuth: Exclude<ClientAuthType, 'RequireClientCert'>
  clientAllowedSans: readonly string[] | undefined
  minVersion: (typeof TLS_VERSIONS)[TlsVersionName]
  maxVersion: (typeof TLS_VERSIONS)[TlsVersionName]
  /** OpenSSL cipher list: cipher_suites, or Go's default list when it is not set. */
  ciphers: string
  honorCipherOrder: boolean
  /** OpenSSL curve list, when curve_preferences is set. */
  ecdhCurve: string | undefined
}

/** A problem in the file; the message starts with the key, e.g. `tls_server_config.cert_file: …`. */
export class WebConfigError extends Error {
  override name = 'WebConfigError'
}

const list = (values: readonly string[]) => values.join(', ')
const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, { message: `must be one of ${list(values)}` })
const text = z.string({ message: 'must be a string' })
const strings = z.array(text, { message: 'must be a list of strings' })
const bool = z.boolean({ message: 'must be true or false' })

// Unknown keys are errors, as in exporter-toolkit (yaml.UnmarshalStrict): a typo must not pass silently.
const schema = z
  .strictObject(
    {
      tls_server_config: z
        .strictObject({
          cert: text.optional(),
          key: text.optional(),
          client_ca: text.optional(),
          cert_file: text.optional(),
          key_file: text.optional(),
          client_auth_type: oneOf(CLIENT_AUTH_TYPES).optional(),
          client_ca_file: text.optional(),
          client_allowed_sans: strings.optional(),
          min_version: oneOf(Object.keys(TLS_VERSIONS) as [TlsVersionName]).optional(),
          max_version: oneOf(Object.keys(TLS_VERSIONS) as [TlsVersionName]).optional(),
          cipher_suites: z
            .array(oneOf(CIPHER_SUITE_NAMES as [string]), { message: 'must be a list of cipher suite names' })
            .optional(),
          prefer_server_cipher_suites: bool.optional(),
          curve_preferences: z
            .array(oneOf(Object.keys(CURVES) as [keyof typeof CURVES]), {
              message: 'must be a list of curve names',
            })
            .optional(),
        })
        .nullish(),
      http_server_config: z
        .strictObject({
          // HTTP/2 cannot be served here (Node's HTTP/1.1 server); accepted so that shared files load.
          http2: bool.optional(),
          headers: z
            .record(z.string(), text, { message: 'must be a map of header names to values' })
            .nullish(),
        })
        .nullish(),
      basic_auth_users: z
        .record(z.string(), text, { message: 'must be a map of user names to bcrypt hashes' })
        .nullish(),
      rate_limit: z
        .strictObject({
          interval: text.optional(),
          burst: z
            .number({ message: 'must be a whole number' })
            .int({ message: 'must be a whole number' })
            .min(0, {
              message: 'must not be negative',
            })
            .optional(),
        })
        .nullish(),
    },
    {
      message: 'must be a YAML mapping (tls_server_config, http_server_config, basic_auth_users, rate_limit)',
    },
  )
  .nullable()

/** The extra headers exporter-toolkit allows, and the values it allows for the enumerated ones. */
const HEADERS: Record<string, readonly string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
}

// Values never quoted in a message: password hashes and private keys.
const SECRET_KEY = /^(basic_auth_users\.|tls_server_config\.key$)/

function issueMessage(issue: z.core.$ZodIssue, file: unknown): string {
  const key = issue.path.join('.')
  if (issue.code === 'unrecognized_keys') {
    const where = key === '' ? 'top level' : key
    return `${where}: unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
  }
  const given = issue.path.reduce<unknown>(
    (node, step) =>
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[step] : undefined,
    file,
  )
  const got =
    typeof given === 'string' && !SECRET_KEY.test(key) ? `, got ${JSON.stringify(given.slice(0, 80))}` : ''
  return `${key === '' ? 'the file' : key}: ${issue.message}${got}`
}

/** Aliases a web configuration file may use: a handful at most in any real one, 100 as yaml's default. */
const MAX_ALIASES = 100

function yamlProblem(source: string): { value: unknown } | { problem: string } {
  // yaml is loaded only when there is a file to read: it adds to every exporter's memory otherwise.
  const { LineCounter, parseDocument } = createRequire(import.meta.url)('yaml') as typeof import('yaml')
  const lineCounter = new LineCounter()
  const doc = parseDocument(source, { prettyErrors: false, uniqueKeys: true, lineCounter })
  const error = doc.errors[0]
  if (error) {
    // The position, never the text around it: the line may hold a password hash or a key.
    const { line, col } = lineCounter.linePos(error.pos[0])
    return { problem: `not valid YAML at line ${line}, column ${col}: ${error.message}` }
  }
  try {
    // yaml refuses aliases that would expand past its limit (a "billion laughs" file) with a ReferenceError.
    return { value: doc.toJS({ maxAliasCount: MAX_ALIASES }) }
  } catch (problem) {
    return { problem: `not usable YAML: ${(problem as Error).message}` }
  }
}

/** Largest web configuration file read: a real one is a few hundred bytes, with inline PEM a few KiB. */
const MAX_WEB_CONFIG_BYTES = 1024 * 1024

/**
 * Reads WEB_CONFIG_FILE (a regular file only: a FIFO is refused at once, never waited on) and checks
 * everything but the certificates' content (see tls-material).
 */
export function readWebConfigFile(path: string): WebConfig {
  let source: string
  try {
    source = readRegularFileSync(path, MAX_WEB_CONFIG_BYTES).toString('utf8')
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error
    throw new WebConfigError(error.message)
  }
  const yaml = yamlProblem(source)
  if ('problem' in yaml) throw new WebConfigError(yaml.problem)
  const parsed = schema.safeParse(yaml.value)
  if (!parsed.success)
    throw new WebConfigError(parsed.error.issues.map((issue) => issueMessage(issue, yaml.value)).join('; '))
  const file = parsed.data ?? {}
  // Relative file names are relative to the web configuration file's folder, as in exporter-toolkit.
  const folder = dirname(resolve(path))
  return {
    path,
    empty: parsed.data === null || parsed.data === undefined,
    tls: tlsSettings(file.tls_server_config ?? undefined, folder),
    headers: headers(file.http_server_config?.headers ?? undefined),
    users: users(file.basic_auth_users ?? undefined),
    rateLimit: rateLimit(file.rate_limit ?? undefined),
  }
}

type FileTls = NonNullable<NonNullable<z.infer<typeof schema>>['tls_server_config']>

function pemSource(
  tls: FileTls,
  fileKey: 'cert_file' | 'key_file' | 'client_ca_file',
  inlineKey: 'cert' | 'key' | 'client_ca',
  folder: string,
): PemSource | undefined {
  const file = tls[fileKey]
  const inline = tls[inlineKey]
  if (file && inline) {
    throw new WebConfigError(`tls_server_config: set ${fileKey} or ${inlineKey}, not both`)
  }
  if (file) return { file: resolve(folder, file), key: `tls_server_config.${fileKey}` }
  if (inline) return { inline, key: `tls_server_config.${inlineKey}` }
  return undefined
}

function tlsSettings(tls: FileTls | undefined, folder: string): TlsSettings | undefined {
  if (!tls) return undefined
  const cert = pemSource(tls, 'cert_file', 'cert', folder)
  const key = pemSource(tls, 'key_file', 'key', folder)
  const clientCa = pemSource(tls, 'client_ca_file', 'client_ca', folder)
  // TLS is on as soon as any of these is set (exporter-toolkit's IsEnabled); the rest alone is ignored.
  if (!cert && !key && !clientCa && !tls.client_auth_type) return undefined
  if (!cert)
    throw new WebConfigError('tls_server_config.cert_file: missing (or cert): TLS needs a certificate')
  if (!key)
    throw new WebConfigError('tls_server_config.key_file: missing (or key): TLS needs the private key')
  const clientAuth =
    tls.client_auth_type === 'RequireClientCert'
      ? 'RequireAnyClientCert'
      : (tls.client_auth_type ?? 'NoClientCert')
  if (clientCa && clientAuth === 'NoClientCert') {
    throw new WebConfigError(
      `tls_server_config.client_auth_type: a client CA is set but client_auth_type is NoClientCert; set it to RequireAndVerifyClientCert, or remove ${clientCa.key}`,
    )
  }
  if (
    !clientCa &&
    (clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert')
  ) {
    throw new WebConfigError(
      `tls_server_config.client_ca_file: missing (or client_ca): ${clientAuth} verifies client certificates against it`,
    )
  }
  if (tls.client_allowed_sans && clientAuth === 'NoClientCert') {
    throw new WebConfigError(
      'tls_server_config.client_allowed_sans: client certificates are not asked for (client_auth_type is NoClientCert)',
    )
  }
  const minVersion = tls.min_version ?? 'TLS12'
  const maxVersion = tls.max_version ?? 'TLS13'
  for (const [key, version] of [
    ['min_version', minVersion],
    ['max_version', maxVersion],
  ] as const) {
    // OpenSSL 3 turns them off at its default security level (every handshake would fail), and lowering
    // the level would weaken the checks of client certificates too.
    if (version === 'TLS10' || version === 'TLS11') {
      throw new WebConfigError(
        `tls_server_config.${key}: ${version} is not supported (OpenSSL 3 refuses TLS 1.0 and 1.1 at its default security level); use TLS12 or TLS13`,
      )
    }
  }
  if (minVersion > maxVersion) {
    throw new WebConfigError(
      `tls_server_config.min_version: ${minVersion} is above max_version ${maxVersion}`,
    )
  }
  return {
    cert,
    key,
    clientCa,
    clientAuth,
    clientAllowedSans: tls.client_allowed_sans,
    minVersion: TLS_VERSIONS[minVersion],
    maxVersion: TLS_VERSIONS[maxVersion],
    ciphers: opensslCiphers(tls.cipher_suites?.length ? tls.cipher_suites : GO_DEFAULT_CIPHER_SUITES),
    honorCipherOrder: tls.prefer_server_cipher_suites ?? true,
    ecdhCurve: tls.curve_preferences?.length
      ? tls.curve_preferences.map((name) => CURVES[name]).join(':')
      : undefined,
  }
}

function headers(given: Record<string, string> | undefined): ReadonlyMap<string, string> {
  const result = new Map<string, string>()
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!(name in HEADERS)) {
      throw new WebConfigError(
        `http_server_config.headers.${name}: this header cannot be set (allowed: ${list(Object.keys(HEADERS))})`,
      )
    }
    const allowed = HEADERS[name]
    if (allowed && !allowed.includes(value)) {
      throw new WebConfigError(
        `http_server_config.headers.${name}: must be one of ${list(allowed)}, got ${JSON.stringify(value)}`,
      )
    }
    // Node would refuse it on every answer (500 for every request, probes included): refuse it now.
    try {
      validateHeaderValue(name, value)
    } catch {
      throw new WebConfigError(
        `http_server_config.headers.${name}: a header value must be Latin-1 without control characters (no CR or LF), got ${JSON.stringify(value.slice(0, 80))}`,
      )
    }
    // A blank value leaves the header unset, as in exporter-toolkit.
    if (value !== '') result.set(name, value)
  }
  return result
}

function users(given: Record<string, string> | undefined): ReadonlyMap<string, string> {
  const result = new Map<string, string>()
  for (const [user, hash] of Object.entries(given ?? {})) {
    const key = `basic_auth_users.${user}`
    if (user === '' || user.includes(':')) {
      throw new WebConfigError(
        `basic_auth_users: a user name must be non-empty and without ":" (basic auth splits on it)`,
      )
    }
    const problem = checkBcryptHash(hash)
    if (problem) throw new WebConfigError(`${key}: ${problem}`)
    result.set(user, hash)
  }
  return result
}

function rateLimit(given: { interval?: string; burst?: number } | undefined): WebConfig['rateLimit'] {
  if (!given || given.interval === undefined) return undefined
  const intervalMs = parseGoDuration(given.interval)
  if (intervalMs === undefined) {
    throw new WebConfigError(
      `rate_limit.interval: must be a duration such as 100ms, 1s or 1m, got ${JSON.stringify(given.interval)}`,
    )
  }
  if (intervalMs === 0) return undefined
  const burst = given.burst ?? 0
  if (burst < 1)
    throw new WebConfigError('rate_limit.burst: must be at least 1 (0 would refuse every request)')
  return { intervalMs, burst }
}
