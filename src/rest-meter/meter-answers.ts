/**
 * The REST meter's own answers: Chat's answer shape, an `ErrorInfo` that starts with
 * `tencent-chat-exporter:` so that an app can tell them from Chat's, and ErrorCodes outside Tencent's
 * (its codes have at most six digits and none starts with 99), never 0. Refusals are calls the meter
 * did not forward (`tencent_chat_exporter_rejected_rest_requests_total`); failures are calls Chat did
 * not answer (`tencent_chat_rest_failures_total`).
 */
export const METER_ANSWERS = {
  not_a_chat_api: { status: 404, errorCode: 990404 },
  method_not_allowed: { status: 405, errorCode: 990405 },
  sdkappid_not_allowed: { status: 403, errorCode: 990403 },
  body_too_large: { status: 413, errorCode: 990413 },
  chat_unreachable: { status: 502, errorCode: 990502 },
  chat_timeout: { status: 504, errorCode: 990504 },
} as const

export type MeterAnswerReason = keyof typeof METER_ANSWERS
export const METER_REFUSALS = [
  'not_a_chat_api',
  'method_not_allowed',
  'sdkappid_not_allowed',
  'body_too_large',
] as const
export const METER_FAILURES = ['chat_unreachable', 'chat_timeout'] as const
export type MeterRefusal = (typeof METER_REFUSALS)[number]
export type MeterFailure = (typeof METER_FAILURES)[number]

/** `{"ActionStatus":"FAIL","ErrorCode":…,"ErrorInfo":"tencent-chat-exporter: <reason>: <detail>"}` */
export function meterAnswerBody(reason: MeterAnswerReason, detail: string): string {
  return JSON.stringify({
    ActionStatus: 'FAIL',
    ErrorCode: METER_ANSWERS[reason].errorCode,
    ErrorInfo: `tencent-chat-exporter: ${reason}: ${detail}`,
  })
}
