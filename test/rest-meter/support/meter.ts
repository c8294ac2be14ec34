import { makeUserSig } from '../../../scripts/simulator/usersig.js'
import type { Clock } from '../../../src/clock.js'
import type { Config, EgressConfig } from '../../../src/config/config.js'
import { readPemCertificates } from '../../../src/rest-meter/extra-ca.js'
import { startExporter, type TestExporter } from '../../helpers/start-exporter.js'

export const APP = {
  sdkappid: '1400000001',
  identifier: 'administrator',
  key: 'fake-chat-app-secret-key-0123456789',
}

export interface MeterOptions {
  /** The exporter's configuration besides the REST meter's. */
  config?: Partial<Config>
  /** The REST meter's, over the defaults below. */
  egress?: Partial<EgressConfig>
  clock?: Clock
}

/**
 * An exporter whose REST meter forwards to `chat` (a fake Chat, or any URL with a CA file), trusting
 * that CA, with a timeout of 10 s and a body limit of 8 MiB unless told otherwise.
 */
export async function startMeter(
  chat: { url: string; caFile: string },
  options: MeterOptions = {},
): Promise<TestExporter & { egressUrl: string }> {
  const ca = readPemCertificates(chat.caFile)
  if (!ca.ok) throw new Error(ca.problem)
  const exporter = await startExporter({
    config: {
      ...options.config,
      egress: {
        port: 0,
        host: '127.0.0.1',
        chatRestUrl: new URL(chat.url),
        timeoutMs: 10_000,
        extraCa: { path: chat.caFile, pem: ca.pem },
        bodyLimitBytes: 8 * 1024 * 1024,
        ...options.egress,
      },
    },
    clock: options.clock,
  })
  if (exporter.egressUrl === undefined) throw new Error('the REST meter did not start')
  return exporter as TestExporter & { egressUrl: string }
}

let random = 1
/** The query of a REST call as an app sends it, with a fresh UserSig and a unique `random`. */
export function restQuery(options: { expireSeconds?: number; sdkappid?: string } = {}): string {
  const usersig = makeUserSig({
    sdkappid: APP.sdkappid,
    key: APP.key,
    identifier: APP.identifier,
    expireSeconds: options.expireSeconds ?? 86_400,
  })
  const params = new URLSearchParams({
    sdkappid: options.sdkappid ?? APP.sdkappid,
    identifier: APP.identifier,
    usersig,
    random: String(random++),
    contenttype: 'json',
  })
  return params.toString()
}
