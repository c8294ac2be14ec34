import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeCa, makeLeaf } from '../security/support/certificates.js'
import type { KubeObject } from './kustomize.js'

// The Secrets that the docs have the user create (kubectl create secret) or cert-manager make, which
// no manifest renders: the tests add them to the rendered objects, as the cluster would have them.

const secret = (name: string, data: Record<string, string>, type = 'Opaque'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  type,
  data: Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  ),
})

/** The token Secret of ci/existing-secret-values.yaml and ci/metrics-tls-values.yaml. */
export const CALLBACK_TOKEN_SECRET = secret('tencent-chat-callback-token', {
  'chat-token': 'existing-secret-token\n',
})

/** What Prometheus scrapes with: the password whose bcrypt hash the ci values and the example hold. */
export const SCRAPE_USER = 'prometheus'
export const SCRAPE_PASSWORD = 'replace-with-a-long-random-password'
export const SCRAPE_AUTH_SECRET = secret('tencent-chat-exporter-scrape-auth', {
  username: SCRAPE_USER,
  password: SCRAPE_PASSWORD,
})

/**
 * The names the metrics port's certificate is issued for: the one the kustomize Component's monitors
 * expect, and the metrics Service's name that the chart's monitors expect by default (release
 * chat-alarms in namespace chat).
 */
export const METRICS_CERTIFICATE_NAMES = [
  'tencent-chat-exporter-metrics',
  'chat-alarms-tencent-chat-exporter-metrics.chat.svc',
]

let metricsTls: KubeObject | undefined

/** The kubernetes.io/tls Secret that cert-manager would make: a CA and a server certificate from openssl. */
export function metricsTlsSecret(): KubeObject {
  if (metricsTls) return metricsTls
  const dir = mkdtempSync(join(tmpdir(), 'tce-metrics-tls-'))
  try {
    const ca = makeCa(dir, 'ca')
    const server = makeLeaf(dir, 'server', ca, {
      usage: 'serverAuth',
      sans: METRICS_CERTIFICATE_NAMES.map((name) => `DNS:${name}`),
    })
    const pem = (file: string) => readFileSync(file, 'utf8')
    metricsTls = secret(
      'tencent-chat-exporter-metrics-tls',
      { 'tls.crt': pem(server.cert), 'tls.key': pem(server.key), 'ca.crt': pem(ca.cert) },
      'kubernetes.io/tls',
    )
    return metricsTls
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

let egressProxyCa: KubeObject | undefined

/** The CA of a TLS-intercepting egress proxy that ci/everything-values.yaml has the REST meter trust. */
export function egressProxyCaSecret(): KubeObject {
  if (egressProxyCa) return egressProxyCa
  const dir = mkdtempSync(join(tmpdir(), 'tce-egress-ca-'))
  try {
    const ca = makeCa(dir, 'egress-proxy-ca')
    egressProxyCa = secret('egress-proxy-ca', { 'proxy-ca.pem': readFileSync(ca.cert, 'utf8') })
    return egressProxyCa
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The rendered objects and the user's Secrets that they do not render themselves. */
export function withUserSecrets(objects: KubeObject[]): KubeObject[] {
  const rendered = new Set(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name))
  const user = [CALLBACK_TOKEN_SECRET, SCRAPE_AUTH_SECRET, metricsTlsSecret(), egressProxyCaSecret()]
  return [...objects, ...user.filter((s) => !rendered.has(s.metadata.name))]
}
