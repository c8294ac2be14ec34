/**
 * The bodies Tencent Chat expects back. Chat counts anything but HTTP 200 with a JSON body as a failed
 * callback; for "before" callbacks ErrorCode 0 means allow.
 */
export const OK_ANSWER = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

export interface FailAnswer {
  ActionStatus: 'FAIL'
  ErrorCode: number
  ErrorInfo: string
}

export function failAnswer(errorCode: number, errorInfo: string): FailAnswer {
  return { ActionStatus: 'FAIL', ErrorCode: errorCode, ErrorInfo: errorInfo }
}
