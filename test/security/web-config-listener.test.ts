import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { OK_ANSWER } from '../../src/protocol/answers.js'
import { readWebConfigFile } from '../../src/web-config/web-config-file.js'
import { alertBody, callbackUrl, SDKAPPID } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { makeLeaf } from './support/certificates.js'
import { makePki, type Pki } from './support/pki.js'
import { curl, type TlsRequestOptions, tlsRequest } from './support/tls-client.js'

// WEB_CONFIG_FILE on the real listeners, with openssl-made certificates, Node's TLS client and curl.

const TOKEN = 'web-config-test-token'
const PASSWORD = 'scrape-password'
let pki: Pki
let hash: string
let n = 0
const running: TestExporter[] = []

beforeAll(async () => {
  pki = makePki()
  hash = await bcrypt.hash(PASSWORD, 4)
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((exporter) => exporter.close()))
})

afterAll(() => pki?.remove())

async function start(yaml: string, config: { metricsPort?: number } = {}) {
  n += 1
  const path = join(pki.dir, `web-${n}.yml`)
  writeFileSync(path, yaml)
  const exporter = await startExporter({
    config: {
      webConfig: readWebConfigFile(path),
      callbackToken: TOKEN,
      sdkAppIds: new Set([SDKAPPID]),
      ...config,
    },
  })
  running.push(exporter)
  return exporter
}

const tlsAndAuth = () => `
tls_server_config:
  cert_file: server.crt
  key_file: server.key
http_server_config:
  headers:
    X-Frame-Options: deny
basic_auth_users:
  prometheus: ${hash}
`

const trusted = (extra: Partial<TlsRequestOptions> = {}): TlsRequestOptions => ({ ca: pki.ca.cert, ...extra })

describe('TLS and basic auth on the one listener (no METRICS_PORT)', () => {
  it('serves /metrics over TLS to a client with the password, with the configured headers', async () => {
    const exporter = await start(tlsAndAuth())
    expect(exporter.metricsUrl).toMatch(/^https:/)
    const answer = await tlsRequest(
      `${exporter.metricsUrl}/metrics`,
      trusted({ auth: `prometheus:${PASSWORD}` }),
    )
    expect(answer.status).toBe(200)
    expect(answer.body).toContain('tencent_chat_exporter_build_info')
    expect(answer.headers['x-frame-options']).toBe('deny')
    const viaCurl = await curl(`${exporter.metricsUrl}/metrics`, trusted({ auth: `prometheus:${PASSWORD}` }))
    expect(viaCurl).toMatchObject({ status: 200 })
    expect('body' in viaCurl && viaCurl.body).toContain('tencent_chat_exporter_build_info')
  })

  it('answers 401 with WWW-Authenticate: Basic, the same whatever was wrong', async () => {
    const exporter = await start(tlsAndAuth())
    const url = `${exporter.metricsUrl}/metrics`
    const answers = await Promise.all([
      tlsRequest(url, trusted()),
      tlsRequest(url, trusted({ auth: 'prometheus:wrong-password' })),
      tlsRequest(url, trusted({ auth: `nobody:${PASSWORD}` })),
      tlsRequest(url, trusted({ auth: 'prometheus:' })),
    ])
    for (const answer of answers) {
      expect(answer.status).toBe(401)
      expect(answer.headers['www-authenticate']).toBe('Basic')
      expect(answer.body).toBe('Unauthorized\n')
      expect(answer.body).not.toContain('tencent_chat')
    }
    // The wrong password and the unknown user get byte-identical answers: no hint of which was wrong.
    const shape = (a: (typeof answers)[number]) => ({ ...a.headers, date: undefined, body: a.body })
    expect(shape(answers[1] as (typeof answers)[number])).toEqual(
      shape(answers[2] as (typeof answers)[number]),
    )
    const viaCurl = await curl(url, trusted({ auth: 'prometheus:wrong-password' }))
    expect(viaCurl).toMatchObject({ status: 401 })
  })

  it('protects the landing page and any other path, but never the probes or the callback path', async () => {
    const exporter = await start(tlsAndAuth())
    for (const path of ['/', '/api/v1/status', '/nothing-here']) {
      expect((await tlsRequest(`${exporter.url}${path}`, trusted())).status, path).toBe(401)
    }
    expect((await tlsRequest(`${exporter.url}/`, trusted({ auth: `prometheus:${PASSWORD}` }))).status).toBe(
      200,
    )
    for (const path of ['/-/healthy', '/-/ready', '/healthz', '/readyz']) {
      expect((await tlsRequest(`${exporter.url}${path}`, trusted())).status, path).toBe(200)
    }
    // Chat authenticates with its Sign over TLS, never with basic auth.
    const signed = await tlsRequest(
      callbackUrl(exporter.url, { token: TOKEN }),
      trusted({ method: 'POST', body: alertBody() }),
    )
    expect(signed).toMatchObject({ status: 200, body: OK_ANSWER })
    const unsigned = await tlsRequest(
      callbackUrl(exporter.url),
      trusted({ method: 'POST', body: alertBody() }),
    )
    expect(unsigned.status).toBe(401)
    expect(unsigned.headers['www-authenticate']).toBeUndefined()
    expect(unsigned.body).toContain('missing_signature')
  })

  it('rate-limits the protected paths only', async () => {
    const exporter = await start(`${tlsAndAuth()}rate_limit:\n  interval: 1h\n  burst: 2\n`)
    const auth = `prometheus:${PASSWORD}`
    const statuses = []
    for (let i = 0; i < 3; i++)
      statuses.push((await tlsRequest(`${exporter.url}/metrics`, trusted({ auth }))).status)
    expect(statuses).toEqual([200, 200, 429])
    expect((await tlsRequest(`${exporter.url}/-/ready`, trusted())).status).toBe(200)
  })
})

