import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeSign } from '../../src/auth/signature.js'
import type { Config } from '../../src/config/config.js'
import { SDKAPPID } from '../helpers/callbacks.js'
import { manualClock, startExporter, type TestExporter } from '../helpers/start-exporter.js'

// Property test on the real server: query strings that hold a real Sign, joined with whatever
// separators a client might use (`;` as in the outside probe, `,`, `|`, white space, encoded `&`,
// nothing at all), names in any case, the Sign anywhere among the parameters or inside another one's
// value, in the path, percent-encoded or not. No answer and no log line may ever show the Sign's first
// 8 hex digits, and no log line may hold a raw U+2028 or U+2029. Every rejection is logged: the clock
// moves a minute between requests, past the per-reason log throttle, and RequestTime follows it.

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130)
const RUNS = Number(process.env.FUZZ_RUNS ?? 250)
const TOKEN = 'property-test-token'

const separator = fc.constantFrom(
  '&',
  ';',
  ',',
  '|',
  ' ',
  '\t',
  '\n',
  '%26',
  '&amp;',
  '%3B',
  '&&',
  '/',
  '.',
  '_',
  '-',
  '',
  '\u2028',
  '\u2029',
)
const casing = (name: string) =>
  fc.constantFrom(name, name.toLowerCase(), name.toUpperCase(), name[0]?.toLowerCase() + name.slice(1))

const request = fc.record({
  sdkAppId: fc.oneof(
    fc.constant(SDKAPPID),
    fc.constantFrom('1400000002', '14x', ''),
    fc.string({ maxLength: 12 }),
  ),
  command: fc.oneof(
    fc.constantFrom('Alert.RequestOverLimit', 'State.StateChange', 'C2C.CallbackBeforeSendMsg'),
    fc.string({ maxLength: 12 }),
  ),
  skewSeconds: fc.oneof(fc.constant(0), fc.integer({ min: -300, max: 300 })),
  upperCaseSign: fc.boolean(),
  signName: casing('Sign'),
  timeName: casing('RequestTime'),
  appName: casing('SdkAppid'),
  assign: fc.constantFrom('=', '%3D', ':', '=='),
  encodeSign: fc.boolean(),
  junk: fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 })), { maxLength: 2 }),
  order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  separators: fc.array(separator, { minLength: 8, maxLength: 8 }),
  // Where the query goes: after `?`, or into the path after `;` or `/` (an unknown path, 404).
  placement: fc.constantFrom('query', 'query', 'query', 'path;', 'path/'),
  body: fc.constantFrom(
    '{"CallbackCommand":"Alert.RequestOverLimit","ServiceName":"openim","Command":"batchsendmsg","Request":510,"Limit":200}',
    '{}',
    'not json',
    '{"ServiceName":"not a label!","Command":"x","Request":"many","Limit":-1}',
  ),
})

type Request = typeof request extends fc.Arbitrary<infer T> ? T : never

/** Percent-encodes what may not stand raw in a request line; everything else goes as the client chose. */
const forTheWire = (text: string) =>
  [...text].map((c) => (/^[!$%&-;=?-Z_a-z~]$/.test(c) ? c : encodeURIComponent(c))).join('')

function build(input: Request, sign: string, requestTime: number): { target: string } {
  const signValue = input.encodeSign
    ? [...sign].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')
    : sign
  const params = [
    `${input.appName}=${input.sdkAppId}`,
    `CallbackCommand=${input.command}`,
    'contenttype=json',
    'OptPlatform=RESTAPI',
    `${input.timeName}${input.assign}${requestTime}`,
    `${input.signName}${input.assign}${signValue}`,
    ...input.junk.map(([name, value]) => `${name}=${value}`),
  ]
  // A stable shuffle driven by the generated numbers.
  const shuffled = params
    .map((param, i) => ({ param, key: input.order[i % input.order.length] ?? 0 }))
    .sort((a, b) => a.key - b.key)
    .map(({ param }) => param)
  let query = shuffled[0] ?? ''
  for (let i = 1; i < shuffled.length; i += 1) query += (input.separators[i - 1] ?? '&') + shuffled[i]
  const wire = forTheWire(query)
  if (input.placement === 'path;') return { target: `/callback;${wire}` }
  if (input.placement === 'path/') return { target: `/callback/${wire}` }
  return { target: `/callback?${wire}` }
}

const configs: Array<{ name: string; config: Partial<Config> }> = [
  { name: 'token and SDKAPPIDS', config: { callbackToken: TOKEN, sdkAppIds: new Set([SDKAPPID]) } },
  { name: 'token, any app', config: { callbackToken: TOKEN } },
  { name: 'no token', config: {} },
]

describe.each(configs)('a Sign in the query, with $name', ({ config }) => {
  const clock = manualClock(Date.UTC(2026, 5, 1))
  let exporter: TestExporter
  beforeAll(async () => {
    exporter = await startExporter({ config, clock })
  })
  afterAll(() => exporter.close())

  it('never shows its first 8 hex digits in an answer or a log line', async () => {
    const outcomes = new Map<number, number>()
    const secrets = new Set<string>()
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        clock.advance(61_000)
        const requestTime = Math.floor(clock.now() / 1000) + input.skewSeconds
        const sign = computeSign(TOKEN, requestTime)
        const signed = input.upperCaseSign ? sign.toUpperCase() : sign
        const { target } = build(input, signed, requestTime)
        const logsBefore = exporter.rawLogs.length
        const response = await fetch(`${exporter.url}${target}`, { method: 'POST', body: input.body })
        const answer = [
          `${response.status} ${response.statusText}`,
          ...[...response.headers].map(([name, value]) => `${name}: ${value}`),
          await response.text(),
        ].join('\n')
        outcomes.set(response.status, (outcomes.get(response.status) ?? 0) + 1)
        const lines = exporter.rawLogs.slice(logsBefore)
        const secret = sign.slice(0, 8)
        secrets.add(secret)
        expect(answer.toLowerCase()).not.toContain(secret)
        for (const line of lines) {
          expect(line.toLowerCase()).not.toContain(secret)
          expect(line).not.toMatch(/[\u2028\u2029]/)
        }
        // Rejections are logged (the throttle never holds one back here): the check saw real lines.
        if (response.status !== 200 && response.status !== 404) expect(lines.length).toBeGreaterThan(0)
      }),
      { seed: SEED, numRuns: RUNS },
    )
    // The generator reached the answers that quote the client: rejections, and accepted ones.
    expect(outcomes.get(400) ?? 0).toBeGreaterThan(0)
    expect(outcomes.get(404) ?? 0).toBeGreaterThan(0)
    // Nor does anything it accepted show the Sign in /metrics (labels come from the query).
    const metrics = await (await fetch(`${exporter.url}/metrics`)).text()
    for (const secret of secrets) expect(metrics).not.toContain(secret)
  }, 120_000)
})
