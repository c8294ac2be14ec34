/**
 * `npm run simulate`: sends realistic, signed Tencent Chat alarm callbacks to a running exporter so
 * that its dashboards and alerts have something to show. See `npm run simulate -- --help`.
 */
import { parseOptions, USAGE, UsageError } from './simulator/options.js'
import { runSimulation } from './simulator/run.js'

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>
  try {
    options = parseOptions(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error
    process.stderr.write(`simulate: ${(error as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }

  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  process.once('SIGTERM', () => controller.abort())
  process.stdout.write(
    `simulate: ${options.apis.length} APIs of app ${options.sdkAppId} to ${options.url.origin}${options.url.pathname} ` +
      `for ${options.durationSeconds}s (${options.token ? 'signed' : 'unsigned'})\n` +
      (options.restUrl
        ? `simulate: REST calls to ${options.restApis.length} APIs through the meter at ${options.restUrl.origin}\n`
        : ''),
  )
  let lastPhase = ''
  const summary = await runSimulation(options, {
    signal: controller.signal,
    onRound: ({ phase, elapsedSeconds }) => {
      if (phase === lastPhase) return
      lastPhase = phase
      process.stdout.write(`simulate: ${elapsedSeconds.toFixed(0)}s ${phase}\n`)
    },
  })
  process.stdout.write(
    `simulate: ${summary.rounds} rounds, ${summary.sent} callbacks, ${summary.failed} failed\n`,
  )
  const rest = summary.rest
  if (rest) {
    const codes = [...rest.byErrorCode].map(([code, count]) => `${code}: ${count}`).join(', ')
    process.stdout.write(
      `simulate: ${rest.calls} REST calls, ErrorCode ${codes || 'none'}, ${rest.unanswered} unanswered\n`,
    )
    if (rest.calls > 0 && rest.unanswered === rest.calls) {
      process.stderr.write(
        `simulate: no REST call was answered: ${rest.firstProblem}\n  (check --rest-url against EGRESS_PORT)\n`,
      )
      return 1
    }
  }
  if (summary.firstFailure) {
    process.stderr.write(
      `simulate: the exporter answered ${summary.firstFailure.status} ${summary.firstFailure.body}\n` +
        '  (check --token against CALLBACK_TOKEN and --sdkappid against SDKAPPIDS)\n',
    )
    return 1
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`simulate: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
