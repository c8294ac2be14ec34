import { freePort } from '../../test/helpers/free-port.js'
import { CALLBACK_PATH, TOKEN } from './callbacks.js'
import { type ServerProcess, spawnServer } from './children.js'

export interface ExporterOptions {
  /** Entry point of the production build. */
  entry: string
  sdkAppIds: string
  env?: Record<string, string>
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[]
}

/** The production build under plain node, as a container would run it, with authentication on. */
export async function startExporter(options: ExporterOptions): Promise<ServerProcess> {
  const port = await freePort()
  return spawnServer({
    name: 'exporter',
    args: [...(options.nodeArgs ?? []), options.entry],
    readyPath: '/-/ready',
    port,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      CALLBACK_PATH,
      CALLBACK_TOKEN: TOKEN,
      SDKAPPIDS: options.sdkAppIds,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
  })
}

/** One of the comparison servers of bench/servers, from its compiled `entry`. */
export async function startReference(
  name: 'bare' | 'floor',
  entry: string,
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  const port = await freePort()
  return spawnServer({
    name,
    args: [...nodeArgs, entry],
    readyPath: '/-/ready',
    port,
    env: { PORT: String(port) },
  })
}
