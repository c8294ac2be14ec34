/*
 * Starts the exporter: reads the configuration from the environment, listens, and shuts down gracefully
 * on SIGTERM and SIGINT. The entry point (main.ts) loads this module once the Node.js version is checked.
 */

import type { Server } from 'node:http'
import { Registry } from 'prom-client'
import { createExporter, type ExporterDeps } from './app.js'
import { systemClock } from './clock.js'
import { type Config, ConfigError, loadConfig, type UpstreamConfig } from './config/config.js'
import { createLogger, type Logger } from './logging/logger.js'
import { closeGracefully, listen, portOf } from './server.js'
import { VERSION } from './version.js'
import { describeWebConfig, webConfigWarnings } from './web-config/summary.js'
import { tlsServerFactory } from './web-config/tls-server.js'

function readConfig(): Config {
  try {
    return loadConfig(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`tencent-chat-exporter: invalid configuration: ${error.message}\n`)
    process.exit(1)
  }
}

function warnAboutOpenDoors(config: Config, logger: Logger): void {
  if (config.egress && !isLoopback(config.egress.host)) {
    logger.warn(
      { egress_host: config.egress.host },
      "EGRESS_HOST is not a loopback address: the REST meter forwards whatever reaches it to Chat with the caller's credentials; keep it on the Pod's loopback or behind a NetworkPolicy",
    )
  }
  if (config.apiLimitsFile && !config.egress) {
    logger.warn('API_LIMITS_FILE is set but EGRESS_PORT is not: the limits are used only by the REST meter')
  }
  if (config.sdkAppIds === undefined) {
    logger.warn('SDKAPPIDS is not set: callbacks for any SDKAppID are accepted; set it to your app IDs')
  }
  if (config.callbackToken === undefined && config.callbackTokenFile === undefined) {
    logger.warn(
      'callback authentication is off (no CALLBACK_TOKEN or CALLBACK_TOKEN_FILE): anyone who can reach the callback URL can send alerts',
    )
  }
  for (const warning of config.webConfig ? webConfigWarnings(config.webConfig) : []) logger.warn(warning)
}

/**
 * Front-proxy mode's responder. Its module (and undici, which forwards the callbacks) is loaded only in
 * that mode: loading it costs every other exporter about 10 MiB of memory (BENCHMARKS.md, Footprint).
 */
async function upstreamResponder(
  upstream: UpstreamConfig,
  config: Config,
  logger: Logger,
): Promise<ExporterDeps['createResponder']> {
  const { createUpstreamResponder } = await import('./proxy/upstream-responder.js')
  return (metrics, observe) =>
    createUpstreamResponder({
      upstream,
      metrics: metrics.upstream,
      logger,
      maxAnswerBytes: config.bodyLimitBytes,
      observe,
    })
}

async function main(): Promise<void> {
  const config = readConfig()
  const logger = createLogger(config.logLevel)
  const registry = new Registry()
  const upstream = config.upstream
  const exporter = createExporter({
    config,
    registry,
    logger,
    clock: systemClock,
    createResponder: upstream && (await upstreamResponder(upstream, config, logger)),
  })

  // WEB_CONFIG_FILE's TLS goes to the listener that serves /metrics: the second one when there is one.
  const tls = config.webConfig?.tls && tlsServerFactory(config.webConfig.tls, logger)
  const servers: Server[] = [
    await listen(exporter.app, config.port, config.host, exporter.metricsApp ? undefined : tls),
  ]
  if (exporter.metricsApp && config.metricsPort !== undefined) {
    servers.push(await listen(exporter.metricsApp, config.metricsPort, config.host, tls))
  }
  // The REST meter loads undici and its forwarding only when it is on.
  const restMeter =
    config.egress && exporter.restMeter
      ? await (await import('./rest-meter/listen-rest-meter.js')).listenRestMeter({
          egress: config.egress,
          state: exporter.restMeter,
          sdkAppIds: config.sdkAppIds,
          logger,
          clock: systemClock,
        })
      : undefined
  if (restMeter) servers.push(restMeter.server)
  // Handlers first: a signal that arrives once "listening" is logged must already be handled.
  let stopping = false
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    exporter.readiness.ready = false
    exporter.close()
    logger.info(
      { signal, grace_seconds: config.shutdownTimeoutSeconds },
      'shutting down: finishing requests in flight',
    )
    const clean = await closeGracefully(servers, config.shutdownTimeoutSeconds * 1000)
    await restMeter?.meter.close()
    if (clean) {
      logger.info('stopped')
      process.exit(0)
    }
    logger.error(
      { grace_seconds: config.shutdownTimeoutSeconds },
      'requests still in flight after the grace period: forced exit',
    )
    process.exit(1)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  exporter.readiness.ready = true
  logger.info(
    {
      version: VERSION,
      host: config.host,
      port: portOf(servers[0] as Server),
      metrics_port: servers[1] ? portOf(servers[1]) : undefined,
      callback_path: config.callbackPath,
      sdkappids: config.sdkAppIds ? [...config.sdkAppIds] : 'any',
      authentication: exporter.callbackTokens ? 'sign' : 'off',
      callback_tokens: exporter.callbackTokens?.current.length ?? 0,
      callback_token_source: exporter.callbackTokens?.source,
      alert_ttl_seconds: config.alertTtlSeconds,
      max_series: config.maxSeries,
      upstream: upstream ? upstream.url.origin + upstream.url.pathname : undefined,
      egress: restMeter && {
        address: `${config.egress?.host}:${portOf(restMeter.server)}`,
        chat_rest_url: config.egress?.chatRestUrl.href,
        timeout_ms: config.egress?.timeoutMs,
        extra_ca: config.egress?.extraCa?.path,
        api_limits_file: config.apiLimitsFile?.path,
      },
      web_config:
        config.webConfig && describeWebConfig(config.webConfig, exporter.metricsApp ? 'metrics' : 'callback'),
    },
    'tencent-chat-exporter listening',
  )
  warnAboutOpenDoors(config, logger)
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

main().catch((error: unknown) => {
  process.stderr.write(`tencent-chat-exporter: failed to start: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
