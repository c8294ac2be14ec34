/** The callback commands the exporter turns into metrics; every other command is acknowledged with OK. */
export const ALERT_REQUEST_OVER_LIMIT = 'Alert.RequestOverLimit'
export const GROUP_DAILY_QUOTA_ALARM = 'Group.CallbackOnDailyGroupQuotaAlarm'

/**
 * "Before" callbacks (`C2C.CallbackBeforeSendMsg`, `Sns.CallbackPrevFriendAdd`, ...) let the answer's
 * ErrorCode decide what Chat does next; "after" callbacks ignore it.
 */
export function isBeforeCallback(command: string): boolean {
  const action = command.slice(command.indexOf('.') + 1)
  return /Before|Prev/.test(action)
}
