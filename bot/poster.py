"""Calls into Slack that retry: chat.postMessage, chat.postEphemeral, views.publish, response_url posts.

429 waits `Retry-After`; 5xx and connection errors back off exponentially; after the last attempt the
failure is logged and counted and the caller gets None: a failed post never takes the server down.
The client is a parameter so tests can point it at the fake Slack.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.metrics import Metrics

log = logging.getLogger("natobot.poster")

# Errors Slack returns for a payload it will not render; a text-only copy usually goes through.
_BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_attachments"})

Sleep = Callable[[float], Awaitable[None]]


class _Retryable(Exception):
    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class _Fatal(Exception):
    def __init__(self, reason: str, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


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


def _classify(exc: SlackApiError) -> _Retryable | _Fatal:
    status = int(exc.response.status_code)
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = data.get("error")
    if status == 429 or error == "ratelimited":
        return _Retryable("HTTP 429 rate limited", _retry_after(exc.response.headers) or 1.0)
    if status >= 500 or error in _TRANSIENT:
        return _Retryable(f"HTTP {status} {error or ''}".strip())
    return _Fatal(f"HTTP {status} {error or 'error'}", error=str(error) if error else None)


class Poster:
    def __init__(self, metrics: Metrics, *, attempts: int = 4, backoff: float = 0.25, max_backoff: float = 8.0,
                 max_retry_after: float = 60.0, sleep: Sleep = asyncio.sleep) -> None:
        self.metrics = metrics
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep

    def _backoff(self, attempt: int) -> float:
        base: float = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return base * random.uniform(0.8, 1.2)  # jitter so replicas do not retry in lock-step

    async def _attempts(self, what: str, op: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """Run `op` until it succeeds; raises _Fatal when it will not (not retryable, or out of attempts)."""
        reason = "unknown"
        for attempt in range(1, self.attempts + 1):
            try:
                return await op()
            except _Retryable as exc:
                reason = exc.reason
                delay = exc.delay if exc.delay is not None else self._backoff(attempt)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                reason = f"connection error: {type(exc).__name__}"
                delay = self._backoff(attempt)
            if attempt == self.attempts:
                break
            log.warning("%s failed (%s); retry %d/%d in %.2fs", what, reason, attempt, self.attempts - 1, delay)
            await self._sleep(min(delay, self.max_retry_after))
        raise _Fatal(f"{reason} after {self.attempts} attempts")

    def _gave_up(self, what: str, exc: _Fatal) -> None:
        log.error("%s failed, giving up: %s", what, exc.reason)
        self.metrics.errors.inc(kind="post")

    async def _api(self, client: AsyncWebClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
        async def op() -> dict[str, Any]:
            try:
                resp = await client.api_call(method, json=params)
            except SlackApiError as exc:
                raise _classify(exc) from None
            return dict(resp.data) if isinstance(resp.data, dict) else {"ok": True}

        return await self._attempts(method, op)

    async def call(self, client: AsyncWebClient, method: str, **params: Any) -> dict[str, Any] | None:
        """One Web API call with the retry policy; the response data, or None once it has given up."""
        try:
            return await self._api(client, method, params)
        except _Fatal as exc:
            self._gave_up(method, exc)
            return None

    async def _post(self, client: AsyncWebClient, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return await self._api(client, method, params)
        except _Fatal as exc:
            if exc.error in _BLOCK_ERRORS and "blocks" in params:
                # A payload Slack will not render is worth one plain-text try: the user still gets the answer.
                log.error("%s refused the blocks (%s); sending the text only", method, exc.error)
                return await self.call(client, method, **{k: v for k, v in params.items() if k != "blocks"})
            self._gave_up(method, exc)
            return None

    async def post_message(self, client: AsyncWebClient, *, channel: str, text: str,
                           blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None) -> str | None:
        """chat.postMessage; the new message's ts, or None. Never sets link_names."""
        params: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        if blocks is not None:
            params["blocks"] = blocks
        if thread_ts:
            params["thread_ts"] = thread_ts
        data = await self._post(client, "chat.postMessage", params)
        return str(data.get("ts") or "") or None if data else None

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
            resp = await AsyncWebhookClient(response_url, retry_handlers=[]).send_dict(payload)
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
