import { setImmediate as nextTurn } from 'node:timers/promises'
import { restRequestDuration } from '../metrics/catalog.js'
import type { UpstreamOutcome } from '../proxy/upstream-recorder.js'
import type { LimitSource } from '../rest-meter/known-limits.js'
import { METER_FAILURES } from '../rest-meter/meter-answers.js'
import { formatAgo, formatDuration, formatIso, formatNumber, formatPercent, formatSeconds } from './format.js'
import { Html, html } from './html.js'
import type { RestApiStatus } from './rest-meter-status.js'
import {
  type ApiStatus,
  type CallbackStatus,
  type GroupQuotaStatus,
  type RejectionStatus,
  STATUS_JSON_PATH,
  type StatusDocument,
  type Utilization,
} from './status-data.js'
import { STATUS_STYLE } from './style.js'

/** At most this many rows of a table are on the page; all of them are in /api/v1/status, a page at a time. */
export const PAGE_ROWS = 100
/** Rows rendered in one turn of the event loop: callbacks are answered between slices. */
export const ROWS_PER_SLICE = 25

/** What the page says besides the status document: how this exporter is set up. */
export interface PageContext {
  nowMs: number
  callbackPath: string
  /** The port of the listener that receives callbacks (PORT). */
  callbackPort: number
  /** Whether this listener also receives callbacks (no METRICS_PORT). */
  servesCallbacks: boolean
  metricsPath: string
  authentication: { tokens: number; source: string } | undefined
  sdkAppIds: readonly string[] | undefined
  alertTtlSeconds: number
  maxSeries: number
  /** Front-proxy mode: where callbacks go, and how the app answered. */
  upstream:
    | { target: string; outcomes: ReadonlyMap<UpstreamOutcome, { total: number; lastMs: number }> }
    | undefined
  /** Reload the page every this many seconds (`?refresh=`), if asked. */
  refreshSeconds: number | undefined
}

const when = (seconds: number, nowMs: number) =>
  html`<time datetime="${formatIso(seconds * 1000)}" title="${formatIso(seconds * 1000)}">${formatAgo(seconds * 1000, nowMs)}</time>`

/** The utilisation as a number and a bar: amber from 80% (Chat's alarm threshold), red and striped past 100%. */
function utilisation(value: Utilization): Html {
  if (value === null) return html`<span class="muted">–</span>`
  const ratio = value === '+Inf' ? Infinity : value
  const level = ratio > 1 ? 'over' : ratio >= 0.8 ? 'warn' : ''
  const width = Math.round(Math.min(ratio, 1) * 20) * 5
  return html`<span class="pct ${level}">${value === '+Inf' ? '+Inf' : formatPercent(ratio)}</span><span class="bar"><span class="fill w${width} ${level}"></span></span>${
    ratio > 1 ? html` <span class="tag bad">over limit</span>` : ''
  }`
}

const state = (live: boolean, ttlSeconds: number) =>
  live
    ? html`<span class="tag live" title="alerted within the last ${ttlSeconds} s">live</span>`
    : html`<span class="tag expired" title="no alert for ${ttlSeconds} s: below 80% of its limit since">expired</span>`

const apiRow = (api: ApiStatus, context: PageContext) => html`<tr class="${api.live ? 'live' : 'expired'}">
<td class="mono">v4/${api.service_name}/${api.command}</td>
<td class="mono" data-label="app">${api.sdkappid}</td>
<td class="num" data-label="QPS">${formatNumber(api.requests_per_second)}</td>
<td class="num" data-label="limit">${formatNumber(api.request_limit_per_second)}</td>
<td>${utilisation(api.utilization_ratio)}</td>
<td class="num" data-label="alerts">${formatNumber(api.alerts_total)}</td>
<td data-label="last">${when(api.last_alert_timestamp_seconds, context.nowMs)}</td>
<td>${state(api.live, context.alertTtlSeconds)}</td>
</tr>
`

const groupRow = (
  app: GroupQuotaStatus,
  context: PageContext,
) => html`<tr class="${app.live ? 'live' : 'expired'}">
<td class="mono">${app.sdkappid}</td>
<td class="num" data-label="net increase">${formatNumber(app.daily_net_increase)}</td>
<td class="num" data-label="quota">${formatNumber(app.daily_quota)}</td>
<td>${utilisation(app.utilization_ratio)}</td>
<td class="num" data-label="alarms">${formatNumber(app.alerts_total)}</td>
<td data-label="last">${when(app.last_alert_timestamp_seconds, context.nowMs)}</td>
<td>${state(app.live, context.alertTtlSeconds)}</td>
</tr>
`

