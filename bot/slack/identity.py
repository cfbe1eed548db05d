"""Who the bot is (auth.test), learnt in the background so no request waits for it.

Bolt's single-workspace authorization calls auth.test on the first request and holds that request (and its ack)
until Slack answers, or refuses the request when Slack is down. natobot authorizes from its configured token at
once instead and fills in the bot's user id when auth.test has answered; listeners that need it (to tell the
bot's own mention from the question) wait for it after the ack, a bounded time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("natobot.identity")

# auth.test is retried with backoff until it answers (a bad token is logged once and retried slowly).
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0
WAIT_S = 5.0  # how long a listener waits for the bot's user id before answering without it


class Identity:
    def __init__(self, token: str | None) -> None:
        self.token = token
        self.bot_user_id: str | None = None
        self.bot_id: str | None = None
        self.team_id: str | None = None
        self._known = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self, client: AsyncWebClient) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._learn(client))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _learn(self, client: AsyncWebClient) -> None:
        delay = RETRY_FIRST_S
        while not self._known.is_set():
            try:
                resp = await client.auth_test()
                self.bot_user_id = resp.get("user_id")
                self.bot_id = resp.get("bot_id")
                self.team_id = resp.get("team_id")
                self._known.set()
                log.info("signed in to Slack as %s (team %s)", self.bot_user_id, self.team_id)
                return
            except Exception as exc:
                log.warning("auth.test failed (%s); answering goes on, retrying in %.0fs", type(exc).__name__, delay)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(RETRY_MAX_S, delay * 2)

    async def wait(self, timeout: float = WAIT_S) -> str | None:
        """The bot's user id, waiting up to `timeout` for auth.test; None if it has not answered by then."""
        if not self._known.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._known.wait(), timeout)
        return self.bot_user_id

    async def authorize(self, enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        """Bolt's `authorize`: the configured bot token, at once; the bot's ids once auth.test has given them."""
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id or self.team_id, bot_token=self.token,
                               bot_user_id=self.bot_user_id, bot_id=self.bot_id, user_id=user_id)
