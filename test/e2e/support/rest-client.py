"""Calls Tencent Chat's REST API the way an app does, with Tencent's Python client
(tencentcloud-sdk-python-im), pointed at the exporter's REST meter instead of Chat.

argv[1] is a JSON plan: {"url": "<meter>/v4", "sdkappid": 1400000001, "admin": "administrator",
"key": "<the app's secret key>", "steps": [{"api": "openim/sendmsg", "count": 3, "wrongKey": false}]}.
Prints one JSON line: every call's API, HTTP status and ErrorCode, in order.
"""
import json
import sys

from tencentcloud_im.tcim_client import BatchMessageObj, MessageObj, MessageText, TCIMClient

plan = json.loads(sys.argv[1])


def client(key):
    return TCIMClient(plan["sdkappid"], key, plan["admin"], tencent_url=plan["url"])


# One method of the client per API the plan may name.
CALLS = {
    "openim/sendmsg": lambda c: c.send_message(
        MessageObj(plan["admin"], "user-1", text_messages=[MessageText("hello")])
    ),
    "openim/batchsendmsg": lambda c: c.batch_send_message(
        BatchMessageObj(plan["admin"], ["user-1", "user-2"], text_messages=[MessageText("hello all")])
    ),
    "openim/query_online_status": lambda c: c.check_user_online(["user-1", "user-2"]),
    "group_open_http_svc/get_appid_group_list": lambda c: c.get_group(limit_nm=10),
}

good = client(plan["key"])
# Signed with another key: Chat answers 70009, as for an app whose secret key was rotated.
wrong = client(plan["key"] + "-rotated")
results = []
for step in plan["steps"]:
    caller = wrong if step.get("wrongKey") else good
    for _ in range(step["count"]):
        response = CALLS[step["api"]](caller)
        if response is None:
            results.append({"api": step["api"], "status": None, "errorCode": None})
            continue
        try:
            error_code = response.json().get("ErrorCode")
        except ValueError:
            error_code = None
        results.append({"api": step["api"], "status": response.status_code, "errorCode": error_code})
print(json.dumps(results))
