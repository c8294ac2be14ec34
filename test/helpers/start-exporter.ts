import type { Server } from 'node:http'
import { Writable } from 'node:stream'
import { Registry } from 'prom-client'
import { createExporter, type Exporter, type ExporterDeps } from '../../src/app.js'
import { type Clock, manualClock, systemClock } from '../../src/clock.js'
import { type Config, defaultConfig } from '../../src/config/config.js'
import { createLogger } from '../../src/logging/logger.js'
import { listenRestMeter } from '../../src/rest-meter/listen-rest-meter.js'
import { closeGracefully, listen, portOf } from '../../src/server.js'
import { tlsServerFactory } from '../../src/web-config/tls-server.js'

export interface TestExporter {
  /** Base URL of the callback listener, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Base URL serving `/metrics`: the metrics listener when METRICS_PORT is set, else `url`. */
  metricsUrl: string
  /** Base URL of the REST meter when `config.egress` is set, e.g. `http://127.0.0.1:41235`. */
  egressUrl: string | undefined
  exporter: Exporter
  registry: Registry
  config: Config
  /** Parsed JSON log lines written so far. */
  logs: Array<Record<string, unknown>>
  /** The same lines as written, before parsing. */
  rawLogs: string[]
  /** The listeners: the callback listener, then the metrics listener when METRICS_PORT is set. */
  servers: Server[]
  close(): Promise<void>
}

export interface StartOptions {
  config?: Partial<Config>
  clock?: Clock
  createResponder?: ExporterDeps['createResponder']
}

/** Starts the real exporter on ephemeral loopback ports, with its own registry and captured logs. */
export async function startExporter(options: StartOptions = {}): Promise<TestExporter> {
  const config = defaultConfig({ host: '127.0.0.1', port: 0, logLevel: 'debug', ...options.config })
  const logs: Array<Record<string, unknown>> = []
  const rawLogs: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue
        rawLogs.push(line)
        logs.push(JSON.parse(line))
      }
      done()
    },
  })
  const registry = new Registry()
  const logger = createLogger(config.logLevel, sink)
  const exporter = createExporter({
    config,
    registry,
    logger,
    clock: options.clock ?? systemClock,
    createResponder: options.createResponder,
  })
  // As in main: WEB_CONFIG_FILE's TLS goes to the listener that serves /metrics.
  const tls = config.webConfig?.tls && tlsServerFactory(config.webConfig.tls, logger)
  const servers: Server[] = [
    await listen(exporter.app, 0, '127.0.0.1', exporter.metricsApp ? undefined : tls),
  ]
  if (exporter.metricsApp) servers.push(await listen(exporter.metricsApp, 0, '127.0.0.1', tls))
  // As in main: the REST meter's listener when EGRESS_PORT is set (0 here: an ephemeral port).
  const restMeter =
    config.egress && exporter.restMeter
      ? await listenRestMeter({
          egress: { ...config.egress, host: '127.0.0.1' },
          state: exporter.restMeter,
          sdkAppIds: config.sdkAppIds,
          logger,
          clock: options.clock ?? systemClock,
        })
      : undefined
  if (restMeter) servers.push(restMeter.server)
  exporter.readiness.ready = true
  const scheme = (https: boolean) => (https ? 'https' : 'http')
  const url = `${scheme(Boolean(tls) && !exporter.metricsApp)}://127.0.0.1:${portOf(servers[0] as Server)}`
  return {
    url,
    metricsUrl:
      exporter.metricsApp && servers[1] ? `${scheme(Boolean(tls))}://127.0.0.1:${portOf(servers[1])}` : url,
    egressUrl: restMeter && `http://127.0.0.1:${portOf(restMeter.server)}`,
    exporter,
    registry,
    config,
    logs,
    rawLogs,
    servers,
    close: async () => {
      exporter.close()
      await closeGracefully(servers, 2000)
      await restMeter?.meter.close()
    },
  }
}

export { manualClock }
