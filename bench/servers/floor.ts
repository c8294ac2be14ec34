import Router from '@koa/router'
import Koa from 'koa'
import getRawBody from 'raw-body'

/**
 * The framework floor: the same stack as the exporter (Koa, @koa/router, raw-body, JSON.parse)
 * answering the same OK body, without any of the exporter's own work. Listens on 127.0.0.1:$PORT.
 */
const OK_ANSWER = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'

const router = new Router()
router.get('/-/ready', (ctx) => {
  ctx.body = 'ok'
})
router.post('/callback', async (ctx) => {
  const body = await getRawBody(ctx.req, { limit: 262_144, length: ctx.get('content-length') || undefined })
  JSON.parse(body.toString('utf8'))
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
