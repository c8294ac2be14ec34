import { readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { parse } from 'yaml'
import type { KubeObject } from './kustomize.js'
import { type Container, containerPort } from './pod.js'
import { type ScrapeEndpoint, secretValue } from './scrape.js'

/** The parts of an exporter-toolkit web configuration that decide how the metrics port is scraped. */
interface WebConfigFile {
  tls_server_config?: Record<string, unknown>
  basic_auth_users?: Record<string, string>
}

/** The web configuration the exporter would read (WEB_CONFIG_FILE in its resolved environment), if any. */
export function webConfigOf(env: Record<string, string>): WebConfigFile | undefined {
  return env.WEB_CONFIG_FILE ? (parse(readFileSync(env.WEB_CONFIG_FILE, 'utf8')) as WebConfigFile) : undefined
}

/** The endpoints of every PodMonitor and ServiceMonitor among the objects. */
export function monitorEndpoints(objects: KubeObject[]): Array<ScrapeEndpoint & { port: string }> {
  return objects.flatMap((o) =>
    o.kind === 'PodMonitor'
      ? o.spec.podMetricsEndpoints
      : o.kind === 'ServiceMonitor'
        ? o.spec.endpoints
        : [],
  )
}

/**
 * Checks that the monitors scrape the way the exporter's web configuration serves the metrics port:
 * HTTPS with a CA to check the certificate against exactly when it has TLS, basic auth exactly when it
 * has users (with a user it knows), every Secret key they name present, and the probes off a TLS
 * metrics port.
 */
export function expectScrapeMatchesWebConfig(
  objects: KubeObject[],
  exporter: Container,
  web: WebConfigFile | undefined,
): void {
  const tls = web?.tls_server_config !== undefined
  const users = Object.keys(web?.basic_auth_users ?? {})
  for (const endpoint of monitorEndpoints(objects)) {
    expect(endpoint.scheme).toBe(tls ? 'https' : 'http')
    if (tls) {
      const ca = endpoint.tlsConfig?.ca?.secret
      if (!ca) throw new Error('an HTTPS monitor without a CA does not check the certificate')
      expect(secretValue(objects, ca)).toContain('BEGIN CERTIFICATE')
      expect(endpoint.tlsConfig?.serverName).toBeTruthy()
      expect(endpoint.tlsConfig?.insecureSkipVerify).toBeUndefined()
    } else expect(endpoint.tlsConfig).toBeUndefined()
    if (users.length > 0) {
      const auth = endpoint.basicAuth
      if (!auth) throw new Error('the metrics port requires basic auth, and the monitor has none')
      expect(users).toContain(secretValue(objects, auth.username))
      expect(secretValue(objects, auth.password)).not.toBe('')
    } else expect(endpoint.basicAuth).toBeUndefined()
  }
  // The kubelet has no client certificate and no password: with TLS on the metrics port (which may ask
  // for client certificates), both probes go to the callback port, which the web config never covers.
  for (const { httpGet } of [exporter.livenessProbe, exporter.readinessProbe]) {
    expect(httpGet.scheme ?? 'HTTP').toBe('HTTP')
    if (tls)
      expect(containerPort(exporter, httpGet.port)).toBe(
        containerPort(exporter, exporter.readinessProbe.httpGet.port),
      )
  }
}
