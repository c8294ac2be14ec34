import type { Context } from 'koa'

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

export interface LandingPageInfo {
  version: string
  callbackPath: string | undefined
  metricsPath: string | undefined
}

/** `GET /`: what this is and where to go, like every Prometheus exporter's front page. */
export function createLandingPage(info: LandingPageInfo) {
  const links = [
    info.metricsPath && `<li><a href="${escapeHtml(info.metricsPath)}">Metrics</a></li>`,
    '<li><a href="/-/healthy">Health</a></li>',
    '<li><a href="/-/ready">Readiness</a></li>',
  ].filter(Boolean)
  const callback = info.callbackPath
    ? `<p>Tencent Cloud Chat callbacks: <code>POST ${escapeHtml(info.callbackPath)}?SdkAppid=…&amp;CallbackCommand=…</code></p>`
    : ''
  const html = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Tencent Chat Exporter</title></head>
<body>
<h1>Tencent Chat Exporter</h1>
<p>Version ${escapeHtml(info.version)}. Turns Tencent Cloud Chat webhook alarms into Prometheus metrics.</p>
${callback}
<ul>
${links.join('\n')}
</ul>
</body>
</html>
`
  return (ctx: Context) => {
    ctx.type = 'text/html; charset=utf-8'
    ctx.body = html
  }
}