const callbackRow = (entry: CallbackStatus, context: PageContext) =>
  html`<tr><td class="mono">${entry.callback_command}</td><td class="num" data-label="accepted">${formatNumber(entry.accepted_total)}</td><td data-label="last">${when(entry.last_received_timestamp_seconds, context.nowMs)}</td></tr>
`

const rejectionRow = (entry: RejectionStatus, context: PageContext) =>
  html`<tr><td class="mono">${entry.reason}</td><td class="num" data-label="rejected">${formatNumber(entry.total)}</td><td data-label="last">${
    entry.last_timestamp_seconds === null ? '' : when(entry.last_timestamp_seconds, context.nowMs)
  }</td><td class="detail mono">${entry.last_detail}</td></tr>
`

/** Where a known limit comes from, as the operator set it or Chat said it. */
const LIMIT_SOURCES: Record<LimitSource, { text: string; title: string }> = {
  documented: { text: 'documented', title: "Tencent's published default for this API" },
  configured: { text: 'API_LIMITS_FILE', title: 'set in API_LIMITS_FILE' },
  alarm: { text: 'alarm', title: "the Limit of Chat's latest Alert.RequestOverLimit for this API" },
}

/** The largest finite bucket of the REST duration histogram: a p99 past it has no upper bound. */
const LONGEST_DURATION_BUCKET = restRequestDuration.buckets.at(-1) as number

const restAnswers = (api: RestApiStatus) => {
  const parts: Html[] = api.answers.map((answer) =>
    answer.action_status === 'OK' && answer.error_code === '0'
      ? html`<span class="nw"><span class="ok">OK</span> ${formatNumber(answer.total)}</span>`
      : html`<span class="nw"><span class="bad">${answer.action_status} ${answer.error_code}</span> ${formatNumber(answer.total)}</span>`,
  )
  for (const reason of METER_FAILURES) {
    const count = api.failures[reason]
    if (count > 0) {
      parts.push(html`<span class="nw"><span class="bad">${reason}</span> ${formatNumber(count)}</span>`)
    }
  }
  if (parts.length === 0) return html`<span class="muted">none yet</span>`
  return parts.map((part, i) => (i === 0 ? part : html`, ${part}`))
}

const p99 = (bound: RestApiStatus['p99_duration_seconds_at_most']) =>
  bound === null
    ? html`<span class="muted">–</span>`
    : bound === '+Inf'
      ? html`&gt; ${formatSeconds(LONGEST_DURATION_BUCKET)}`
      : html`≤ ${formatSeconds(bound)}`

const restApiRow = (api: RestApiStatus, context: PageContext) => html`<tr>
<td class="mono">v4/${api.service_name}/${api.command}</td>
<td class="mono" data-label="app">${api.sdkappid}</td>
<td class="num" data-label="calls/s">${formatNumber(api.requests_per_second)}</td>
<td class="num" data-label="peak/s">${formatNumber(api.peak_requests_per_second)}</td>
<td class="num" data-label="limit">${
  api.known_limit_per_second === null || api.known_limit_source === null
    ? html`<span class="muted" title="no known limit: set it in API_LIMITS_FILE">–</span>`
    : html`${formatNumber(api.known_limit_per_second)} <span class="muted" title="${LIMIT_SOURCES[api.known_limit_source].title}">${LIMIT_SOURCES[api.known_limit_source].text}</span>`
}</td>
<td>${utilisation(api.peak_utilization_ratio)}</td>
<td class="wrap" data-label="answers">${restAnswers(api)}</td>
<td class="num" data-label="p99">${p99(api.p99_duration_seconds_at_most)}</td>
<td data-label="last call">${when(api.last_call_timestamp_seconds, context.nowMs)}${
  api.in_flight > 0
    ? html` <span class="tag" title="calls forwarded to Chat and waiting for its answer now">${formatNumber(api.in_flight)} in flight</span>`
    : ''
}</td>
</tr>
`

