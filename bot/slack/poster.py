"""Calls into Slack that retry: chat.postMessage, chat.update, chat.postEphemeral, views.publish, response_url.

Every call goes through slack_sdk (AsyncWebClient, AsyncWebhookClient) with the retry handlers of
bot.slack.retry: 429 waits `Retry-After`; 5xx, timeouts and connection errors back off exponentially with
jitter, until the time budget (BUDGET_S) is spent. Then the failure is logged with the channel and the work it
belongs to, counted, and the caller gets None: a failed post never takes the server down, and the job it
belongs to is put off and tried again later (bot.slack.work), not lost.
The client is a parameter so tests can point it at the fake Slack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import retry
from bot.slack.metrics import Metrics
from bot.slack.retry import TRANSIENT, AlreadyDone, Lookup, Policy, Sleep
from bot.store.jobs import current_job

log = logging.getLogger("natobot.poster")

# Errors Slack returns for a payload it will not render; a text-only copy usually goes through.
_BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_attachments"})


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


def classify(status: int, error: str | None) -> tuple[str, bool]:
    """What a failed answer says, and whether it is worth another go later (Slack's trouble, not ours)."""
    if status == 429 or error == "ratelimited":
        return "HTTP 429 rate limited", True
    if status >= 500 or error in TRANSIENT:
        return f"HTTP {status} {error or ''}".strip(), True
    return f"HTTP {status} {error or 'error'}", False


# Each attempt gets this long before it counts as failed: the shared aiohttp session's total (server.py), or
# the client's own timeout for a client without a session. slack_sdk's retry loop cannot bound one attempt
# itself, so the Poster bounds the whole call at the budget plus one attempt.
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
        self.handlers = retry.handlers()

    def _policy(self, what: str, already: Lookup | None = None) -> Policy:
        return Policy(what=what, budget=self.budget, backoff=self.backoff, max_backoff=self.max_backoff,
                      max_retry_after=self.max_retry_after, attempts=self.attempts, sleep=self._sleep,
                      clock=self._clock, already=already, started=self._clock())

    def _limit(self) -> float:
        """The whole call's bound: one attempt, or the budget plus one attempt when it may retry."""
        return self.call_timeout if self.attempts == 1 else self.budget + self.call_timeout

    async def _run(self, policy: Policy, send: Callable[[], Any]) -> Any:
        """`send()` under `policy`; raises _Fatal (transient) when Slack could not be reached in time."""
        token = retry.active.set(policy)
        try:
            async with asyncio.timeout(self._limit()):
                return await send()
        except TimeoutError:
            policy.reason = "no answer in time"
        except (aiohttp.ClientError, OSError) as exc:
            policy.reason = f"connection error: {type(exc).__name__}"
        finally:
            retry.active.reset(token)
        raise _Fatal(self._after(policy, policy.reason), transient=True)

    def _after(self, policy: Policy, reason: str) -> str:
        return f"{reason}, after {policy.attempt} attempt(s) in {self._clock() - policy.started:.1f}s"

    def _gave_up(self, what: str, exc: _Fatal) -> None:
        job = current_job.get()
        if job is not None and exc.transient:
            job.retry_later = True  # bot.slack.work puts the job off: the answer is not lost
        log.error("%s failed, giving up: %s%s", what, exc.reason, f" ({job.where})" if job is not None else "")
        self.metrics.errors.inc(kind="post")

    async def _api(self, client: AsyncWebClient, method: str, params: dict[str, Any],
                   already: Lookup | None = None) -> dict[str, Any]:
        if not retry.carries(client.retry_handlers):
            # A client made elsewhere (a test, a benchmark) gets the policy too (make_client's has it already),
            # in place of slack_sdk's defaults, which would add a retry of their own past the budget.
            client.retry_handlers = list(self.handlers)
        policy = self._policy(_describe(method, params), already)
        try:
            resp = await self._run(policy, lambda: client.api_call(method, json=params))
        except AlreadyDone as done:
            log.info("%s had gone through before the error; not sent again", policy.what)
            return done.found
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            error = str(data["error"]) if data.get("error") else None
            reason, transient = classify(int(exc.response.status_code), error)
            raise _Fatal(self._after(policy, reason) if transient else reason, error=error,
                         transient=transient) from None
        return dict(resp.data) if isinstance(resp.data, dict) else {"ok": True}

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
        policy = self._policy("response_url")
        webhook = AsyncWebhookClient(response_url, timeout=int(self.call_timeout) or 1, retry_handlers=self.handlers)
        try:
            resp = await self._run(policy, lambda: webhook.send_dict(payload))
            if resp.status_code != 200:
                reason, transient = classify(resp.status_code, None)
                raise _Fatal(self._after(policy, reason) if transient else f"HTTP {resp.status_code} {resp.body[:100]}",
                             transient=transient)
        except _Fatal as exc:
            self._gave_up("response_url", exc)
            return False
        return True
