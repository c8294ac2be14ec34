/**
 * A stand-in for Tencent Chat's REST API over HTTPS, for the docker-compose demo: the exporter's REST
 * meter forwards the simulator's REST calls to it (CHAT_REST_URL). See scripts/simulator/demo-chat.ts.
 *
 *   npx tsx scripts/demo-chat.ts --cert chat.crt --key chat.key [--port 8443] [--sdkappid 1400000001]
 *                                [--identifier administrator] [--rest-apis service/command:limit,...]
 *
 * The app's secret key comes from CHAT_SECRET_KEY.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startDemoChat } from './simulator/demo-chat.js'
import { DEFAULT_REST_APIS, parseApis } from './simulator/options.js'

const { values } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    port: { type: 'string', default: '8443' },
    host: { type: 'string', default: '0.0.0.0' },
    sdkappid: { type: 'string', default: '1400000001' },
    identifier: { type: 'string', default: 'administrator' },
    'rest-apis': { type: 'string', default: DEFAULT_REST_APIS },
  },
  strict: true,
})
const secretKey = process.env.CHAT_SECRET_KEY
if (!values.cert || !values.key || !secretKey) {
  process.stderr.write('demo-chat: --cert, --key and CHAT_SECRET_KEY are required\n')
  process.exit(2)
}
const chat = await startDemoChat(
  {
    cert: readFileSync(values.cert, 'utf8'),
    key: readFileSync(values.key, 'utf8'),
    sdkAppId: values.sdkappid,
    identifier: values.identifier,
    secretKey,
    apis: parseApis(values['rest-apis']),
  },
  Number(values.port),
  values.host,
)
process.stdout.write(`demo-chat: listening on https://${values.host}:${chat.port}\n`)
const stop = () => {
  chat.close().then(() => process.exit(0))
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
