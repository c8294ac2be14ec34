import Router from '@koa/router'
import Koa from 'koa'
import bodyParser from 'koa-bodyparser'

/**
 * The framework floor: the exporter's own stack (Koa, @koa/router, koa-bodyparser with the exporter's
 * options: JSON whatever the Content-Type, the default BODY_LIMIT_BYTES), answering the same OK body
 * without any of the exporter's own work. Listens on 127.0.0.1:$PORT.
 */
const OK_ANSWER = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'

const router = new Router()
router.get('/-/ready', (ctx) => {
  ctx.body = 'ok'
})
const parseBody = bodyParser({
  enableTypes: ['json'],
  detectJSON: () => true,
  jsonLimit: '262144',
  strict: false,
  onProtoPoisoning: 'ignore',
} as bodyParser.Options)
router.post('/callback', parseBody, (ctx) => {
  ctx.status = 200
  ctx.type = 'application/json; charset=utf-8'
  ctx.body = OK_ANSWER
})

const app = new Koa()
app.silent = true
app.use(router.routes())
app.use(router.allowedMethods())
const server = app.listen(Number(process.env.PORT), '127.0.0.1')
server.keepAliveTimeout = 65_000
process.on('SIGTERM', () => process.exit(0))
