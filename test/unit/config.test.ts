import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config/config.js'

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('expected a ConfigError')
}

const tokenFile = (content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tce-config-')), 'token')
  writeFileSync(path, content)
  return path
}

describe('loadConfig', () => {
  it('has the defaults docs/configuration.md lists', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 10240,
      host: '0.0.0.0',
      metricsPort: undefined,
      callbackPath: '/callback',
      sdkAppIds: undefined,
      callbackToken: undefined,
      maxClockSkewSeconds: 60,
      alertTtlSeconds: 300,
      maxSeries: 2000,
      bodyLimitBytes: 262144,
      logLevel: 'info',
      upstream: undefined,
    })
  })

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      METRICS_PORT: '9464',
      CALLBACK_PATH: '/im/callback',
      SDKAPPIDS: ' 1400000001, 1400000002 ',
      CALLBACK_TOKEN: 'tok3n',
      MAX_CLOCK_SKEW_SECONDS: '30',
      ALERT_TTL_SECONDS: '120',
      MAX_SERIES: '10',
      BODY_LIMIT_BYTES: '4096',
      LOG_LEVEL: 'debug',
      UPSTREAM_URL: 'http://127.0.0.1:8080/im',
      UPSTREAM_TIMEOUT_MS: '1500',
      UPSTREAM_FAILURE_POLICY: 'reject',
      UPSTREAM_FORWARD_ALERTS: 'false',
    })
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      metricsPort: 9464,
      callbackPath: '/im/callback',
      callbackToken: 'tok3n',
      maxClockSkewSeconds: 30,
      alertTtlSeconds: 120,
      maxSeries: 10,
      bodyLimitBytes: 4096,
      logLevel: 'debug',
      upstream: { timeoutMs: 1500, failurePolicy: 'reject', forwardAlerts: false },
    })
    expect([...(config.sdkAppIds ?? [])]).toEqual(['1400000001', '1400000002'])
    expect(config.upstream?.url.href).toBe('http://127.0.0.1:8080/im')
  })

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', SDKAPPIDS: ' ', CALLBACK_TOKEN: '' })).toMatchObject({
      port: 10240,
      sdkAppIds: undefined,
      callbackToken: undefined,
    })
  })

  it.each([
    [{ PORT: 'abc' }, /^PORT: must be a whole number from 0 to 65535, got "abc"$/],
    [{ PORT: '70000' }, /^PORT: must be at most 65535/],
    [{ METRICS_PORT: '10240' }, /^METRICS_PORT: must differ from PORT/],
    [{ CALLBACK_PATH: 'callback' }, /^CALLBACK_PATH: must be a URL path starting with "\/"/],
    [{ CALLBACK_PATH: '/metrics' }, /^CALLBACK_PATH: must not be one of the exporter's own paths/],
    [{ SDKAPPIDS: '1400000001,abc' }, /^SDKAPPIDS: must be a comma-separated list of numeric SDKAppIDs/],
    [{ SDKAPPIDS: '1400000001,,2' }, /^SDKAPPIDS: /],
    [{ MAX_SERIES: '0' }, /^MAX_SERIES: must be at least 1/],
    [{ ALERT_TTL_SECONDS: '-5' }, /^ALERT_TTL_SECONDS: must be a whole number/],
    [{ ALERT_TTL_SECONDS: '1.5' }, /^ALERT_TTL_SECONDS: must be a whole number/],
    [{ BODY_LIMIT_BYTES: '10' }, /^BODY_LIMIT_BYTES: must be at least 1024/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ UPSTREAM_URL: 'ftp://example' }, /^UPSTREAM_URL: must be an http:\/\/ or https:\/\/ URL/],
    [{ UPSTREAM_FAILURE_POLICY: 'maybe' }, /^UPSTREAM_FAILURE_POLICY: must be allow or reject/],
  ])('rejects %o with a message naming the variable', (env, message) => {
    expect(errorOf(env)).toMatch(message)
  })

  it('says a repeated problem of a list once, and never shows URL credentials', () => {
    expect(errorOf({ SDKAPPIDS: 'abc,def' })).toBe(
      'SDKAPPIDS: must be a comma-separated list of numeric SDKAppIDs such as 1400000001, got "abc,def"',
    )
    const message = errorOf({ UPSTREAM_URL: 'ftp://user:pa55word@app.local/cb' })
    expect(message).toBe('UPSTREAM_URL: must be an http:// or https:// URL, got "ftp://…@app.local/cb"')
  })

  it('reports every bad variable at once', () => {
    const message = errorOf({ PORT: 'x', LOG_LEVEL: 'y' })
    expect(message).toContain('PORT:')
    expect(message).toContain('LOG_LEVEL:')
  })

  it('reads the token from a file, without its trailing newline', () => {
    for (const content of ['s3cret\n', 's3cret\r\n', 's3cret']) {
      const path = tokenFile(content)
      expect(loadConfig({ CALLBACK_TOKEN_FILE: path })).toMatchObject({
        callbackToken: undefined,
        callbackTokenFile: { path, tokens: ['s3cret'] },
      })
    }
  })

  it('reads several tokens from a file: one a line, comments and blank lines ignored, trimmed', () => {
    const path = tokenFile(
      '# rotation 2026-01: new token first\n  new-token  \n\n\told-token\r\n# end\nnew-token\n',
    )
    expect(loadConfig({ CALLBACK_TOKEN_FILE: path }).callbackTokenFile?.tokens).toEqual([
      'new-token',
      'old-token',
    ])
  })

  it('rejects bad tokens without echoing them', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ CALLBACK_TOKEN: 'a', CALLBACK_TOKEN_FILE: '/x' }, /both set/],
      [
        { CALLBACK_TOKEN_FILE: '/nonexistent/token' },
        /^CALLBACK_TOKEN_FILE: cannot read "\/nonexistent\/token" \(ENOENT\)/,
      ],
      [{ CALLBACK_TOKEN_FILE: tokenFile('\n') }, /^CALLBACK_TOKEN_FILE: the token is empty/],
      [
        { CALLBACK_TOKEN_FILE: tokenFile('# only a comment\n\n') },
        /^CALLBACK_TOKEN_FILE: the file has no token/,
      ],
      [
        { CALLBACK_TOKEN_FILE: tokenFile('good-token\nbad secret-XYZ\n') },
        /^CALLBACK_TOKEN_FILE: line 2: the token contains white space/,
      ],
      [
        { CALLBACK_TOKEN_FILE: tokenFile('x'.repeat(70_000)) },
        /^CALLBACK_TOKEN_FILE: .* is larger than 65536 bytes/,
      ],
      [{ CALLBACK_TOKEN: 'has secret-XYZ space' }, /^CALLBACK_TOKEN: the token contains white space/],
      [{ CALLBACK_TOKEN: `secret-XYZ${'x'.repeat(200)}` }, /^CALLBACK_TOKEN: the token is longer than 128/],
    ]
    for (const [env, message] of cases) {
      const text = errorOf(env)
      expect(text).toMatch(message)
      expect(text).not.toContain('secret-XYZ')
    }
  })
})