const more = (count: number, what: string, context: PageContext) =>
  count > PAGE_ROWS
    ? html`<p class="more muted">and ${formatNumber(count - PAGE_ROWS)} more ${what}, in <a href="${STATUS_JSON_PATH}">${STATUS_JSON_PATH}</a> and <a href="${context.metricsPath}">${context.metricsPath}</a>.</p>
`
    : ''

/**
 * A table of the page: its head, then its first PAGE_ROWS rows ROWS_PER_SLICE at a time, then how many
 * more there are. Each piece is rendered when the page's writer asks for it.
 */
function* table<T>(options: {
  head: Html
  rows: readonly T[]
  row: (entry: T) => Html
  /** What the rows are, for "and N more …". */
  what: string
  context: PageContext
}): Generator<Html> {
  const { rows, row } = options
  yield html`<div class="scroll"><table class="cards">
<thead>${options.head}</thead>
<tbody>
`
  const shown = Math.min(rows.length, PAGE_ROWS)
  for (let from = 0; from < shown; from += ROWS_PER_SLICE) {
    const slice: Html[] = []
    for (let i = from; i < Math.min(from + ROWS_PER_SLICE, shown); i += 1) slice.push(row(rows[i] as T))
    yield html`${slice}`
  }
  yield html`</tbody>
</table></div>
${more(rows.length, options.what, options.context)}`
}

/**
 * A part of the page below its summary, as the pieces it is written in: a heading, then a table a few
 * rows at a time (`table`). The page is PAGE_SECTIONS in order; a new part of the page is one more
 * generator there.
 */
export type PageSection = (doc: StatusDocument, context: PageContext) => Iterable<Html>

function header(doc: StatusDocument, context: PageContext): Html {
  const auth = context.authentication
  const upstream = context.upstream
  const outcomes = upstream
    ? [...upstream.outcomes]
        .sort(([, a], [, b]) => b.lastMs - a.lastMs)
        .map(
          ([outcome, entry]) =>
            html` <span class="${outcome === 'ok' ? 'ok' : 'bad'}">${outcome} ${formatNumber(entry.total)}</span> <span class="muted">(last ${when(entry.lastMs / 1000, context.nowMs)})</span>`,
        )
    : []
  return html`<header>
<h1>Tencent Chat Exporter</h1>
<ul class="facts">
<li>version <b>${doc.version}</b></li>
<li>up <b>${formatDuration(context.nowMs - doc.start_time_seconds * 1000)}</b> <span class="muted">since ${formatIso(doc.start_time_seconds * 1000)}</span></li>
<li>mode <b>${upstream ? 'front proxy' : 'alarms only'}</b>${
    upstream
      ? html` → <code>${upstream.target}</code>:${outcomes.length > 0 ? outcomes : html` <span class="muted">nothing forwarded yet</span>`}`
      : ''
  }</li>
<li>authentication <b class="${auth ? 'ok' : 'bad'}">${auth ? `Sign required, ${auth.tokens} token${auth.tokens === 1 ? '' : 's'}` : 'off'}</b> <span class="muted">${auth ? `(${auth.source})` : '(no CALLBACK_TOKEN or CALLBACK_TOKEN_FILE: anyone who reaches the callback URL can send alerts)'}</span></li>
${restMeterFact(doc)}
<li>apps <b>${context.sdkAppIds ? context.sdkAppIds.join(', ') : 'any'}</b> <span class="muted">${context.sdkAppIds ? '(SDKAPPIDS)' : '(SDKAPPIDS unset)'}</span></li>
</ul>
</header>`
}

/** The REST meter in the header: off, or where it forwards and how the calls ended. */
function restMeterFact(doc: StatusDocument): Html {
  const meter = doc.rest_meter
  if (!meter.enabled) {
    return html`<li>REST meter <b>off</b> <span class="muted">(EGRESS_PORT unset)</span></li>`
  }
  const failed = METER_FAILURES.filter((reason) => meter.failures[reason] > 0)
  return html`<li>REST meter <b class="ok">on</b> → <code>${meter.chat_rest_url}</code>: <span class="ok">answered ${formatNumber(meter.answered_total)}</span>${failed.map(
    (reason) => html`, <span class="bad">${reason} ${formatNumber(meter.failures[reason])}</span>`,
  )}${meter.in_flight > 0 ? html`, ${formatNumber(meter.in_flight)} in flight` : ''} <a href="#rest-meter">per API</a></li>`
}

