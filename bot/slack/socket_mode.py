"""Socket Mode for natobot: every envelope acked, and health that says whether the socket is connected.

slack_bolt's AsyncSocketModeHandler acks only what a listener handled (HTTP 200 from Bolt); anything else
(an interactive payload nobody listens for, a listener that failed before its ack) is left without an ack,
so Slack retries it and shows the person an error. Over HTTP Slack gets Bolt's status either way.

The Socket Mode client reconnects on its own, forever, and logs each failure; nothing outside it could
tell that it has been down for an hour (say after the app token was revoked: `invalid_auth`).
`SocketHealth` watches it so `/healthz` fails while it is down and `/metrics` says for how long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.app import dispatch
from bot.slack.deps import Deps

log = logging.getLogger("natobot.socket_mode")

# How often the watcher looks at the connection: the down-time figure is this accurate.
WATCH_EVERY_S = 1.0
# Slack's own clients ping every 10 s and call a connection stale after 4 missed pongs.
PING_INTERVAL_S = 10.0


class NatobotSocketModeHandler(AsyncSocketModeHandler):
    """Dispatches each envelope through natobot's `dispatch` and acks every one of them."""

    def __init__(self, app: AsyncApp, deps: Deps, app_token: str, **kwargs: Any) -> None:
        super().__init__(app, app_token, **kwargs)
        self.deps = deps

    async def handle(self, client: Any, req: SocketModeRequest) -> None:
        start = time.time()
        request = AsyncBoltRequest(mode="socket_mode", body=req.payload, headers=build_headers(req))
        response = await dispatch(self.app, self.deps, request)
        if response.status != 200:
            # Unhandled (404) or failed before its ack (500): Slack still gets its ack, with no payload.
            log.info("envelope %s (%s) got status %s from Bolt; acked anyway", req.envelope_id, req.type,
                     response.status)
            response = BoltResponse(status=200, body="")
        await send_async_response(client, req, response, start)


class SocketHealth:
    """Is the Socket Mode connection up, and since when has it been down (monotonic seconds)."""

    def __init__(self, handler: AsyncSocketModeHandler, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.handler = handler
        self._clock = clock
        self.down_since: float | None = clock()  # not connected until the first hello
        self._watcher: asyncio.Task[None] | None = None

    async def check(self) -> bool:
        try:
            up = bool(await self.handler.client.is_connected())
        except Exception:  # a health check reports, it never raises
            log.exception("checking the Socket Mode connection failed")
            up = False
        if up:
            if self.down_since is not None:
                log.info("Socket Mode connected")
            self.down_since = None
        elif self.down_since is None:
            log.warning("Socket Mode connection lost")
            self.down_since = self._clock()
        return up

    def down_seconds(self) -> float:
        return 0.0 if self.down_since is None else max(self._clock() - self.down_since, 0.0)

    def start(self, every: float = WATCH_EVERY_S) -> None:
        async def watch() -> None:
            while True:
                await self.check()
                await asyncio.sleep(every)

        self._watcher = asyncio.create_task(watch())

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
