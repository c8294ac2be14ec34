import { setTimeout as sleep } from 'node:timers/promises'
import type { ApiSpec, SimulationOptions } from './options.js'
import { phaseAt, restUtilisationAt } from './pattern.js'
import { makeUserSig } from './usersig.js'

export interface RestSummary {
  calls: number
  /** Answers by ErrorCode (the meter's own answers, when Chat could not be reached, included). */
  byErrorCode: Map<number, number>
  /** Calls that got no JSON answer at all (the meter not listening, a wrong --rest-url). */
  unanswered: number
  firstProblem: string | undefined
}

/** The request bodies of the APIs the simulator knows; other APIs get an empty object. */
const BODIES: Record<string, unknown> = {
  'profile/portrait_get': { To_Account: ['user-1'], TagList: ['Tag_Profile_IM_Nick'] },
  'group_open_http_svc/get_group_info': { GroupIdList: ['@TGS#demo'] },
  'openim/query_online_status': { To_Account: ['user-1', 'user-2'] },
  'openim/sendmsg': { From_Account: 'administrator', To_Account: 'user-1', MsgBody: [] },
}

let random = 0

/** One REST call as an app makes it: POST /v4/<servicename>/<command> with the admin's UserSig. */
async function restCall(
  options: SimulationOptions,
  api: ApiSpec,
  usersig: string,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  const url = new URL(`v4/${api.serviceName}/${api.command}`, options.restUrl)
  url.search = new URLSearchParams({
    sdkappid: options.sdkAppId,
    identifier: options.identifier,
    usersig,
    random: String(++random),
    contenttype: 'json',
  }).toString()
  const timeout = AbortSignal.timeout(15_000)
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(BODIES[`${api.serviceName}/${api.command}`] ?? {}),
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  })
  const answer = (await response.json().catch(() => undefined)) as { ErrorCode?: number } | undefined
  return answer?.ErrorCode
}

/**
 * Calls each API through the REST meter in rounds of `intervalSeconds` until `durationSeconds` pass, as
 * many calls a round as the pattern's share of the API's limit allows, all at the start of the round (a
 * burst within one second, what Chat's per-second limit counts). In the spike, every fifth round also
 * makes one call with an expired UserSig, as an app that renews it too late does.
 */
export async function runRestCalls(options: SimulationOptions, signal?: AbortSignal): Promise<RestSummary> {
  const summary: RestSummary = { calls: 0, byErrorCode: new Map(), unanswered: 0, firstProblem: undefined }
  const started = Date.now()
  const durationMs = options.durationSeconds * 1000
  const sign = (expired = false) =>
    makeUserSig({
      sdkappid: options.sdkAppId,
      key: options.secretKey,
      identifier: options.identifier,
      expireSeconds: expired ? 60 : 86_400,
      timeSeconds: Math.floor(Date.now() / 1000) - (expired ? 3600 : 0),
    })
  const usersig = sign()
  const call = async (api: ApiSpec, sig: string) => {
    summary.calls++
    try {
      const code = await restCall(options, api, sig, signal)
      if (code === undefined) {
        summary.unanswered++
        summary.firstProblem ??= `no ErrorCode in the answer of v4/${api.serviceName}/${api.command}`
        return
      }
      summary.byErrorCode.set(code, (summary.byErrorCode.get(code) ?? 0) + 1)
    } catch (error) {
      if (signal?.aborted) return
      summary.unanswered++
      summary.firstProblem ??= `${options.restUrl?.origin}: ${(error as Error).cause ?? (error as Error).message}`
    }
  }

  // Rounds start on time whatever Chat's slow answers: the calls of a round are awaited at the end.
  const pending: Array<Promise<void>> = []
  for (let round = 0; !signal?.aborted; round++) {
    const elapsedMs = Date.now() - started
    if (elapsedMs >= durationMs) break
    const progress = elapsedMs / durationMs
    const calls: Array<Promise<void>> = []
    options.restApis.forEach((api, index) => {
      const share = restUtilisationAt(progress, index)
      const count = Math.max(1, Math.round(api.limit * share * options.intervalSeconds))
      for (let n = 0; n < count; n++) calls.push(call(api, usersig))
    })
    if (phaseAt(progress) === 'spike' && round % 5 === 0 && options.restApis[0])
      calls.push(call(options.restApis[0], sign(true)))
    pending.push(...calls)
    // Nothing answered in the first round: a wrong --rest-url won't fix itself.
    if (round === 0) {
      await Promise.all(calls)
      if (summary.unanswered === summary.calls) break
    }
    const waitMs = Math.min((round + 1) * options.intervalSeconds * 1000, durationMs) - (Date.now() - started)
    if (waitMs > 0) await sleep(waitMs, undefined, { signal }).catch(() => undefined)
  }
  await Promise.all(pending)
  return summary
}
