"""Drives Chat's REST API with the real Python client (tencentcloud-sdk-python-im's TCIMClient), pointed
at the REST meter, and prints what each call sent and got back, for test/rest-meter.

Reads a scenario as JSON on standard input:

  {"url": "http://127.0.0.1:<EGRESS_PORT>/v4", "sdkappid": 1400000001, "key": "<app key>",
   "admin": "<identifier>",
   "steps": [{"method": "send_message", "calls": 12, "concurrent": true, "expire_time": 86400}, ...]}

Each step starts just after a whole second of the clock (so that a test can tell which second each call
fell in) with a client of its own (`expire_time` is its UserSig's validity in seconds: a negative one
makes an expired UserSig), and makes `calls` calls of `method`, one after the other or, when
`concurrent`, all at once from as many threads. Prints one JSON document:

  {"python": "3.11.7", "client": "0.9.4",
   "steps": [{"method": ..., "calls": [{"sent_ms", "answered_ms", "status", "content_encoding",
                                        "body_base64", "path", "raw_query", "query": {...}, "error"}, ...]}, ...]}

`raw_query` is the query the client sent, `query` its parameters (usersig and random included), `body_base64` the answer's body
as the client received it (requests undoes a Content-Encoding; the meter's tests have Chat answer
uncompressed to the Python client).
"""

import base64
import json
import sys
import threading
import time
from importlib.metadata import version
from urllib.parse import parse_qs, urlsplit

from tencentcloud_im.tcim_client import MessageObj, MessageText, TCIMClient

# Leave room before the end of a second for the calls of a step; start a little after its beginning.
START_AFTER_WHOLE_SECOND_S = 0.015


def call(client, method, index):
    """One call of `method` as an app makes it, with arguments that differ per call."""
    user = "meter-user-%d" % index
    if method == "add_single_user":
        return client.add_single_user(user, "Nick %d" % index, "https://example.invalid/%d.png" % index)
    if method == "check_user_online":
        return client.check_user_online([user, "meter-user-other"])
    if method == "send_message":
        text = MessageText("hello %d, \u4f60\u597d \"quoted\" \\ back" % index)
        return client.send_message(MessageObj("meter-sender", user, text_messages=[text]))
    if method == "get_group":
        return client.get_group(limit_nm=10, next_num=index)
    if method == "search_user":
        return client.search_user([user])
    if method == "get_friends":
        return client.get_friends(user, start_index=index)
    raise ValueError("unknown method %r" % method)


def wait_for_next_second():
    now = time.time()
    time.sleep(int(now) + 1 + START_AFTER_WHOLE_SECOND_S - now)


def timed_call(client, method, index):
    sent_ms = time.time() * 1000
    response = call(client, method, index)
    answered_ms = time.time() * 1000
    if response is None:
        # The client logs the exception to standard error and returns None.
        return {"sent_ms": sent_ms, "answered_ms": answered_ms, "error": "the client got no answer"}
    url = urlsplit(response.request.url)
    return {
        "sent_ms": sent_ms,
        "answered_ms": answered_ms,
        "status": response.status_code,
        "content_encoding": response.headers.get("Content-Encoding"),
        "body_base64": base64.b64encode(response.content).decode("ascii"),
        "path": url.path,
        "raw_query": url.query,
        "query": {name: values[0] for name, values in parse_qs(url.query).items()},
    }


def run_step(scenario, step):
    client = TCIMClient(
        scenario["sdkappid"],
        scenario["key"],
        scenario["admin"],
        tencent_url=scenario["url"],
        expire_time=step.get("expire_time", 86400),
    )
    method = step["method"]
    count = step["calls"]
    results = [None] * count
    if not step.get("concurrent", False):
        wait_for_next_second()
        for index in range(count):
            results[index] = timed_call(client, method, index)
        return {"method": method, "calls": results}

    go = threading.Event()

    def worker(index):
        go.wait()
        results[index] = timed_call(client, method, index)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    wait_for_next_second()
    go.set()
    for thread in threads:
        thread.join()
    return {"method": method, "calls": results}


def main():
    scenario = json.load(sys.stdin)
    steps = [run_step(scenario, step) for step in scenario["steps"]]
    json.dump(
        {
            "python": "%d.%d.%d" % sys.version_info[:3],
            "client": version("tencentcloud-sdk-python-im"),
            "steps": steps,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
