/**
 * Tencent's published default frequency limits of Chat's REST APIs, in calls per second: the `documented`
 * source of `tencent_chat_api_known_limit_per_second`, the last resort after API_LIMITS_FILE and the
 * alarms' `Limit`. Each API's page states its own limit ("Maximum call frequency"); Tencent states no
 * general default, so an API not listed here has no documented limit. The limits of an app that bought
 * more (console: Feature Configuration > server API frequency) are higher: set them in API_LIMITS_FILE.
 *
 * Not listed, because a per-second figure would mislead:
 * - openim/batchsendmsg: besides 200 calls/s, 12,000 messages a minute counted per recipient since
 *   2023-08-01 (a call to 500 users is 500 messages), which the meter cannot see in its calls
 *   (https://cloud.tencent.com/document/product/269/1612, https://cloud.tencent.com/document/product/269/93324);
 * - the daily caps of timpush/push (100 a day, 10 on the free edition) and all_member_push/im_push,
 *   whose per-second rule (one push a second) is listed instead.
 */
export const DOCUMENTED_LIMITS_READ_ON = '2026-12-07'

interface DocumentedLimit {
  /** Calls per second. */
  perSecond: number
  /** The page that states it. */
  source: string
}

const PAGE = {
  raisable: 'https://cloud.tencent.com/document/product/269/93324',
  accountImport: 'https://www.tencentcloud.com/document/product/1047/34953',
  multiaccountImport: 'https://www.tencentcloud.com/document/product/1047/34954',
  accountDelete: 'https://cloud.tencent.com/document/product/269/36443',
  accountCheck: 'https://cloud.tencent.com/document/product/269/38417',
  kick: 'https://cloud.tencent.com/document/product/269/3853',
  queryOnlineStatus: 'https://cloud.tencent.com/document/product/269/2566',
  portraitSet: 'https://cloud.tencent.com/document/product/269/1640',
  friendAdd: 'https://cloud.tencent.com/document/product/269/1643',
  friendImport: 'https://cloud.tencent.com/document/product/269/8301',
  friendUpdate: 'https://cloud.tencent.com/document/product/269/12525',
  friendDelete: 'https://www.tencentcloud.com/document/product/1047/34905',
  friendDeleteAll: 'https://www.tencentcloud.com/document/product/1047/34906',
  friendCheck: 'https://www.tencentcloud.com/document/product/1047/34907',
  friendGet: 'https://www.tencentcloud.com/document/product/1047/34908',
  friendGetList: 'https://www.tencentcloud.com/document/product/1047/34910',
  blackListDelete: 'https://www.tencentcloud.com/document/product/1047/34912',
  blackListCheck: 'https://www.tencentcloud.com/document/product/1047/34913',
  snsGroupAdd: 'https://www.tencentcloud.com/document/product/1047/34950',
  snsGroupGet: 'https://www.tencentcloud.com/document/product/1047/40123',
  importMsg: 'https://cloud.tencent.com/document/product/269/2568',
  msgWithdraw: 'https://cloud.tencent.com/document/product/269/38980',
  setMsgRead: 'https://www.tencentcloud.com/document/product/1047/38996',
  modifyC2cMsg: 'https://cloud.tencent.com/document/product/269/74740',
  modifyGroupMsg: 'https://cloud.tencent.com/document/product/269/74741',
  appidGroupList: 'https://cloud.tencent.com/document/product/269/1614',
  modifyGroupBaseInfo: 'https://www.tencentcloud.com/document/product/1047/34962',
  forbidSendMsg: 'https://cloud.tencent.com/document/product/269/1627',
  groupMutedAccount: 'https://cloud.tencent.com/document/product/269/2925',
  sendGroupMsg: 'https://cloud.tencent.com/document/product/269/1629',
  groupMsgRecall: 'https://cloud.tencent.com/document/product/269/12341',
  changeGroupOwner: 'https://cloud.tencent.com/document/product/269/1633',
  importGroup: 'https://cloud.tencent.com/document/product/269/1634',
  importGroupMsg: 'https://cloud.tencent.com/document/product/269/1635',
  importGroupMember: 'https://cloud.tencent.com/document/product/269/1636',
  setUnreadMsgNum: 'https://cloud.tencent.com/document/product/269/1637',
  deleteGroupMsgBySender: 'https://cloud.tencent.com/document/product/269/2359',
  modifyPermissionGroup: 'https://cloud.tencent.com/document/product/269/103968',
  setNoSpeaking: 'https://cloud.tencent.com/document/product/269/4230',
  getNoSpeaking: 'https://cloud.tencent.com/document/product/269/4229',
  getAppInfo: 'https://www.tencentcloud.com/document/product/1047/34886',
  getHistory: 'https://www.tencentcloud.com/document/product/1047/34885',
  recentContactList: 'https://www.tencentcloud.com/document/product/1047/43087',
  recentContactGroup: 'https://trtc.io/document/53441',
  pushRest: 'https://cloud.tencent.com/document/product/269/137903',
} as const

