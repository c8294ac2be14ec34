import { setTimeout as sleep } from 'node:timers/promises'
import { type CallbackResult, sendCallback } from './callbacks.js'
import type { SimulationOptions } from './options.js'
import { groupQuotaAt, type Phase, phaseAt, utilisationAt } from './pattern.js'
import { type RestSummary, runRestCalls } from './rest-calls.js'

export interface SimulationSummary {
  rounds: number
  sent: number
  /** Callbacks the exporter did not answer with 200 (wrong token, SDKAppID not allowed...). */
  failed: number
  /** The first failure's status and body, to tell the user what is wrong. */
  firstFailure: CallbackResult | undefined
  /** The REST calls made through the REST meter, with --rest-url. */
  rest: RestSummary | undefined
}

export interface RunHooks {
  /** Called once per round with what was sent, for progress output. */
  onRound?(round: { phase: Phase; elapsedSeconds: number; alarms: number }): void
  signal?: AbortSignal
}

/**
 * Runs the pattern once, a round of alarms every `intervalSeconds`, and returns when `durationSeconds`
 * have passed (or the signal aborts). Requests go to `options.url` only, one round at a time.
 */
export async function runSimulation(
  options: SimulationOptions,
  hooks: RunHooks = {},
): Promise<SimulationSummary> {
  const target = { url: options.url, sdkAppId: options.sdkAppId, token: options.token }
  const summary: SimulationSummary = {
    rounds: 0,
    sent: 0,
    failed: 0,
    firstFailure: undefined,
    rest: undefined,
  }
  const started = Date.now()
  const durationMs = options.durationSeconds * 1000
  // The REST calls run beside the alarms, and stop with them.
  const restStop = new AbortController()
  const restSignal = hooks.signal ? AbortSignal.any([hooks.signal, restStop.signal]) : restStop.signal
  const rest = options.restUrl ? runRestCalls(options, restSignal) : undefined

  const send = async (body: Record<string, unknown> & { CallbackCommand: string }) => {
    const result = await sendCallback(target, body, Date.now, hooks.signal)
    summary.sent++
    if (result.status !== 200) {
      summary.failed++
      summary.firstFailure ??= result
    }
  }

  while (!hooks.signal?.aborted) {
    const elapsedMs = Date.now() - started
    if (elapsedMs >= durationMs) break
    const progress = elapsedMs / durationMs
    const alarms: Array<Record<string, unknown> & { CallbackCommand: string }> = []
    options.apis.forEach((api, index) => {
      const utilisation = utilisationAt(progress, index)
      if (utilisation === undefined) return
      alarms.push({
        CallbackCommand: 'Alert.RequestOverLimit',
        ServiceName: api.serviceName,
        Command: api.command,
        Request: Math.round(api.limit * utilisation),
        Limit: api.limit,
      })
    })
    const quota = groupQuotaAt(progress)
    if (quota !== undefined) {
      alarms.push({
        CallbackCommand: 'Group.CallbackOnDailyGroupQuotaAlarm',
        QuotaUsed: Math.round(options.groupQuota * quota),
        Quota: options.groupQuota,
        EventTime: String(Date.now()),
      })
    }
    // An ordinary callback too, as Chat sends all callback types to the same URL.
    alarms.push({
      CallbackCommand: 'State.StateChange',
      EventTime: Date.now(),
      Info: { Action: 'Login', To_Account: 'simulated-user', Reason: 'Register' },
    })

    await Promise.all(alarms.map(send))
    summary.rounds++
    hooks.onRound?.({ phase: phaseAt(progress), elapsedSeconds: elapsedMs / 1000, alarms: alarms.length - 1 })
    // Everything rejected in the first round: a wrong token, SDKAppID or URL won't fix itself.
    if (summary.rounds === 1 && summary.failed === summary.sent) {
      restStop.abort()
      break
    }

    const nextRoundMs = summary.rounds * options.intervalSeconds * 1000
    const waitMs = Math.min(nextRoundMs, durationMs) - (Date.now() - started)
    if (waitMs > 0) await sleep(waitMs, undefined, { signal: hooks.signal }).catch(() => undefined)
  }
  summary.rest = await rest
  return summary
}