/** The first thing to read during set-up: is Chat reaching the exporter, and is anything refused? */
function summary(doc: StatusDocument, context: PageContext): Html {
  const latest = doc.callbacks[0]
  const accepted = doc.callbacks.reduce((sum, entry) => sum + entry.accepted_total, 0)
  const refused = doc.rejections.filter((entry) => entry.total > 0)
  const rejected = refused.reduce((sum, entry) => sum + entry.total, 0)
  const lastRefused = refused[0]
  return html`<section class="summary" id="summary">
<p>${
    latest
      ? html`<span class="ok">●</span> <b>${formatNumber(accepted)}</b> callback${accepted === 1 ? '' : 's'} accepted; the latest, <code>${latest.callback_command}</code>, ${when(latest.last_received_timestamp_seconds, context.nowMs)}.`
      : html`<span class="bad">●</span> <b>No callback received yet.</b>`
  }</p>
<p>${
    lastRefused && lastRefused.last_timestamp_seconds !== null
      ? html`<span class="bad">●</span> <b>${formatNumber(rejected)}</b> request${rejected === 1 ? '' : 's'} rejected; the latest, <code>${lastRefused.reason}</code>, ${when(lastRefused.last_timestamp_seconds, context.nowMs)}: <span class="mono">${lastRefused.last_detail}</span>`
      : html`<span class="ok">●</span> No request rejected.`
  }</p>
</section>`
}

function callbackUrlHint(context: PageContext): Html {
  return html`<div class="empty"><p><b>No callback received yet.</b> In the Chat console, set the webhook URL of your app to this exporter's callback address:</p>
<p><code>https://&lt;host that reaches port ${context.callbackPort}&gt;${context.callbackPath}</code>${
    context.servesCallbacks
      ? ''
      : html` <span class="muted">(PORT, the callback listener; this page is on METRICS_PORT)</span>`
  }</p>
<p class="muted">Chat appends <code>?SdkAppid=…&amp;CallbackCommand=…&amp;contenttype=json&amp;OptPlatform=…</code> itself${
    context.authentication
      ? html`, and <code>RequestTime</code> and <code>Sign</code> once webhook authentication has the same token`
      : ''
  }. A new URL takes about two minutes to take effect.</p></div>`
}

function* apisSection(doc: StatusDocument, context: PageContext): Generator<Html> {
  yield html`
<h2 id="apis">APIs <span class="muted">(${formatNumber(doc.apis.length)} tracked of at most ${formatNumber(context.maxSeries)}; live for ${context.alertTtlSeconds} s after each alert)</span></h2>
`
  if (doc.apis.length === 0) {
    yield html`<p class="empty">No <code>Alert.RequestOverLimit</code> yet: Chat sends one when an API passes 80% of its frequency limit.</p>
`
    return
  }
  yield* table({
    head: html`<tr><th>API</th><th>app</th><th class="num">QPS</th><th class="num">limit</th><th>utilisation</th><th class="num">alerts</th><th>last alert</th><th>state</th></tr>`,
    rows: doc.apis,
    row: (api) => apiRow(api, context),
    what: 'APIs',
    context,
  })
}

function* restMeterSection(doc: StatusDocument, context: PageContext): Generator<Html> {
  const meter = doc.rest_meter
  yield html`
<h2 id="rest-meter">Chat REST API calls <span class="muted">(REST meter${
    meter.enabled
      ? html`: ${formatNumber(doc.rest_apis.length)} APIs of at most ${formatNumber(context.maxSeries)}, calls/s and peak over the last 60 s`
      : ''
  })</span></h2>
`
  if (!meter.enabled) {
    yield html`<p class="empty">The REST meter is off. With <code>EGRESS_PORT</code> set, the exporter forwards the app's REST calls to Chat and measures every one per API (calls per second, peak per second against the known limit, Chat's error codes, latency), below 80% of the limit too: see docs/rest-meter.md.</p>
`
    return
  }
  if (doc.rest_apis.length === 0) {
    yield html`<p class="empty">No REST call through the meter yet: point the app's Chat REST base URL at the meter (<code>http://127.0.0.1:&lt;EGRESS_PORT&gt;/v4</code>) instead of <code>${meter.chat_rest_url}/v4</code>; see docs/rest-meter.md.</p>
`
    return
  }
  yield* table({
    head: html`<tr><th>API</th><th>app</th><th class="num">calls/s</th><th class="num">peak/s</th><th class="num">limit</th><th>peak utilisation</th><th>answers</th><th class="num">p99</th><th>last call</th></tr>`,
    rows: doc.rest_apis,
    row: (api) => restApiRow(api, context),
    what: 'REST APIs',
    context,
  })
}

