#!/usr/bin/env node
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { DEFAULT_PORT } from './config/config.js'
import { readWebConfigFile } from './web-config/web-config-file.js'

/**
 * The Docker image's HEALTHCHECK: asks this container's own exporter for `/-/healthy` on loopback and
 * exits 0 when it answers 200. The slim image has no curl, and a one-line `fetch` cannot follow the
 * exporter's configuration: with `WEB_CONFIG_FILE` putting TLS on the callback listener (no
 * `METRICS_PORT`), the listener speaks only HTTPS. The certificate names the Service, not 127.0.0.1,
 * and this check talks to its own process, so it does not verify it. The probes never need basic auth.
 * A listener that requires client certificates cannot be checked without one: use METRICS_PORT.
 * It reads only the variables it needs, not the whole configuration: an unusable token file must
 * not make a running exporter (which keeps its tokens in force) look unhealthy.
 */
function healthcheckTarget(env: Record<string, string | undefined>): { url: URL; tls: boolean } {
  const port = env.PORT?.trim() || String(DEFAULT_PORT)
  const webConfigFile = env.WEB_CONFIG_FILE?.trim()
  const metricsPortSet = (env.METRICS_PORT?.trim() ?? '') !== ''
  const tls = !metricsPortSet && !!webConfigFile && readWebConfigFile(webConfigFile).tls !== undefined
  return { url: new URL(`${tls ? 'https' : 'http'}://127.0.0.1:${port}/-/healthy`), tls }
}

function check(env: Record<string, string | undefined>, timeoutMs: number): Promise<string | undefined> {
  const { url, tls } = healthcheckTarget(env)
  return new Promise((resolve) => {
    const options = { timeout: timeoutMs, ...(tls && { rejectUnauthorized: false }) }
    const req = (tls ? httpsRequest : httpRequest)(url, options, (res) => {
      res.resume()
      resolve(res.statusCode === 200 ? undefined : `${url.href} answered ${res.statusCode}`)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (error) => resolve(`${url.href}: ${error.message}`))
    req.end()
  })
}

try {
  // Within the HEALTHCHECK's 3 s with room for node's own start: a hung exporter is reported as such.
  const problem = await check(process.env, 2000)
  if (problem !== undefined) process.stderr.write(`unhealthy: ${problem}\n`)
  process.exit(problem === undefined ? 0 : 1)
} catch (error) {
  process.stderr.write(`unhealthy: ${(error as Error).message}\n`)
  process.exit(1)
}
