/**
 * The `error_code` label of `tencent_chat_callback_decisions_total`: the ErrorCode values Chat
 * documents for before-callbacks keep their number (0 allow, 1 forbid, 2 drop silently, 120001-130000
 * forbid and show the app's own code to the client); anything else is `other`, so that a buggy app
 * cannot create a series per random number.
 */
export function errorCodeLabel(errorCode: unknown): string {
  if (typeof errorCode !== 'number' || !Number.isInteger(errorCode)) return 'other'
  if (errorCode >= 0 && errorCode <= 2) return String(errorCode)
  if (errorCode >= 120_001 && errorCode <= 130_000) return String(errorCode)
  return 'other'
}

/**
 * The decision carried by an app's answer to a before-callback: the `error_code` label, or undefined
 * when the answer is not a JSON object with an `ErrorCode` field (Chat then sees a failed callback).
 */
export function decisionOf(answer: Buffer): string | undefined {
  // Answers are small; a cheap test skips JSON.parse for bodies that cannot carry the field.
  if (!answer.includes('ErrorCode')) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(answer.toString('utf8').replace(/^\uFEFF/, ''))
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null || !('ErrorCode' in parsed)) return undefined
  return errorCodeLabel(parsed.ErrorCode)
}
