"""The retry policy of natobot's Slack calls, as slack_sdk retry handlers (subclassed where they fall short).

slack_sdk's AsyncRateLimitErrorRetryHandler, AsyncServerErrorRetryHandler and AsyncConnectionErrorRetryHandler
do the retrying inside AsyncWebClient and AsyncWebhookClient. The subclasses here add what natobot needs and
the originals (slack_sdk 3.48) lack:
- Retry-After read as RFC 9110 allows: delta-seconds, fractional seconds, an HTTP-date, or missing (1 s);
  slack_sdk does `int(value)`, so "1.5" or a date raises ValueError out of the client instead of retrying;
- a wait capped (max_retry_after) and an overall time budget: slack_sdk only counts attempts;
- 5xx beyond 500/503 (502, 504) and ok:false errors that are Slack's own trouble (internal_error, ...);
- timeouts and any aiohttp client error count as connection errors;
- an injected sleep and clock, so tests need not wait;
- after a failure that may have gone through (5xx, timeout, dropped connection), a look in Slack for what it
  did before sending again (the exactly-once check of bot.slack.replies).
The policy of one call (budget, backoff, the look-up) comes from the Poster through `active`, a context
variable: one set of handlers serves every client and Poster. Outside a Poster call they never retry, as the
client did before (retry_handlers=[]): callers such as the look-ups have their own fallback.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger("natobot.poster")

Sleep = Callable[[float], Awaitable[None]]
# Looks in Slack for what a failed call may have done after all (the message it may have posted).
Lookup = Callable[[], Awaitable["dict[str, Any] | None"]]

# ok:false errors that are Slack's own trouble, worth another try.
TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
# A 429 without a usable Retry-After waits this long: Slack's tier limits are per minute, a second is enough
# for a burst to pass and short enough not to stall a reply.
DEFAULT_RETRY_AFTER_S = 1.0


@dataclass
class Policy:
    """One call's retry policy and what has happened to it so far (read by the handlers)."""

    what: str
    budget: float
    backoff: float
    max_backoff: float
    max_retry_after: float
    attempts: int | None  # None: as many as fit in the budget
    sleep: Sleep
    clock: Callable[[], float]
    already: Lookup | None = None
    started: float = 0.0
    attempt: int = 1
    reason: str = "unknown"
    found: dict[str, Any] | None = field(default=None)

    def backoff_s(self) -> float:
        base: float = min(self.max_backoff, self.backoff * 2 ** (self.attempt - 1))
        return base * random.uniform(0.8, 1.2)  # jitter so replicas do not retry in lock-step

    def allows(self, delay: float) -> bool:
        if self.attempts is not None and self.attempt >= self.attempts:
            return False
        return self.clock() - self.started + delay <= self.budget


active: ContextVar[Policy | None] = ContextVar("natobot_retry_policy", default=None)


class AlreadyDone(Exception):
    """Raised out of the client when the look-up found that a failed call had gone through after all."""

    def __init__(self, found: dict[str, Any]) -> None:
        super().__init__("already done")
        self.found = found


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds, fractional, or HTTP-date); None if unusable."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None  # HTTP-dates are GMT; a date without a zone is not one
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _header(response: HttpResponse | None, name: str) -> str | None:
    for key, values in (response.headers if response is not None else {}).items():
        if key.lower() == name.lower():
            value = values[0] if isinstance(values, list) and values else values
            return str(value)
    return None


def _error(response: HttpResponse | None) -> str | None:
    body = response.body if response is not None else None
    return str(body.get("error")) if isinstance(body, dict) and body.get("error") else None


class _Budgeted(AsyncRetryHandler):
    """Retries while the active Policy allows: attempts left and the wait fits in the budget."""

    ambiguous = True  # a failure that may have gone through: look before sending again

    def delay(self, policy: Policy, response: HttpResponse | None) -> float:
        return policy.backoff_s()

    def reason(self, response: HttpResponse | None, error: Exception | None) -> str:
        if error is not None:
            return f"connection error: {type(error).__name__}"
        status = response.status_code if response is not None else 0
        return f"HTTP {status} {_error(response) or ''}".strip()

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        policy = active.get()
        if isinstance(error, AlreadyDone):
            return False  # slack_sdk asks again with the earlier (failed) response still at hand
        if policy is None or not await self._can_retry_async(state=state, request=request, response=response,
                                                             error=error):
            return False
        policy.reason = self.reason(response, error)
        delay = min(self.delay(policy, response), policy.max_retry_after)
        if not policy.allows(delay):
            return False
        state.custom_values = {"delay": delay}
        return True

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        policy = active.get()
        assert policy is not None and state.custom_values is not None  # can_retry_async said yes
        delay = float(state.custom_values["delay"])
        log.warning("%s failed (%s); retry %d in %.2fs", policy.what, policy.reason, policy.attempt, delay)
        await policy.sleep(delay)
        state.next_attempt_requested = True
        state.increment_current_attempt()
        policy.attempt += 1
        if self.ambiguous and policy.already is not None:
            token = active.set(None)  # the look-up's own calls are not retried under this call's policy
            try:
                found = await policy.already()
            finally:
                active.reset(token)
            if found is not None:
                raise AlreadyDone(found)


class RateLimitRetry(_Budgeted, AsyncRateLimitErrorRetryHandler):
    """429 (or ok:false ratelimited): waits Retry-After in any form RFC 9110 allows, capped, within budget."""

    ambiguous = False  # Slack did nothing with a rate-limited call

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        return response is not None and (response.status_code == 429 or _error(response) == "ratelimited")

    def delay(self, policy: Policy, response: HttpResponse | None) -> float:
        wait = retry_after(_header(response, "Retry-After"))
        return DEFAULT_RETRY_AFTER_S if wait is None else wait

    def reason(self, response: HttpResponse | None, error: Exception | None) -> str:
        return "HTTP 429 rate limited"


class ServerErrorRetry(_Budgeted, AsyncServerErrorRetryHandler):
    """Any 5xx, and ok:false errors that are Slack's own trouble; exponential backoff with jitter."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        return response is not None and (response.status_code >= 500 or _error(response) in TRANSIENT)


class ConnectionErrorRetry(_Budgeted, AsyncConnectionErrorRetryHandler):
    """Refused or dropped connections and timeouts; exponential backoff with jitter."""

    def __init__(self) -> None:
        super().__init__(error_types=[aiohttp.ClientError, OSError, asyncio.TimeoutError])

    def reason(self, response: HttpResponse | None, error: Exception | None) -> str:
        if isinstance(error, asyncio.TimeoutError):
            return "no answer in time"
        return super().reason(response, error)


def handlers() -> list[AsyncRetryHandler]:
    """The handlers to give a client (AsyncWebClient or AsyncWebhookClient), in the order slack_sdk asks them."""
    # max_retry_count is slack_sdk's own cap on attempts; the Policy's budget is the one that holds.
    out: list[AsyncRetryHandler] = [RateLimitRetry(), ServerErrorRetry(), ConnectionErrorRetry()]
    for handler in out:
        handler.max_retry_count = 1000
    return out


def carries(client_handlers: list[AsyncRetryHandler] | None) -> bool:
    return any(isinstance(h, _Budgeted) for h in client_handlers or [])
