import type { Config } from '../../../src/config/config.js'
import { readPemCertificates } from '../../../src/rest-meter/extra-ca.js'
import { startExporter, type TestExporter } from '../../helpers/start-exporter.js'
import type { FakeChat } from './fake-chat.js'
import { makeUserSig } from './usersig.js'

export const APP = {
  sdkappid: '1400000001',
  identifier: 'administrator',
  key: 'fake-chat-app-secret-key-0123456789',
}

/** An exporter whose REST meter forwards to `chat`, trusting its test CA. */
export async function startMeter(
  chat: FakeChat,
  config: Partial<Config> = {},
): Promise<TestExporter & { egressUrl: string }> {
  const ca = readPemCertificates(chat.caFile)
  if (!ca.ok) throw new Error(ca.problem)
  const exporter = await startExporter({
    config: {
      egress: {
        port: 0,
        host: '127.0.0.1',
        chatRestUrl: new URL(chat.url),
        timeoutMs: 10_000,
        extraCa: { path: chat.caFile, pem: ca.pem },
        bodyLimitBytes: 8 * 1024 * 1024,
        ...config.egress,
      },
      ...config,
      ...(config.egress && { egress: { ...config.egress } }),
    },
  })
  if (exporter.egressUrl === undefined) throw new Error('the REST meter did not start')
  return exporter as TestExporter & { egressUrl: string }
}

let random = 1
/** The query of a REST call as an app sends it, with a fresh UserSig and a unique `random`. */
export function restQuery(options: { expireSeconds?: number; sdkappid?: string } = {}): string {
  const usersig = makeUserSig({
    sdkappid: Number(APP.sdkappid),
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
