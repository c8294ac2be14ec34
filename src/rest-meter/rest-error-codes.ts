/**
 * Tencent's documented REST error codes, by what an operator does about them: the values the `error_code`
 * label of `tencent_chat_rest_requests_total` takes besides `0` and `other`, and the groups the alert
 * rules watch (prometheus/config.ts). Sources, read on 2026-12-07:
 * - the public codes 60002-60021 and the account codes 700xx: the RESTful API overview
 *   (https://www.tencentcloud.com/document/product/1047/34620) and the error codes page
 *   (https://www.tencentcloud.com/document/product/1047/34348, https://cloud.tencent.com/document/product/269/1671);
 * - the module codes (groups 10xxx, messages 20xxx and 90xxx, relationship chain 30xxx, profiles 40xxx,
 *   conversations 50xxx): the same error codes page and each REST API's page (for example
 *   https://cloud.tencent.com/document/product/269/3853 for 70169 and 70500).
 */
export const REST_ERROR_CODES = {
  /** Chat refused the call for its rate: the per-API (60007) or the app-wide (60011) limit, and others. */
  throttling: [60007, 60011, 60018, 60019, 70050, 10006, 10023],
  /** The admin's UserSig: expired (70001) or invalid, or not the identifier's or the app's. */
  usersig: [70001, 70002, 70003, 70005, 70009, 70013, 70014, 70016, 70020, 70052],
  /** Chat's backend timed out. */
  timeout: [60008, 60014, 70169, 70202, 20004, 30007, 50005],
  /** Chat's internal errors: retry. */
  internal: [70500, 20005, 90992, 90994, 90995, 91000, 10002, 30006, 40006, 50004, 20018],
  /** The call itself is wrong (permissions, parameters, accounts, content). */
  request: [
    60002, 60003, 60004, 60005, 60006, 60009, 60010, 60012, 60013, 60015, 60016, 60017, 60020, 60021, 70051,
    70107, 70114, 70206, 70398, 70402, 70403, 80001, 80002, 10003, 10004, 10005, 10007, 10008, 10010, 10011,
    10015, 10017, 10018, 10019, 20001, 20002, 20003, 20006, 20007, 20009, 20010, 20011, 20012, 20016, 20022,
    20023, 30001, 30003, 30004, 30008, 30010, 30011, 30012, 30013, 30014, 40001, 40003, 40004, 40601, 50001,
    50002, 50003, 90001, 90002, 90003, 90005, 90007, 90008, 90009, 90010, 90011, 90012, 90026, 90031, 90044,
    90048, 90054, 93000,
  ],
} as const

export type RestErrorGroup = keyof typeof REST_ERROR_CODES

const LABELS = new Map<number, string>([[0, '0']])
for (const codes of Object.values(REST_ERROR_CODES)) for (const code of codes) LABELS.set(code, String(code))

/** The `error_code` label of an answer's ErrorCode: itself when 0 or documented, else `other`. */
export function errorCodeLabel(errorCode: number | undefined): string {
  return (errorCode !== undefined && LABELS.get(errorCode)) || 'other'
}
