import fc from 'fast-check'
import type { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeSign } from '../../src/auth/signature.js'
import { OK_ANSWER } from '../../src/protocol/answers.js'
import { REJECTION_REASONS, type RejectionReason } from '../../src/protocol/rejection.js'
import { SDKAPPID, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

// Property-based fuzzing of POST /callback on the real server: arbitrary bodies, query strings and
// headers. Whatever arrives, the answer is OK or a precise rejection of docs/callbacks.md, counted exactly once,
// and a rejected request changes no series. A fixed seed keeps CI reproducible; set FUZZ_SEED to
// another number to explore further (a failure prints the seed and the shrunk counterexample).

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_129)
const RUNS_PER_EXPORTER = Number(process.env.FUZZ_RUNS ?? 200)

// ---------------------------------------------------------------------------------------------
// Generators. Bodies are built as JSON text so that they can hold what JSON.stringify cannot write:
// huge and out-of-range number literals, duplicate keys, invalid UTF-8.

const json = (value: unknown) => JSON.stringify(value)

/** Mostly valid values (so that requests get past the first check), else a rarer bad one. */
const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: invalid })

/** Candidate label values: valid ones, edge lengths, unicode, control characters, lone surrogates. */
const labelValue = mostly(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_./-]{1,16}$/),
    fc.constantFrom('openim', 'batchsendmsg', 'a'.repeat(128)),
  ),
  fc.oneof(
    fc.constantFrom('a'.repeat(129), '', ' ', 'open im', 'ä', '\u0000', 'x\ny', '\u202e'),
    fc.string({ unit: 'binary', maxLength: 16 }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
  ),
)

/** JSON text for a Request/Limit/QuotaUsed value: numbers, huge literals, numbers as strings, junk. */
const quantityText = mostly(
  fc.oneof(
    fc.nat().map(String),
    fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).map(String),
    fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
    fc.constantFrom('1E+308', '-0', '0.0', '5e-324', '1e-400'),
    fc.nat().map((n) => json(String(n))),
    fc.bigInt({ min: 0n, max: 10n ** 40n }).map((n) => json(n.toString())),
    fc.constantFrom('" 12 "', '"1e3"', '"1.5"'),
  ),
  fc.oneof(
    fc.double().map(String),
    fc.double().map((n) => json(String(n))),
    fc.bigInt({ min: -(10n ** 40n), max: -1n }).map(String),
    fc.constantFrom(
      '1e400',
      '-1e400',
      '"1e400"',
      '"0x10"',
      '"1_000"',
      '""',
      '"-5"',
      'null',
      'true',
      '[200]',
      '{}',
    ),
    fc.string({ maxLength: 8 }).map(json),
  ),
)

/** Any JSON value as a field: small ones, or rarely an array nested deep enough to overflow a recursive printer. */
const anyJsonText = mostly(
  fc.jsonValue({ maxDepth: 3 }).map(json),
  fc.integer({ min: 20_000, max: 60_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
)

/**
 * A JSON object from fields (JSON text each), usually all of them, sometimes a random subset, plus
 * rare extra keys, which may repeat a field (JSON.parse keeps the last).
 */
function objectText(fields: Record<string, fc.Arbitrary<string>>) {
  const extraKey = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...Object.keys(fields)))
  return fc
    .tuple(
      mostly(fc.record(fields), fc.record(fields, { requiredKeys: [] })),
      mostly(
        fc.constant<Array<[string, string]>>([]),
        fc.array(fc.tuple(extraKey, anyJsonText), { minLength: 1, maxLength: 3 }),
      ),
    )
    .map(([known, extra]) => {
      const entries = [...Object.entries(known), ...extra] as Array<[string, string]>
      return `{${entries.map(([key, value]) => `${json(key)}:${value}`).join(',')}}`
    })
}

const alertBodyText = (command: string) =>
  objectText({
    CallbackCommand: mostly(fc.constant(json(command)), fc.oneof(labelValue.map(json), anyJsonText)),
    ServiceName: mostly(labelValue.map(json), anyJsonText),
    Command: mostly(labelValue.map(json), anyJsonText),
    Request: quantityText,
    Limit: quantityText,
  })

const groupBodyText = (command: string) =>
  objectText({
    CallbackCommand: mostly(fc.constant(json(command)), anyJsonText),
    QuotaUsed: quantityText,
    Quota: quantityText,
    EventTime: mostly(
      fc.nat().map((n) => json(String(n))),
      quantityText,
    ),
  })