/** `<servicename>/<command>` → its documented limit. */
export const DOCUMENTED_LIMITS: ReadonlyMap<string, DocumentedLimit> = new Map(
  (
    [
      // Accounts
      ['im_open_login_svc/account_import', 200, PAGE.accountImport],
      ['im_open_login_svc/multiaccount_import', 100, PAGE.multiaccountImport],
      ['im_open_login_svc/account_delete', 100, PAGE.accountDelete],
      ['im_open_login_svc/account_check', 100, PAGE.accountCheck],
      ['im_open_login_svc/kick', 200, PAGE.kick],
      ['openim/query_online_status', 200, PAGE.queryOnlineStatus],
      // Profiles
      ['profile/portrait_set', 200, PAGE.portraitSet],
      ['profile/portrait_get', 200, PAGE.raisable],
      // Relationship chain
      ['sns/friend_add', 200, PAGE.friendAdd],
      ['sns/friend_import', 200, PAGE.friendImport],
      ['sns/friend_update', 200, PAGE.friendUpdate],
      ['sns/friend_delete', 200, PAGE.friendDelete],
      ['sns/friend_delete_all', 200, PAGE.friendDeleteAll],
      ['sns/friend_check', 200, PAGE.friendCheck],
      ['sns/friend_get', 200, PAGE.friendGet],
      ['sns/friend_get_list', 200, PAGE.friendGetList],
      ['sns/black_list_delete', 200, PAGE.blackListDelete],
      ['sns/black_list_get', 200, PAGE.raisable],
      ['sns/black_list_check', 200, PAGE.blackListCheck],
      ['sns/group_add', 200, PAGE.snsGroupAdd],
      ['sns/group_get', 200, PAGE.snsGroupGet],
      // One-to-one messages (sendmsg sends one message a call: its 200 messages/s are 200 calls/s)
      ['openim/sendmsg', 200, PAGE.raisable],
      ['openim/importmsg', 200, PAGE.importMsg],
      ['openim/admin_msgwithdraw', 200, PAGE.msgWithdraw],
      ['openim/admin_set_msg_read', 200, PAGE.setMsgRead],
      ['openim/get_c2c_unread_msg_num', 200, PAGE.raisable],
      ['openim/modify_c2c_msg', 200, PAGE.modifyC2cMsg],
      ['openim/modify_group_msg', 200, PAGE.modifyGroupMsg],
      // Groups
      ['group_open_http_svc/get_appid_group_list', 1, PAGE.appidGroupList],
      ['group_open_http_svc/create_group', 200, PAGE.raisable],
      ['group_open_http_svc/destroy_group', 200, PAGE.raisable],
      ['group_open_http_svc/get_group_info', 200, PAGE.raisable],
      ['group_open_http_svc/get_group_member_info', 200, PAGE.raisable],
      ['group_open_http_svc/add_group_member', 200, PAGE.raisable],
      ['group_open_http_svc/delete_group_member', 200, PAGE.raisable],
      ['group_open_http_svc/get_joined_group_list', 200, PAGE.raisable],
      ['group_open_http_svc/get_role_in_group', 200, PAGE.raisable],
      ['group_open_http_svc/group_msg_get_simple', 200, PAGE.raisable],
      ['group_open_http_svc/send_group_system_notification', 200, PAGE.raisable],
      ['group_open_http_svc/modify_group_base_info', 200, PAGE.modifyGroupBaseInfo],
      ['group_open_http_svc/forbid_send_msg', 200, PAGE.forbidSendMsg],
      ['group_open_http_svc/get_group_muted_account', 200, PAGE.groupMutedAccount],
      ['group_open_http_svc/send_group_msg', 200, PAGE.sendGroupMsg],
      ['group_open_http_svc/group_msg_recall', 200, PAGE.groupMsgRecall],
      ['group_open_http_svc/change_group_owner', 200, PAGE.changeGroupOwner],
      ['group_open_http_svc/import_group', 200, PAGE.importGroup],
      ['group_open_http_svc/import_group_msg', 200, PAGE.importGroupMsg],
      ['group_open_http_svc/import_group_member', 200, PAGE.importGroupMember],
      ['group_open_http_svc/set_unread_msg_num', 200, PAGE.setUnreadMsgNum],
      ['group_open_http_svc/delete_group_msg_by_sender', 200, PAGE.deleteGroupMsgBySender],
      ['group_open_http_svc/modify_permission_group', 200, PAGE.modifyPermissionGroup],
      // Global mute, operations, conversations
      ['openconfigsvr/setnospeaking', 200, PAGE.setNoSpeaking],
      ['openconfigsvr/getnospeaking', 200, PAGE.getNoSpeaking],
      ['openconfigsvr/getappinfo', 200, PAGE.getAppInfo],
      ['open_msg_svc/get_history', 10, PAGE.getHistory],
      ['recentcontact/get_list', 200, PAGE.recentContactList],
      ['recentcontact/del_contact_group', 200, PAGE.recentContactGroup],
      // Push to all users or by tag: one a second (and a daily cap, see above)
      ['timpush/push', 1, PAGE.pushRest],
    ] as const
  ).map(([api, perSecond, source]) => [api, { perSecond, source }]),
)
