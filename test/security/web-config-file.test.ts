import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config/config.js'
import { readWebConfigFile } from '../../src/web-config/web-config-file.js'
import { makePki, type Pki } from './support/pki.js'

let pki: Pki
let hash: string
let n = 0

beforeAll(async () => {
  pki = makePki()
  hash = await bcrypt.hash('s3cret-password', 4)
})

afterAll(() => pki?.remove())

/** Nine levels of nine aliases each: 387 million strings if expanded ("billion laughs"). */
function aliasBomb(): string {
  let yaml =
    'basic_auth_users: &a0 {}\nrate_limit:\n  interval: 1s\n  burst: 1\nx0: &b0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
  for (let level = 1; level < 9; level += 1) {
    const previous = `*b${level - 1}`
    yaml += `x${level}: &b${level} [${Array(9).fill(previous).join(',')}]\n`
  }
  return yaml
}

/** Writes a web configuration file beside the certificates and returns its path. */
function webConfigFile(yaml: string): string {
  n += 1
  const path = join(pki.dir, `web-${n}.yml`)
  writeFileSync(path, yaml)
  return path
}

function startupError(yaml: string): string {
  try {
    loadConfig({ WEB_CONFIG_FILE: webConfigFile(yaml) })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('WEB_CONFIG_FILE', () => {
  it('reads every key of the exporter-toolkit format', () => {
    const config = loadConfig({
      WEB_CONFIG_FILE: webConfigFile(`
tls_server_config:
  cert_file: server.crt          # relative to this file's folder
  key_file: ${pki.server.key}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [prometheus.monitoring.svc]
  min_version: TLS12
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: true
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: ""
basic_auth_users:
  prometheus: ${hash}
  alloy: ${hash.replace('$2b$', '$2y$')}
rate_limit:
  interval: 100ms
  burst: 20
`),
    })
    const web = config.webConfig
    expect(web?.tls).toMatchObject({
      cert: { file: pki.server.cert, key: 'tls_server_config.cert_file' },
      key: { file: pki.server.key },
      clientCa: { file: pki.ca.cert },
      clientAuth: 'RequireAndVerifyClientCert',
      clientAllowedSans: ['prometheus.monitoring.svc'],
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ciphers:
        'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
      honorCipherOrder: false,
      ecdhCurve: 'X25519:P-256',
    })
    // A blank header value leaves the header unset, as in exporter-toolkit.
    expect([...(web?.headers ?? [])]).toEqual([
      ['X-Frame-Options', 'deny'],
      ['X-Content-Type-Options', 'nosniff'],
      ['Strict-Transport-Security', 'max-age=31536000'],
    ])
    expect([...(web?.users.keys() ?? [])]).toEqual(['prometheus', 'alloy'])
    expect(web?.rateLimit).toEqual({ intervalMs: 100, burst: 20 })
  })

  it('takes inline PEM, and an empty file as "nothing on" (exporter-toolkit does too)', () => {
    const inline = readWebConfigFile(
      webConfigFile(
        `tls_server_config:\n  cert: |\n${indent(pem(pki.server.cert))}  key: |\n${indent(pem(pki.server.key))}`,
      ),
    )
    expect(inline.tls?.cert).toEqual({ inline: pem(pki.server.cert), key: 'tls_server_config.cert' })
    const empty = loadConfig({ WEB_CONFIG_FILE: webConfigFile('# nothing yet\n') }).webConfig
    expect(empty).toMatchObject({
      empty: true,
      tls: undefined,
      users: new Map(),
      headers: new Map(),
      rateLimit: undefined,
    })
    expect(loadConfig({}).webConfig).toBeUndefined()
    for (const nothing of ['', 'null\n', '~\n']) {
      expect(readWebConfigFile(webConfigFile(nothing)), JSON.stringify(nothing)).toMatchObject({
        empty: true,
      })
    }
    expect(readWebConfigFile(webConfigFile('http_server_config: {}\n')).empty).toBe(false)
  })

  it.each([
    [
      'YAML that does not parse',
      'basic_auth_users:\n  a: [\n',
      /^WEB_CONFIG_FILE \(.*\): not valid YAML at line \d+, column \d+/,
    ],
    [
      'a duplicate key',
      'basic_auth_users: {}\nbasic_auth_users: {}\n',
      /line 2, column 1: Map keys must be unique/,
    ],
    ['an unknown key', 'tls_server_config:\n  cert_fil: x\n', /tls_server_config: unknown key "cert_fil"/],
    ['an unknown section', 'web:\n  x: 1\n', /top level: unknown key "web"/],
    [
      'a missing certificate file',
      'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n',
      /tls_server_config\.cert_file: cannot read ".*nope\.crt" \(ENOENT\)/,
    ],
    [
      'a certificate without its key',
      'tls_server_config:\n  cert_file: server.crt\n',
      /tls_server_config\.key_file: missing/,
    ],
    [
      'a key that is not PEM',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.ext\n',
      /tls_server_config\.key_file: not a PEM private key/,
    ],
    [
      'a key of another certificate',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n',
      /tls_server_config\.key_file: the private key does not belong to the certificate/,
    ],
    [
      'a certificate file that holds none',
      'tls_server_config:\n  cert_file: server.ext\n  key_file: server.key\n',
      /tls_server_config\.cert_file: holds no PEM certificate/,
    ],
    [
      'a client CA without client auth',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n',
      /tls_server_config\.client_auth_type: a client CA is set but client_auth_type is NoClientCert/,
    ],
    [
      'verification without a client CA',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n',
      /tls_server_config\.client_ca_file: missing/,
    ],
    [
      'an unknown client_auth_type',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Always\n',
      /tls_server_config\.client_auth_type: must be one of NoClientCert, /,
    ],
    [
      'an unknown TLS version',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS14\n',
      /tls_server_config\.min_version: must be one of TLS10, TLS11, TLS12, TLS13/,
    ],
    [
      'min_version TLS10 (OpenSSL 3 would fail every TLS 1.0 handshake)',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS10\n',
      /tls_server_config\.min_version: TLS10 is not supported \(OpenSSL 3 refuses TLS 1\.0 and 1\.1 at its default security level\); use TLS12 or TLS13/,
    ],
    [
      'max_version TLS11',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS12\n  max_version: TLS11\n',
      /tls_server_config\.max_version: TLS11 is not supported/,
    ],
    [
      'min_version above max_version',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS13\n  max_version: TLS12\n',
      /tls_server_config\.min_version: TLS13 is above max_version TLS12/,
    ],
    [
      'an insecure cipher suite',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n',
      /tls_server_config\.cipher_suites\.0: must be one of /,
    ],
    [
      'a header that cannot be set',
      'http_server_config:\n  headers:\n    Server: mine\n',
      /http_server_config\.headers\.Server: this header cannot be set/,
    ],
    [
      'a bad X-Frame-Options value',
      'http_server_config:\n  headers:\n    X-Frame-Options: allow\n',
      /http_server_config\.headers\.X-Frame-Options: must be one of deny, sameorigin, got "allow"/,
    ],
    [
      'a rate limit without a burst',
      'rate_limit:\n  interval: 1s\n',
      /rate_limit\.burst: must be at least 1/,
    ],
    [
      'a rate limit interval that is no duration',
      'rate_limit:\n  interval: often\n  burst: 2\n',
      /rate_limit\.interval: must be a duration/,
    ],
    [
      'a header value with CR and LF (it would make every answer a 500)',
      'http_server_config:\n  headers:\n    Content-Security-Policy: "default-src \'none\'\\r\\nSet-Cookie: x=1"\n',
      /http_server_config\.headers\.Content-Security-Policy: a header value must be Latin-1 without control characters \(no CR or LF\), got "default-src 'none'\\r\\nSet-Cookie: x=1"/,
    ],
    [
      'a header value beyond Latin-1',
      'http_server_config:\n  headers:\n    Strict-Transport-Security: "max-age=1 ✓"\n',
      /http_server_config\.headers\.Strict-Transport-Security: a header value must be Latin-1/,
    ],
    ['a YAML alias bomb', aliasBomb(), /not usable YAML: Excessive alias count/],
    [
      'a user name with a colon',
      `basic_auth_users:\n  "a:b": ${hash}\n`,
      /basic_auth_users: a user name must be non-empty and without ":"/,
    ],
  ])('stops start-up on %s, naming WEB_CONFIG_FILE and the key', (_, yaml, message) => {
    const text = startupError(yaml)
    expect(text).toMatch(/^WEB_CONFIG_FILE \(/)
    expect(text).toMatch(message)
  })

  it('refuses a plain-text password where a bcrypt hash belongs, without quoting it', () => {
    const text = startupError('basic_auth_users:\n  prometheus: hunter2-secret\n')
    expect(text).toMatch(/basic_auth_users\.prometheus: must be a bcrypt hash/)
    expect(text).not.toContain('hunter2')
    const cost = startupError(`basic_auth_users:\n  prometheus: ${hash.replace('$04$', '$03$')}\n`)
    expect(cost).toMatch(/basic_auth_users\.prometheus: the bcrypt cost must be 04 to 31, got 03/)
    expect(cost).not.toContain(hash.slice(7))
  })

  it('never quotes an inline private key or the line around a YAML error', () => {
    const key = pem(pki.server.key)
    const text = startupError(`tls_server_config:\n  cert_file: client.crt\n  key: |\n${indent(key)}`)
    expect(text).toMatch(/tls_server_config\.key: the private key does not belong/)
    expect(text).not.toContain(key.split('\n')[1])
    const broken = startupError(`basic_auth_users:\n  prometheus: ${hash}\n  alloy: [${hash}\n`)
    expect(broken).toMatch(/not valid YAML/)
    expect(broken).not.toContain(hash.slice(7))
  })

  it('names the file it cannot read', () => {
    expect(() => loadConfig({ WEB_CONFIG_FILE: '/nonexistent/web.yml' })).toThrow(
      /^WEB_CONFIG_FILE \(\/nonexistent\/web\.yml\): cannot read "\/nonexistent\/web\.yml" \(ENOENT\)$/,
    )
  })
})

const pem = (file: string) => readFileSync(file, 'utf8')
const indent = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `    ${line}\n`)
    .join('')
