"""Authenticate first: Slack's signature is checked on the raw bytes before anything is parsed.

`middleware()` applies it as aiohttp middleware on the events route, in front of Bolt's aiohttp adapter:

    unsigned, badly signed, stale or from the future  -> 401  (nothing parsed, nothing logged but one line)
    signed, but not a body Slack sends                -> 400  (bad JSON, not an object, bad UTF-8, too deep,
                                                               an `event` or `actions` of the wrong shape)
    over the 1 MB body cap                            -> 413  (not read into memory)
    signed and well formed                            -> handed to Bolt

Nothing a request can send makes a 500. Log lines about refused requests never include the body, and every
value in them is cut short and has its line breaks escaped (bot.logsafe).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.slack.metrics import Counter

log = logging.getLogger("natobot.http_guard")

# Slack's own rule: a request more than five minutes away from our clock is refused (replays).
MAX_SKEW_S = 5 * 60
# Unix seconds have 10 digits until the year 2286; a longer "number" is not a timestamp.
MAX_TIMESTAMP_DIGITS = 12
# Slack's payloads nest a dozen levels at most (blocks inside a message inside an event).
MAX_DEPTH = 64


@dataclass(frozen=True)
class Refusal:
    status: int  # 401 or 400
    reason: str  # for the log and the response body: short, fixed wording, never the input


def verify(raw: bytes, timestamp: str | None, signature: str | None, secret: str, *,
           now: float | None = None) -> Refusal | None:
    """None when `raw` carries Slack's v0 signature made with `secret` within the last five minutes."""
    if not secret:
        return Refusal(401, "no signing secret configured")
    if not timestamp or not signature:
        return Refusal(401, "unsigned")
    if len(timestamp) > MAX_TIMESTAMP_DIGITS or not timestamp.isascii() or not timestamp.isdigit():
        return Refusal(401, "bad timestamp")
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW_S:
        return Refusal(401, "stale timestamp")
    # Not slack_sdk's SignatureVerifier: it decodes the body as UTF-8 (a body that is not raises
    # UnicodeDecodeError) and compares str (a non-ASCII signature header raises TypeError), both a 500 here.
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return Refusal(401, "bad signature")
    return None


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply `value` nests, counting no further than `limit` (iterative: no recursion to blow)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or _depth(value) > MAX_DEPTH:
        return None
    return value


def _shape_problem(body: dict[str, Any]) -> str | None:
    """What in a parsed body Slack would never send (and Bolt would trip over), or None."""
    if "event" in body and not isinstance(body["event"], dict):
        return "event is not an object"
    event = body.get("event")
    if isinstance(event, dict) and not isinstance(event.get("type", ""), str):
        return "event type is not a string"
    if "actions" in body and not (isinstance(body["actions"], list)
                                  and all(isinstance(a, dict) for a in body["actions"])):
        return "actions is not a list of objects"
    for key in ("user", "team", "channel", "container", "message", "view", "enterprise"):
        if key in body and body[key] is not None and not isinstance(body[key], dict | str):
            return f"{key} has the wrong type"
    if not isinstance(body.get("type", ""), str):
        return "type is not a string"
    return None


def parse(raw: bytes, content_type: str) -> tuple[dict[str, Any] | None, Refusal | None]:
    """A signed body as the dict Bolt will see (for checking its shape), or a 400 Refusal."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, Refusal(400, "body is not UTF-8")
    if content_type.startswith("application/json"):
        body = _json_object(text)
        if body is None:
            return None, Refusal(400, "body is not a JSON object")
    else:
        fields = parse_qs(text, keep_blank_values=True)
        body = {k: v[0] for k, v in fields.items()}
        if "payload" in body:
            payload = _json_object(body["payload"])
            if payload is None:
                return None, Refusal(400, "payload is not a JSON object")
            body = payload
    problem = _shape_problem(body)
    if problem is not None:
        return None, Refusal(400, problem)
    return body, None


def _refuse(request: web.Request, refusal: Refusal, size: int, rejected: Counter) -> web.Response:
    rejected.inc()
    # One line, fixed wording, no body: nobody has said who sent this yet.
    log.info("refused a request from %s: %s (%d bytes)", request.remote, refusal.reason, size)
    return web.Response(status=refusal.status, text="invalid request" if refusal.status == 401 else "bad request")


async def _check(request: web.Request, secret: str) -> tuple[Refusal | None, int]:
    """The refusal for this request, if any, and the size of its body (for the log line)."""
    try:
        # aiohttp keeps the bytes: the handler behind reads them again from memory, not from the socket.
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:  # over the application's client_max_size: never read into memory
        return Refusal(413, "body over 1 MB"), request.content_length or 0
    refusal = verify(raw, request.headers.get("X-Slack-Request-Timestamp"),
                     request.headers.get("X-Slack-Signature"), secret)
    if refusal is None:
        _body, refusal = parse(raw, request.headers.get("Content-Type", ""))
    return refusal, len(raw)


def middleware(path: str, secret: str, rejected: Counter) -> Middleware:
    """aiohttp middleware for POST `path`: the handler behind it sees only signed, well-formed bodies.

    A signed body the checks above did not foresee can still make Bolt raise, or answer 500 (a listener or
    middleware raised on it): that was its shape, so it is a 400 too. 503 passes: shed, Slack sends it again.
    """

    @web.middleware
    async def slack_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        refusal, size = await _check(request, secret)
        if refusal is not None:
            return _refuse(request, refusal, size, rejected)
        try:
            response = await handler(request)
        except Exception as exc:
            log.warning("a signed request could not be handled: %s", type(exc).__name__)
            return _refuse(request, Refusal(400, "unexpected shape"), size, rejected)
        if response.status == 401:
            rejected.inc()
        elif response.status >= 500 and response.status != 503:
            log.warning("a signed request made a handler fail; answered 400")
            return web.Response(status=400, text="bad request")
        return response

    return slack_guard
