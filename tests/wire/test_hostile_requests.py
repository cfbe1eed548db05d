"""Hostile requests against a real `natobot serve` process: 401 before authentication, 400 after, never a 500.

The process's own log is read afterwards: no request body, and no line a body could have forged.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import slack_signing as sig
from fakeslack import FakeSlack

from benchmarks.load import start_serve
from benchmarks.slack_rig import SECRET
from bot.slack.app import MAX_LOG_CHARS

MARK = "HOSTILE-BODY-MARK"
FORGED = "ERROR natobot.server: FORGED LOG LINE"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _mention(**event: Any) -> bytes:
    return sig.json_body(sig.event_callback({**sig.app_mention_event(f"{MARK} who heads the IMS?"), **event}))


def _payload(payload: Any) -> bytes:
    return sig.form_body({"payload": payload if isinstance(payload, str) else json.dumps(payload)})


def _actions(actions: Any) -> bytes:
    return _payload({**sig.block_actions("natobot_ask_0", MARK), "actions": actions})


DEEP = b"[" * 100_000 + b"]" * 100_000
NESTED = json.dumps({"type": "event_callback", "event": json.loads("[" * 200 + "1" + "]" * 200)}).encode()
BIG = (f"{MARK}\n{FORGED}\n" * 40_000).encode()[: 1024 * 1024 - 100]

# (name, body, content type, how it is signed, expected status). Signing: "none", "bad", "good", or headers.
UNSIGNED: list[tuple[str, bytes, str, Any]] = [
    ("no signature", _mention(), JSON, "none"),
    ("wrong secret", _mention(), JSON, "bad"),
    ("malformed JSON", b'{"type": "event_callback", ' + MARK.encode(), JSON, "bad"),
    ("a JSON array", b'["' + MARK.encode() + b'"]', JSON, "bad"),
    ("invalid UTF-8", b'{"type": "\xff\xfe' + MARK.encode() + b'"}', JSON, "bad"),
    ("deeply nested JSON", DEEP, JSON, "bad"),
    ("bad payload=", b"payload=%7Bnot-json" + MARK.encode(), FORM, "bad"),
    ("5000-digit timestamp", _mention(), JSON, {"X-Slack-Request-Timestamp": "9" * 5000}),
    ("negative timestamp", _mention(), JSON, {"X-Slack-Request-Timestamp": "-1"}),
    ("non-ASCII digits", _mention(), JSON, {"X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠"}),
    ("stale", _mention(), JSON, {"stale": 600}),
    ("from the future", _mention(), JSON, {"stale": -600}),
    ("signature not hex", _mention(), JSON, {"X-Slack-Signature": "v0=ä" + "z" * 63}),
    ("1 MB body with line breaks", BIG, JSON, "bad"),
    ("empty body", b"", JSON, "none"),
]
SIGNED_MALFORMED: list[tuple[str, bytes, str]] = [
    ("malformed JSON", b'{"type": "event_callback", ' + MARK.encode(), JSON),
    ("a JSON array", b'["' + MARK.encode() + b'"]', JSON),
    ("a JSON string", json.dumps(MARK).encode(), JSON),
    ("invalid UTF-8", b'{"type": "\xff\xfe"}', JSON),
    ("deeply nested JSON", DEEP, JSON),
    ("nested past any Slack payload", NESTED, JSON),
    ("empty JSON body", b"", JSON),
    ("event is a string", json.dumps({"type": "event_callback", "event": MARK, "event_id": "Ev1"}).encode(), JSON),
    ("event is a list", json.dumps({"type": "event_callback", "event": [MARK]}).encode(), JSON),
    ("event type is a number", _mention(type=7), JSON),
    ("type is an object", json.dumps({"type": {"x": MARK}}).encode(), JSON),
    ("actions is a string", _actions(MARK), FORM),
    ("actions holds a string", _actions([MARK]), FORM),
    ("payload is not JSON", b"payload=" + MARK.encode(), FORM),
    ("payload is a JSON array", _payload([MARK]), FORM),
    ("team is a list", _payload({**sig.block_actions("natobot_ask_0", MARK), "team": [MARK]}), FORM),
    ("user is a number", _payload({**sig.block_actions("natobot_ask_0", MARK), "user": 5}), FORM),
]


def _headers(body: bytes, content_type: str, signing: Any) -> dict[str, str]:
    if signing == "none":
        return {"Content-Type": content_type}
    secret = "not-the-secret" if signing == "bad" else SECRET
    timestamp = None
    if isinstance(signing, dict) and "stale" in signing:
        timestamp = int(time.time()) - int(signing["stale"])
    headers = {"Content-Type": content_type, **sig.sign(body, secret, timestamp)}
    if isinstance(signing, dict):
        headers.update({k: v for k, v in signing.items() if k != "stale"})
    return headers


async def test_hostile_requests_get_401_or_400_and_never_reach_the_log(fake: FakeSlack, tmp_path: Path) -> None:
    serve = await start_serve(fake.url, tmp_path, log_level="DEBUG")
    results: dict[str, int] = {}
    expected: dict[str, int] = {}
    try:
        async with aiohttp.ClientSession() as http:
            cases = [(f"unsigned: {n}", b, t, s, 401) for n, b, t, s in UNSIGNED]
            cases += [(f"signed: {n}", b, t, "good", 400) for n, b, t in SIGNED_MALFORMED]
            for name, body, content_type, signing, status in cases:
                async with http.post(serve.url + "/slack/events", data=body,
                                     headers=_headers(body, content_type, signing)) as resp:
                    results[name] = resp.status
                expected[name] = status
            # Over the 1 MB cap: refused as too large, never read into memory, still not a 500.
            over = b"x" * (1024 * 1024 + 1)
            async with http.post(serve.url + "/slack/events", data=over, headers=_headers(over, JSON, "none")) as r:
                results["over 1 MB"], expected["over 1 MB"] = r.status, 413
            # And the server still answers a real question afterwards.
            good = sig.json_body(sig.event_callback(sig.app_mention_event("who heads the IMS?")))
            async with http.post(serve.url + "/slack/events", data=good, headers=_headers(good, JSON, "good")) as r:
                results["a real question"], expected["a real question"] = r.status, 200
        await fake.wait_for("chat.postMessage")
    finally:
        code = await serve.stop()
    assert results == expected
    assert code == 0
    log = "\n".join(serve.stderr)
    assert MARK not in log and "FORGED" not in log
    assert "Traceback" not in log
    assert all(len(line) < MAX_LOG_CHARS + 200 for line in serve.stderr)
    assert len(log) < 100_000  # a few lines per request, not their bodies
    refused = [line for line in serve.stderr if "refused a request" in line]
    assert len(refused) == len(UNSIGNED) + len(SIGNED_MALFORMED) + 1