/** A valid alert padded with white space to around the body limit (256 KiB by default). */
const paddedAlert = fc
  .integer({ min: 250_000, max: 300_000 })
  .map((size) => `${' '.repeat(size)}{"ServiceName":"openim","Command":"sendmsg","Request":1,"Limit":2}`)

/** Arrays or objects nested `depth` deep: deeper ones exceed the body limit. */
const deeplyNested = fc
  .tuple(fc.integer({ min: 1, max: 150_000 }), fc.constantFrom('array', 'object'))
  .map(([depth, kind]) =>
    kind === 'array'
      ? '['.repeat(depth) + ']'.repeat(depth)
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  )

/** A valid alert whose ServiceName holds bytes that are not UTF-8. */
const invalidUtf8 = fc
  .constantFrom([0xc3, 0x28], [0xff], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf])
  .map((bytes) =>
    Buffer.concat([
      Buffer.from('{"CallbackCommand":"Alert.RequestOverLimit","ServiceName":"open'),
      Buffer.from(bytes),
      Buffer.from('im","Command":"batchsendmsg","Request":510,"Limit":200}'),
    ]),
  )

const knownCommands = ['Alert.RequestOverLimit', 'Group.CallbackOnDailyGroupQuotaAlarm', 'State.StateChange']
const command = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...knownCommands, 'C2C.CallbackBeforeSendMsg') },
  { weight: 1, arbitrary: labelValue },
)

/** Bodies shaped for the query's command most of the time, else anything at all. */
const bodyFor = (queryCommand: string): fc.Arbitrary<string | Buffer> =>
  fc.oneof(
    {
      weight: 12,
      arbitrary:
        queryCommand === 'Group.CallbackOnDailyGroupQuotaAlarm'
          ? groupBodyText(queryCommand)
          : alertBodyText(queryCommand),
    },
    { weight: 1, arbitrary: fc.jsonValue().map(json) },
    { weight: 1, arbitrary: deeplyNested },
    { weight: 1, arbitrary: paddedAlert },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: invalidUtf8 },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', ' ', '\uFEFF{}', '{"a":1}garbage', 'null', '[]', '"x"', '1e999'),
    },
  )

/** How the request is signed; the signature itself is computed when the request is sent. */
const signing = mostly(
  fc.constantFrom('valid', 'valid-uppercase'),
  fc.constantFrom('wrong-token', 'no-sign', 'no-time', 'stale', 'future', 'time-not-a-number', 'unsigned'),
)

/** A query parameter: a known name in any case, or random; its value valid-looking or random. */
const queryKey = fc.oneof(
  fc.constantFrom(
    'SdkAppid',
    'sdkappid',
    'SDKAPPID',
    'CallbackCommand',
    'callbackcommand',
    'Sign',
    'RequestTime',
  ),
  fc.constantFrom('contenttype', 'OptPlatform', 'ClientIP'),
  fc.string({ maxLength: 8 }),
)
const queryValue = fc.oneof(
  labelValue,
  fc.stringMatching(/^\d{1,25}$/),
  fc.string({ unit: 'binary', maxLength: 12 }),
)

