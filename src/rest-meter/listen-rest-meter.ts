import type { Server } from 'node:http'
import type { Clock } from '../clock.js'
import type { EgressConfig } from '../config/config.js'
import type { Logger } from '../logging/logger.js'
import { listenWith } from '../server.js'
import type { MeterState } from './meter-state.js'
import { createRestMeter, type RestMeter } from './rest-meter.js'

/**
 * Starts the REST meter's listener on EGRESS_HOST:EGRESS_PORT (the Pod's loopback by default), recording
 * into the exporter's meter state. Resolves once it listens.
 */
export async function listenRestMeter(deps: {
  egress: EgressConfig
  state: MeterState
  sdkAppIds: ReadonlySet<string> | undefined
  logger: Logger
  clock: Clock
}): Promise<{ server: Server; meter: RestMeter }> {
  const meter = createRestMeter({
    egress: deps.egress,
    sdkAppIds: deps.sdkAppIds,
    apis: deps.state.apis,
    metrics: deps.state.metrics,
    logger: deps.logger,
    clock: deps.clock,
  })
  const server = await listenWith(meter.handle, deps.egress.port, deps.egress.host)
  return { server, meter }
}
