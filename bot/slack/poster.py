"""Calls into Slack that retry: chat.postMessage, chat.update, chat.postEphemeral, views.publish, response_url.

Every call is bounded (CALL_TIMEOUT_S); 429 waits `Retry-After`; 5xx, timeouts and connection errors back off
exponentially with jitter, until the time budget (BUDGET_S) is spent. Then the failure is logged with the
channel and the work it belongs to, counted, and the caller gets None: a failed post never takes the server
down, and the job it belongs to is put off and tried again later (bot.slack.work), not lost.
The client is a parameter so tests can point it at the fake Slack.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urljoin

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.metrics import Metrics
from bot.store.jobs import current_job

log = logging.getLogger("natobot.poster")

# Errors Slack returns for a payload it will not render; a text-only copy usually goes through.
_BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_attachments"})

Sleep = Callable[[float], Awaitable[None]]
# Looks in Slack for what a failed call may have done after all (the message it may have posted).
Lookup = Callable[[], Awaitable["dict[str, Any] | None"]]


class _Retryable(Exception):
    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class _Fatal(Exception):
    def __init__(self, reason: str, error: str | None = None, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error
        self.transient = transient  # Slack could not be reached in time: worth another go later


def _describe(method: str, params: Mapping[str, Any]) -> str:
    """`chat.postMessage to C123`: the method and, when there is one, the channel, for log lines."""
    channel = params.get("channel") or params.get("user_id")
    return f"{method} to {str(channel)[:64]}" if channel else method


# ok:false errors that are Slack's own trouble, worth another try.
_TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if str(key).lower() == name.lower():
            return str(value[0] if isinstance(value, list | tuple) and value else value)
    return None


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    raw = _header(headers, "Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def classify(exc: SlackApiError) -> _Retryable | _Fatal:
    status = int(exc.response.status_code)
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = data.get("error")
    if status == 429 or error == "ratelimited":
        return _Retryable("HTTP 429 rate limited", _retry_after(exc.response.headers) or 1.0)
    if status >= 500 or error in _TRANSIENT:
        return _Retryable(f"HTTP {status} {error or ''}".strip())
    return _Fatal(f"HTTP {status} {error or 'error'}", error=str(error) if error else None)


_classify = classify  # the name before bot.digest.send shared it


def _direct(client: AsyncWebClient) -> aiohttp.ClientSession | None:
    """The client's own aiohttp session, when a call may go through it as a plain JSON POST.

    slack_sdk spends more on a call (headers and user agent built afresh, debug logging, a response object)
    than the POST itself; a client with its own session and no proxy or TLS settings gets the same request
    (token, headers, default parameters such as team_id) from `_post_json`. Any other goes through slack_sdk.
    """
    session = getattr(client, "session", None)
    if not isinstance(session, aiohttp.ClientSession) or session.closed or not client.token:
        return None
    if getattr(client, "proxy", None) or getattr(client, "ssl", None):
        return None
    return session


async def _post_json(session: aiohttp.ClientSession, client: AsyncWebClient, method: str,
                     params: dict[str, Any]) -> dict[str, Any]:
    """One Web API call as a JSON POST; Slack's answer sorted as `_classify` sorts slack_sdk's errors."""
    headers = {**(client.headers or {}), "Authorization": f"Bearer {client.token}",
               "Content-Type": "application/json;charset=utf-8"}
    body = {**(client.default_params or {}), **params}  # as slack_sdk does: team_id and the like, unless given
    async with session.post(urljoin(client.base_url, method), data=json.dumps(body), headers=headers) as resp:
        status = resp.status
        if status == 429:
            raise _Retryable("HTTP 429 rate limited", _retry_after(resp.headers) or 1.0)
        raw = await resp.read()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    error = data.get("error")
    if error == "ratelimited":
        raise _Retryable("HTTP 429 rate limited", 1.0)
    if status >= 500 or error in _TRANSIENT:
        raise _Retryable(f"HTTP {status} {error or ''}".strip())
    if status != 200 or not data.get("ok"):
        raise _Fatal(f"HTTP {status} {error or 'error'}", error=str(error) if error else None)
    return data


# Each Web API call gets this long before it counts as failed (the shared aiohttp session has the same total).
CALL_TIMEOUT_S = 10.0
# Retries of one call stop once this much time has gone: enough to ride out a Slack blip of 10-20 s (a few
# 5xx, a run of 429s, refused connections) yet short enough that a worker slot is back within a minute. The
# work itself is not lost when this runs out: bot.slack.work puts the job off and tries it again later.
BUDGET_S = 30.0


class Poster:
    def __init__(self, metrics: Metrics, *, attempts: int | None = None, backoff: float = 0.25,
                 max_backoff: float = 8.0, max_retry_after: float = 60.0, budget: float = BUDGET_S,
                 call_timeout: float = CALL_TIMEOUT_S, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.metrics = metrics
        self.attempts = attempts  # None: as many as fit in the budget
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.budget = budget
        self.call_timeout = call_timeout
        self._sleep = sleep
        self._clock = clock

    def _backoff(self, attempt: int) -> float:
        base: float = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return base * random.uniform(0.8, 1.2)  # jitter so replicas do not retry in lock-step

    async def _attempts(self, what: str, op: Callable[[], Awaitable[dict[str, Any]]],
                        already: Lookup | None = None) -> dict[str, Any]:
        """Run `op` until it succeeds; raises _Fatal when it will not (not retryable, or out of budget).

        After a failure that leaves it unknown whether Slack acted (a timeout, a dropped connection, a 5xx),
        `already` is asked before trying again; what it finds is taken as the result.
        """
        reason = "unknown"
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            ambiguous = True
            try:
                async with asyncio.timeout(self.call_timeout):
                    return await op()
            except _Retryable as exc:
                reason, ambiguous = exc.reason, exc.delay is None  # a 429 did nothing; a 5xx may have
                delay = exc.delay if exc.delay is not None else self._backoff(attempt)
            except TimeoutError:
                reason, delay = f"no answer in {self.call_timeout:g}s", self._backoff(attempt)
            except (aiohttp.ClientError, OSError) as exc:
                reason, delay = f"connection error: {type(exc).__name__}", self._backoff(attempt)
            delay = min(delay, self.max_retry_after)
            spent = self._clock() - started
            if (self.attempts is not None and attempt >= self.attempts) or spent + delay > self.budget:
                break
            log.warning("%s failed (%s); retry %d in %.2fs", what, reason, attempt, delay)
            await self._sleep(delay)
            if ambiguous and already is not None:
                found = await already()
                if found is not None:
                    log.info("%s had gone through before the error; not sent again", what)
                    return found
        raise _Fatal(f"{reason}, after {attempt} attempt(s) in {self._clock() - started:.1f}s", transient=True)

    def _gave_up(self, what: str, exc: _Fatal) -> None:
        job = current_job.get()
        if job is not None and exc.transient:
            job.retry_later = True  # bot.slack.work puts the job off: the answer is not lost
        log.error("%s failed, giving up: %s%s", what, exc.reason, f" ({job.where})" if job is not None else "")
        self.metrics.errors.inc(kind="post")

    async def _api(self, client: AsyncWebClient, method: str, params: dict[str, Any],
                   already: Lookup | None = None) -> dict[str, Any]:
        direct = _direct(client)

        async def op() -> dict[str, Any]:
            if direct is not None:
                return await _post_json(direct, client, method, params)
            try:
                resp = await client.api_call(method, json=params)
            except SlackApiError as exc:
                raise classify(exc) from None
            return dict(resp.data) if isinstance(resp.data, dict) else {"ok": True}

        return await self._attempts(_describe(method, params), op, already)

    async def call(self, client: AsyncWebClient, method: str, **params: Any) -> dict[str, Any] | None:
        """One Web API call with the retry policy; the response data, or None once it has given up."""
        try:
            return await self._api(client, method, params)
        except _Fatal as exc:
            self._gave_up(_describe(method, params), exc)
            return None

    async def _post(self, client: AsyncWebClient, method: str, params: dict[str, Any],
                    already: Lookup | None = None) -> dict[str, Any] | None:
        try:
            return await self._api(client, method, params, already)
        except _Fatal as exc:
            if exc.error in _BLOCK_ERRORS and "blocks" in params:
                # A payload Slack will not render is worth one plain-text try: the user still gets the answer.
                log.error("%s refused the blocks (%s); sending the text only", method, exc.error)
                return await self.call(client, method, **{k: v for k, v in params.items() if k != "blocks"})
            self._gave_up(_describe(method, params), exc)
            return None

    async def post_message(self, client: AsyncWebClient, *, channel: str, text: str,
                           blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None,
                           metadata: dict[str, Any] | None = None, already: Lookup | None = None) -> str | None:
        """chat.postMessage; the new message's ts, or None. Never sets link_names.

        `metadata` (Slack message metadata) names the work the message answers, so `already` can find it.
        """
        params: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        if blocks is not None:
            params["blocks"] = blocks
        if thread_ts:
            params["thread_ts"] = thread_ts
        if metadata is not None:
            params["metadata"] = metadata
        data = await self._post(client, "chat.postMessage", params, already)
        return str(data.get("ts") or "") or None if data else None

    async def update_message(self, client: AsyncWebClient, *, channel: str, ts: str, text: str,
                             blocks: list[dict[str, Any]] | None = None,
                             metadata: dict[str, Any] | None = None) -> str | None:
        """chat.update of a message natobot posted (an apology replaced by the answer); its ts, or None."""
        params: dict[str, Any] = {"channel": channel, "ts": ts, "text": text, "blocks": blocks or []}
        if metadata is not None:
            params["metadata"] = metadata
        data = await self._post(client, "chat.update", params)
        return ts if data else None

    async def post_ephemeral(self, client: AsyncWebClient, *, channel: str, user: str, text: str,
                             blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None) -> bool:
        params: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks is not None:
            params["blocks"] = blocks
        if thread_ts:
            params["thread_ts"] = thread_ts
        return await self._post(client, "chat.postEphemeral", params) is not None

    async def publish_view(self, client: AsyncWebClient, *, user_id: str, view: dict[str, Any]) -> bool:
        return await self.call(client, "views.publish", user_id=user_id, view=view) is not None

    async def respond(self, response_url: str, payload: dict[str, Any]) -> bool:
        """POST to a slash command's or an action's response_url, with the same retry policy."""

        async def op() -> dict[str, Any]:
            webhook = AsyncWebhookClient(response_url, timeout=int(self.call_timeout) or 1, retry_handlers=[])
            resp = await webhook.send_dict(payload)
            if resp.status_code == 429:
                raise _Retryable("HTTP 429 rate limited", _retry_after(resp.headers))
            if resp.status_code >= 500:
                raise _Retryable(f"HTTP {resp.status_code}")
            if resp.status_code != 200:
                raise _Fatal(f"HTTP {resp.status_code} {resp.body[:100]}")
            return {"ok": True}

        try:
            await self._attempts("response_url", op)
        except _Fatal as exc:
            self._gave_up("response_url", exc)
            return False
        return True
