import { createHmac } from 'node:crypto'
import { deflateSync, inflateSync } from 'node:zlib'

/**
 * Tencent's UserSig (TLSSigAPIv2): a zlib-compressed JSON document with the identifier, the app, when it
 * was made, its validity in seconds and an HMAC-SHA256 over them with the app's secret key, in base64
 * with `+`, `/`, `=` written `*`, `-`, `_`. Made for the simulator's and the bench's REST calls, and
 * checked by the demo Chat and the tests' fake Chat as Chat does, so that a meter that changed one byte
 * of the query would be caught.
 */
interface UserSigFields {
  'TLS.ver': string
  'TLS.identifier': string
  'TLS.sdkappid': number
  'TLS.expire': number
  'TLS.time': number
  'TLS.sig': string
}

const signed = (identifier: string, sdkappid: number | string, time: number, expire: number) =>
  `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkappid}\nTLS.time:${time}\nTLS.expire:${expire}\n`

const hmac = (key: string, content: string) => createHmac('sha256', key).update(content).digest('base64')

export function makeUserSig(options: {
  sdkappid: string
  key: string
  identifier: string
  expireSeconds: number
  /** When it was made, in Unix seconds (now by default). */
  timeSeconds?: number
}): string {
  const time = options.timeSeconds ?? Math.floor(Date.now() / 1000)
  const sdkappid = Number(options.sdkappid)
  const fields: UserSigFields = {
    'TLS.ver': '2.0',
    'TLS.identifier': options.identifier,
    'TLS.sdkappid': sdkappid,
    'TLS.expire': options.expireSeconds,
    'TLS.time': time,
    'TLS.sig': hmac(options.key, signed(options.identifier, sdkappid, time, options.expireSeconds)),
  }
  return deflateSync(Buffer.from(JSON.stringify(fields)))
    .toString('base64')
    .replace(/\+/g, '*')
    .replace(/\//g, '-')
    .replace(/=/g, '_')
}

/**
 * Chat's verdict on a UserSig: 0 when good, else its ErrorCode: 70003 cannot be decoded, 70014 made
 * for another app, 70013 for another identifier, 70001 expired, 70009 not signed with the app's key.
 */
export function checkUserSig(
  userSig: string,
  expected: { sdkappid: string; identifier: string; key: string; nowSeconds?: number },
): number {
  let fields: UserSigFields
  try {
    const compressed = Buffer.from(
      userSig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='),
      'base64',
    )
    fields = JSON.parse(inflateSync(compressed).toString('utf8')) as UserSigFields
  } catch {
    return 70003
  }
  if (String(fields['TLS.sdkappid']) !== expected.sdkappid) return 70014
  if (fields['TLS.identifier'] !== expected.identifier) return 70013
  const now = expected.nowSeconds ?? Math.floor(Date.now() / 1000)
  if (now > fields['TLS.time'] + fields['TLS.expire']) return 70001
  const content = signed(
    fields['TLS.identifier'],
    fields['TLS.sdkappid'],
    fields['TLS.time'],
    fields['TLS.expire'],
  )
  return hmac(expected.key, content) === fields['TLS.sig'] ? 0 : 70009
}
