/** Why a callback was rejected: the `reason` label of `tencent_chat_exporter_rejected_callbacks_total` (docs/callbacks.md, Rejections). */
export const REJECTION_REASONS = {
  malformed_json: 400,
  invalid_payload: 400,
  sdkappid_not_allowed: 403,
  missing_signature: 401,
  stale_request: 401,
  bad_signature: 401,
  body_too_large: 413,
  unsupported_encoding: 415,
} as const

export type RejectionReason = keyof typeof REJECTION_REASONS

// A non-zero ErrorCode per reason, so that an operator reading Chat's console can tell them apart.
const ERROR_CODES: Record<RejectionReason, number> = {
  malformed_json: 40001,
  invalid_payload: 40002,
  missing_signature: 40101,
  stale_request: 40102,
  bad_signature: 40103,
  sdkappid_not_allowed: 40301,
  body_too_large: 41301,
  unsupported_encoding: 41501,
}

/** A callback that must be answered with a FAIL body, counted by reason and logged. */
export class CallbackRejection extends Error {
  override name = 'CallbackRejection'
  readonly status: number
  readonly errorCode: number

  constructor(
    readonly reason: RejectionReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`)
    this.status = REJECTION_REASONS[reason]
    this.errorCode = ERROR_CODES[reason]
  }
}