function* groupQuotaSection(doc: StatusDocument, context: PageContext): Generator<Html> {
  yield html`
<h2 id="group-quota">Group quota <span class="muted">(daily net increase of groups, per app)</span></h2>
`
  if (doc.group_quota.length === 0) {
    yield html`<p class="empty">No <code>Group.CallbackOnDailyGroupQuotaAlarm</code> yet: Chat sends one when an app's daily net increase of groups passes 70% of its quota.</p>
`
    return
  }
  yield* table({
    head: html`<tr><th>app</th><th class="num">net increase</th><th class="num">quota</th><th>utilisation</th><th class="num">alarms</th><th>last alarm</th><th>state</th></tr>`,
    rows: doc.group_quota,
    row: (app) => groupRow(app, context),
    what: 'apps',
    context,
  })
}

function* callbacksSection(doc: StatusDocument, context: PageContext): Generator<Html> {
  yield html`
<h2 id="callbacks">Callbacks accepted${
    doc.callbacks.length > PAGE_ROWS
      ? html` <span class="muted">(${formatNumber(doc.callbacks.length)} commands, the latest first)</span>`
      : ''
  }</h2>
`
  if (doc.callbacks.length === 0) {
    yield html`${callbackUrlHint(context)}
`
    return
  }
  yield* table({
    head: html`<tr><th>callback command</th><th class="num">accepted</th><th>last received</th></tr>`,
    rows: doc.callbacks,
    row: (entry) => callbackRow(entry, context),
    what: 'commands',
    context,
  })
}

function* rejectionsSection(doc: StatusDocument, context: PageContext): Generator<Html> {
  const refused = doc.rejections.filter((entry) => entry.total > 0)
  yield html`
<h2 id="rejections">Rejections</h2>
`
  if (refused.length === 0) {
    yield html`<p class="empty">No request rejected.</p>
`
    return
  }
  yield* table({
    head: html`<tr><th>reason</th><th class="num">rejected</th><th>last</th><th>detail of the last (as answered)</th></tr>`,
    rows: refused,
    row: (entry) => rejectionRow(entry, context),
    what: 'reasons',
    context,
  })
}

/** The page's parts below the summary, in order. */
export const PAGE_SECTIONS: readonly PageSection[] = [
  apisSection,
  restMeterSection,
  groupQuotaSection,
  callbacksSection,
  rejectionsSection,
]

function top(doc: StatusDocument, context: PageContext): Html {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${context.refreshSeconds ? html`<meta http-equiv="refresh" content="${context.refreshSeconds}">` : ''}
<title>Tencent Chat Exporter: status</title>
<style>${new Html(STATUS_STYLE)}</style>
</head>
<body>
<main>
${header(doc, context)}
${summary(doc, context)}
`
}

function bottom(context: PageContext): Html {
  return html`
<footer>
<p><a href="${context.metricsPath}">Metrics</a><a href="${STATUS_JSON_PATH}">Status as JSON</a><a href="/-/healthy">Health</a><a href="/-/ready">Readiness</a>${
    context.refreshSeconds
      ? html`<a href="/">Stop refreshing</a>`
      : html`<a href="/?refresh=10">Refresh every 10 s</a>`
  }</p>
<p class="muted">Setting up: see the README, “Point Tencent Cloud Chat at it”; every rejection reason is explained in docs/callbacks.md. Shown at ${formatIso(context.nowMs)}.</p>
</footer>
</main>
</body>
</html>
`
}

/**
 * `GET /`: the status page, rendered on the server; no script, no external asset. Written a piece at a
 * time (a heading, a slice of a table's rows), with a turn of the event loop after each, so that
 * callbacks are answered while a page at the caps is rendered.
 */
export async function renderStatusPage(
  doc: StatusDocument,
  context: PageContext,
  sections: readonly PageSection[] = PAGE_SECTIONS,
): Promise<string> {
  const parts = [top(doc, context).text]
  for (const section of sections) {
    for (const piece of section(doc, context)) {
      parts.push(piece.text)
      await nextTurn()
    }
  }
  parts.push(bottom(context).text)
  return parts.join('')
}