describe('with METRICS_PORT', () => {
  it('applies to the metrics listener only: callbacks stay plain HTTP without basic auth', async () => {
    const exporter = await start(tlsAndAuth(), { metricsPort: 0 })
    expect(exporter.url).toMatch(/^http:/)
    expect(exporter.metricsUrl).toMatch(/^https:/)
    const callback = await fetch(callbackUrl(exporter.url, { token: TOKEN }), {
      method: 'POST',
      body: alertBody(),
    })
    expect(callback.status).toBe(200)
    expect((await fetch(`${exporter.url}/`)).status).toBe(200)
    expect((await tlsRequest(`${exporter.metricsUrl}/metrics`, trusted())).status).toBe(401)
    expect((await tlsRequest(`${exporter.metricsUrl}/`, trusted())).status).toBe(401)
    expect((await tlsRequest(`${exporter.metricsUrl}/-/ready`, trusted())).status).toBe(200)
    const scrape = await tlsRequest(
      `${exporter.metricsUrl}/metrics`,
      trusted({ auth: `prometheus:${PASSWORD}` }),
    )
    expect(scrape.body).toMatch(
      /tencent_chat_exporter_callbacks_total\{sdkappid="1400000001",callback_command="Alert.RequestOverLimit"\} 1/,
    )
  })
})

describe('client certificates', () => {
  const clientAuth = (type: string, extra = '') => `
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: ${type}
  client_ca_file: ca.crt
${extra}`

  it('RequireAndVerifyClientCert accepts a client certificate from the CA and refuses the rest', async () => {
    const exporter = await start(clientAuth('RequireAndVerifyClientCert'))
    const url = `${exporter.metricsUrl}/metrics`
    const client = trusted({ cert: pki.client.cert, key: pki.client.key })
    expect((await tlsRequest(url, client)).status).toBe(200)
    expect(await curl(url, client)).toMatchObject({ status: 200 })
    await expect(tlsRequest(url, trusted())).rejects.toThrow()
    // Refused (TLS 1.3: an alert after curl's side of the handshake, or the connection closed): not a
    // timeout, not curl missing (curl() throws for those).
    expect(await curl(url, trusted())).toHaveProperty('refused')
    const stranger = trusted({ cert: pki.strangerClient.cert, key: pki.strangerClient.key })
    await expect(tlsRequest(url, stranger)).rejects.toThrow()
    expect(await curl(url, stranger)).toHaveProperty('refused')
    // Each refusal logged at warn with its reason.
    const refusals = exporter.logs.filter((log) => log.msg === 'TLS client refused')
    expect(refusals.every((log) => log.level === 'warn')).toBe(true)
    expect(refusals.map((log) => log.reason)).toContain('no client certificate')
    expect(refusals.map((log) => String(log.reason))).toContainEqual(
      expect.stringMatching(/^client certificate not verified \(/),
    )
    // The probes are on this listener too: kubelet must then probe another port (use METRICS_PORT).
  })

  it('client_allowed_sans refuses a certificate from the right CA with another name', async () => {
    const exporter = await start(
      clientAuth('RequireAndVerifyClientCert', '  client_allowed_sans: [prometheus.monitoring.svc]\n'),
    )
    const url = `${exporter.metricsUrl}/metrics`
    expect((await tlsRequest(url, trusted({ cert: pki.client.cert, key: pki.client.key }))).status).toBe(200)
    const other = makeLeaf(join(pki.dir, 'other'), 'grafana', pki.ca, {
      usage: 'clientAuth',
      sans: ['DNS:grafana.monitoring.svc'],
    })
    await expect(tlsRequest(url, trusted({ cert: other.cert, key: other.key }))).rejects.toThrow()
    expect(await curl(url, trusted({ cert: other.cert, key: other.key }))).toHaveProperty('refused')
    expect(exporter.logs.some((log) => log.msg === 'TLS client refused')).toBe(true)
  })

  it('VerifyClientCertIfGiven lets a client without a certificate in, and refuses an unverified one', async () => {
    const exporter = await start(clientAuth('VerifyClientCertIfGiven'))
    const url = `${exporter.metricsUrl}/metrics`
    expect((await tlsRequest(url, trusted())).status).toBe(200)
    expect((await tlsRequest(url, trusted({ cert: pki.client.cert, key: pki.client.key }))).status).toBe(200)
    await expect(
      tlsRequest(url, trusted({ cert: pki.strangerClient.cert, key: pki.strangerClient.key })),
    ).rejects.toThrow()
  })

  it('RequireAnyClientCert wants a certificate but does not verify it', async () => {
    const exporter = await start(`
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAnyClientCert
`)
    const url = `${exporter.metricsUrl}/metrics`
    await expect(tlsRequest(url, trusted())).rejects.toThrow()
    expect(await curl(url, trusted())).toHaveProperty('refused')
    expect(
      (await tlsRequest(url, trusted({ cert: pki.strangerClient.cert, key: pki.strangerClient.key }))).status,
    ).toBe(200)
  })
})