/** Percent-encoding: proper, or raw characters, stray `%`, `+` and invalid escapes left as they are. */
const encoding = fc.constantFrom('proper', 'raw')
const rawSafe = (text: string) => text.replace(/[#\s]/g, (c) => encodeURIComponent(c))

interface Fuzzed {
  command: string
  sdkAppId: string
  signing: string
  dropCommand: boolean
  extra: Array<[string, string]>
  encoding: string
  junkQuery: string
  body: string | Buffer
  contentType: string | null
  contentEncoding: string | null
}

const fuzzedRequest: fc.Arbitrary<Fuzzed> = command.chain((cmd) =>
  fc.record({
    command: fc.constant(cmd),
    sdkAppId: fc.oneof(
      { weight: 5, arbitrary: fc.constant(SDKAPPID) },
      { weight: 1, arbitrary: fc.stringMatching(/^\d{1,22}$/) },
      { weight: 1, arbitrary: queryValue },
    ),
    signing,
    dropCommand: fc.oneof(
      { weight: 5, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    extra: mostly(
      fc.constant<Array<[string, string]>>([]),
      fc.array(fc.tuple(queryKey, queryValue), { minLength: 1, maxLength: 3 }),
    ),
    encoding,
    junkQuery: mostly(
      fc.constant(''),
      fc.constantFrom('&', '&&=', '&%', '&%zz=%C3%28', '&a=%E0%A4', '&=x', '&x'),
    ),
    body: bodyFor(cmd),
    contentType: fc.option(
      fc.oneof(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'application/json; charset=utf-16',
        ),
        fc.stringMatching(/^[\x21-\x7e]{1,24}$/),
      ),
    ),
    contentEncoding: fc.option(fc.constantFrom('gzip', 'identity', 'br', 'x-unknown')),
  }),
)

function buildQuery(request: Fuzzed, nowSeconds: number): string {
  const pairs: Array<[string, string]> = [['SdkAppid', request.sdkAppId]]
  if (!request.dropCommand) pairs.push(['CallbackCommand', request.command])
  pairs.push(['contenttype', 'json'], ['OptPlatform', 'RESTAPI'])
  const sign = (token: string, time: number) => computeSign(token, time)
  switch (request.signing) {
    case 'valid':
      pairs.push(['Sign', sign(TOKEN, nowSeconds)], ['RequestTime', String(nowSeconds)])
      break
    case 'valid-uppercase':
      pairs.push(['Sign', sign(TOKEN, nowSeconds).toUpperCase()], ['RequestTime', String(nowSeconds)])
      break
    case 'wrong-token':
      pairs.push(['Sign', sign('not-the-token', nowSeconds)], ['RequestTime', String(nowSeconds)])
      break
    case 'no-sign':
      pairs.push(['RequestTime', String(nowSeconds)])
      break
    case 'no-time':
      pairs.push(['Sign', sign(TOKEN, nowSeconds)])
      break
    case 'stale':
      pairs.push(['Sign', sign(TOKEN, nowSeconds - 3600)], ['RequestTime', String(nowSeconds - 3600)])
      break
    case 'future':
      pairs.push(['Sign', sign(TOKEN, nowSeconds + 3600)], ['RequestTime', String(nowSeconds + 3600)])
      break
    case 'time-not-a-number':
      pairs.push(['Sign', sign(TOKEN, nowSeconds)], ['RequestTime', `${nowSeconds}.5`])
      break
  }
  pairs.push(...request.extra)
  const encode = request.encoding === 'proper' ? encodeURIComponent : rawSafe
  return pairs.map(([key, value]) => `${encode(key)}=${encode(value)}`).join('&') + request.junkQuery
}

// ---------------------------------------------------------------------------------------------
// What the server holds: the rejection counters, and every series a callback may create.

const SERIES_METRICS = [
  'tencent_chat_api_requests_per_second',
  'tencent_chat_api_request_limit_per_second',
  'tencent_chat_api_utilization_ratio',
  'tencent_chat_api_overlimit_alerts_total',
  'tencent_chat_api_last_alert_timestamp_seconds',
  'tencent_chat_group_daily_net_increase',
  'tencent_chat_group_daily_quota',
  'tencent_chat_group_daily_quota_utilization_ratio',
  'tencent_chat_group_quota_alerts_total',
  'tencent_chat_exporter_callbacks_total',
  'tencent_chat_exporter_dropped_alerts_total',
  'tencent_chat_exporter_tracked_apis',
  'tencent_chat_exporter_tracked_group_quota_apps',
]

interface State {
  rejected: Record<string, number>
  series: Record<string, string[]>
  callbacks: number
}

async function stateOf(registry: Registry): Promise<State> {
  const values = async (name: string) => {
    const metric = registry.getSingleMetric(name)
    if (!metric) throw new Error(`metric ${name} is not registered`)
    return (await metric.get()).values
  }
  const rejected: Record<string, number> = {}
  for (const { labels, value } of await values('tencent_chat_exporter_rejected_callbacks_total')) {
    rejected[String(labels.reason)] = value
  }
  const series: Record<string, string[]> = {}
  for (const name of SERIES_METRICS) {
    series[name] = (await values(name)).map(({ labels, value }) => `${json(labels)} ${value}`).sort()
  }
  const callbacks = (await values('tencent_chat_exporter_callbacks_total')).reduce(
    (sum, { value }) => sum + value,
    0,
  )
  return { rejected, series, callbacks }
}

const REASONS = Object.keys(REJECTION_REASONS) as RejectionReason[]
const LABEL_VALUE = /^[A-Za-z0-9_./-]{1,128}$/

async function send(exporter: TestExporter, request: Fuzzed) {
  const query = buildQuery(request, Math.floor(Date.now() / 1000))
  const headers: Record<string, string> = {}
  if (request.contentType !== null) headers['content-type'] = request.contentType
  if (request.contentEncoding !== null) headers['content-encoding'] = request.contentEncoding
  const response = await fetch(`${exporter.url}/callback?${query}`, {
    method: 'POST',
    body: request.body,
    headers,
  })
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() }
}

/** One fuzzed request: the answer and the counters must agree, and a rejection must change no series. */
async function checkOne(exporter: TestExporter, request: Fuzzed): Promise<'ok' | RejectionReason> {
  const before = await stateOf(exporter.registry)
  const answer = await send(exporter, request)
  const after = await stateOf(exporter.registry)

  expect(answer.status).toBeLessThan(500)
  if (answer.status === 200) {
    expect(answer.text).toBe(OK_ANSWER)
    expect(after.rejected).toEqual(before.rejected)
    expect(after.callbacks).toBe(before.callbacks + 1)
    return 'ok'
  }
  expect(answer.type).toMatch(/^application\/json/)
  const body = JSON.parse(answer.text) as { ActionStatus: unknown; ErrorCode: unknown; ErrorInfo: unknown }
  expect(body.ActionStatus).toBe('FAIL')
  expect(typeof body.ErrorCode === 'number' && body.ErrorCode !== 0).toBe(true)
  expect(typeof body.ErrorInfo).toBe('string')
  const reason = REASONS.find((candidate) => String(body.ErrorInfo).startsWith(`${candidate}: `))
  expect(reason, `ErrorInfo ${json(body.ErrorInfo)} names no reason of docs/callbacks.md`).toBeDefined()
  expect(answer.status).toBe(REJECTION_REASONS[reason as RejectionReason])
  const increments = Object.fromEntries(
    REASONS.map((candidate) => [
      candidate,
      (after.rejected[candidate] ?? 0) - (before.rejected[candidate] ?? 0),
    ]),
  )
  expect(increments).toEqual(
    Object.fromEntries(REASONS.map((candidate) => [candidate, candidate === reason ? 1 : 0])),
  )
  expect(after.series).toEqual(before.series)
  expect(after.callbacks).toBe(before.callbacks)
  return reason as RejectionReason
}

/** Every series that exists was made from valid label values, and only for allowed apps. */
async function checkSeriesLabels(exporter: TestExporter, allowed: string | undefined): Promise<void> {
  const state = await stateOf(exporter.registry)
  for (const line of Object.values(state.series).flat()) {
    const labels = JSON.parse(line.slice(0, line.lastIndexOf(' '))) as Record<string, string>
    for (const [name, value] of Object.entries(labels)) {
      if (name === 'reason') continue
      if (name === 'sdkappid' && value !== '_other') {
        expect(value).toMatch(/^\d{1,20}$/)
        if (allowed) expect(value).toBe(allowed)
      } else {
        expect(value).toMatch(LABEL_VALUE)
      }
    }
  }
}

describe('fuzzing POST /callback on the real server', { timeout: 120_000 }, () => {
  let open: TestExporter
  let guarded: TestExporter

  beforeAll(async () => {
    ;[open, guarded] = await Promise.all([
      startExporter(),
      startExporter({ config: { sdkAppIds: new Set([SDKAPPID]), callbackToken: TOKEN } }),
    ])
  })

  afterAll(async () => {
    await Promise.all([open?.close(), guarded?.close()])
  })

  // The outcomes each run must reach at least once, so that the generators keep exploring past the
  // first checks (a fuzzer that only ever hits malformed_json would pass and prove nothing).
  const openOutcomes = ['ok', 'malformed_json', 'invalid_payload', 'body_too_large']
  const guardedOutcomes = [
    ...openOutcomes,
    'sdkappid_not_allowed',
    'missing_signature',
    'stale_request',
    'bad_signature',
  ]

  for (const [name, target, allowed, expected] of [
    ['without a token or SDKAPPIDS', () => open, undefined, openOutcomes],
    ['with a token and SDKAPPIDS', () => guarded, SDKAPPID, guardedOutcomes],
  ] as const) {
    it(`answers OK or a counted rejection, never a 5xx (${name})`, async () => {
      const exporter = target()
      const seen = new Map<string, number>()
      await fc.assert(
        fc.asyncProperty(fuzzedRequest, async (request) => {
          const outcome = await checkOne(exporter, request)
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1)
        }),
        { numRuns: RUNS_PER_EXPORTER, seed: SEED },
      )
      expect([...seen.keys()].sort(), json(Object.fromEntries(seen))).toEqual(
        expect.arrayContaining(expected),
      )
      await checkSeriesLabels(exporter, allowed)
      expect((await fetch(`${exporter.url}/-/healthy`)).status).toBe(200)
      const scrape = await fetch(`${exporter.metricsUrl}/metrics`)
      expect(scrape.status).toBe(200)
      // Nothing reached the error handler (it logs at error level before answering 500).
      expect(exporter.logs.filter((line) => line.level === 'error')).toEqual([])
    })
  }
})
