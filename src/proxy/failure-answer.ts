import { type FailAnswer, failAnswer, OK_ANSWER } from '../protocol/answers.js'
import type { UpstreamFailure } from './upstream-client.js'

export type FailurePolicy = 'allow' | 'reject'

/** The answer Chat gets when the app gave none that can be passed back. */
export interface PolicyAnswer {
  status: number
  body: string | FailAnswer
}

/**
 * UPSTREAM_FAILURE_POLICY. `allow` answers 200 with the OK body: Chat carries on as if the app had
 * allowed, which is also Chat's own default when a before-callback times out. `reject` answers a FAIL
 * body with 504 (timeout) or 502 (anything else): Chat counts a failed callback, and for a
 * before-callback applies the timeout policy set in its console, not a forbid.
 */
export function policyAnswer(policy: FailurePolicy, failure: UpstreamFailure): PolicyAnswer {
  if (policy === 'allow') return { status: 200, body: OK_ANSWER }
  if (failure.outcome === 'timeout') {
    // The detail of a timeout names only the bound; other details may name internal addresses.
    return { status: 504, body: failAnswer(50401, `upstream_timeout: ${failure.detail}`) }
  }
  if (failure.outcome === 'http_error') {
    return { status: 502, body: failAnswer(50202, 'upstream_answer_too_large: the app answered too much') }
  }
  return { status: 502, body: failAnswer(50201, 'upstream_unavailable: the app could not be reached') }
}
