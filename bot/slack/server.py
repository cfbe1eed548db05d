"""Run natobot: HTTP (aiohttp: /slack/events, /healthz, /metrics) or Socket Mode (plus /healthz, /metrics).

`natobot serve [--mode http|socket]`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.answering.engine import Engine
from bot.digest.service import send_due
from bot.settings import Mode, Settings, SettingsError, load_settings
from bot.slack import http_guard
from bot.slack.app import build_app, dispatch, setup_logging
from bot.slack.deps import Deps
from bot.slack.metrics import Gauge, Metrics
from bot.slack.poster import CALL_TIMEOUT_S, Poster
from bot.slack.socket_mode import PING_INTERVAL_S, NatobotSocketModeHandler, SocketHealth
from bot.store.connect import DatabaseProblem, open_store

log = logging.getLogger("natobot.server")

EXIT_CONFIG = 2
# Slack's payloads are small; a 56 KB message plus its JSON envelope fits easily. Anything larger is refused.
MAX_BODY = 1024 * 1024
PING_TIMEOUT = 2.0
CONNECT_TIMEOUT_S = 5.0
# Requests being handled at once (read, checked, handed to Bolt, up to their ack). Far above what a healthy
# process holds (acks take milliseconds); reached only when it cannot keep up, and then each request waiting
# costs memory (about 75 KB each at 400 events/s), so past this it answers 503 at once.
MAX_IN_FLIGHT = 256
EVENTS_PATH = "/slack/events"


def shedding(metrics: Metrics) -> Middleware:
    """Past MAX_IN_FLIGHT requests at once on the events route, answer 503 before reading the body."""
    in_flight = 0

    @web.middleware
    async def shed(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight
        if request.method != "POST" or request.path != EVENTS_PATH:
            return await handler(request)
        if in_flight >= MAX_IN_FLIGHT:
            # Overloaded past the backlog: the refusal costs nothing and memory stays bounded. Slack delivers
            # the event again later, when there is room for it.
            metrics.shed.inc(kind="http")
            return web.Response(status=503, text="busy", headers={"Retry-After": "60"})
        in_flight += 1
        try:
            return await handler(request)
        finally:
            in_flight -= 1

    return shed


def slack_events(app: AsyncApp, deps: Deps) -> Handler:
    """POST /slack/events (events, slash commands, interactivity) through slack_bolt's aiohttp adapter.

    Not Bolt's own handler (`AsyncApp.web_app()` / `AsyncSlackAppServer`): it calls `app.async_dispatch` and
    keeps no handle on the listener tasks that starts. natobot's `dispatch` adopts them before the ack goes out,
    so the drain at shutdown (and tests waiting for the app to go quiet) sees every answer Slack was promised.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await dispatch(app, deps, await to_bolt_request(request)))

    return handle


def make_web_app(deps: Deps, bolt_app: AsyncApp | None) -> web.Application:
    """The aiohttp application; without a Bolt app (Socket Mode) it serves only /healthz and /metrics."""
    web_app = web.Application(client_max_size=MAX_BODY)
    if bolt_app is not None:
        secret = deps.settings.slack_signing_secret
        # Outermost first: shed before the guard reads a byte; the guard checks the signature on the raw bytes
        # and the body's shape before Bolt parses anything (bot.slack.http_guard).
        web_app.middlewares.extend([
            shedding(deps.metrics),
            http_guard.middleware(EVENTS_PATH, secret.get_secret_value() if secret else "", deps.metrics.rejected),
        ])
        web_app.router.add_post(EVENTS_PATH, slack_events(bolt_app, deps))

    async def healthz(_request: web.Request) -> web.Response:
        """200 while natobot can answer (the database may be degraded: it says what that costs); 503 if not."""
        try:
            await asyncio.wait_for(deps.store.ping(), PING_TIMEOUT)
        except Exception:  # a hung database is "down", never a 500
            deps.store.health.failed(TimeoutError("ping timed out"))
        lines = [f"knowledge base: {'loaded' if deps.ready else 'not loaded'}",
                 f"database: {deps.store.health.describe()}"]
        if deps.work is not None:
            lines.append(f"queue: {deps.work.waiting()} waiting (at most {deps.work.backlog}, then busy replies)")
        if deps.identity is not None and deps.identity.bot_user_id is None:
            lines.append("slack: auth.test has not answered yet")
        ok = deps.ready
        if deps.socket_health is not None:
            # In Socket Mode the socket is the only way in: without it natobot hears nothing.
            socket_ok = await deps.socket_health.check()
            ok = ok and socket_ok
            down = deps.socket_health.down_seconds()
            lines.append("socket: connected" if socket_ok else f"socket: not connected for {down:.0f} s")
        return web.Response(status=200 if ok else 503, text="; ".join(lines) + "\n")

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(text=deps.metrics.render(), content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    return web_app


@dataclass
class Server:
    """A started natobot: its HTTP site, and the Socket Mode connection when in Socket Mode."""

    deps: Deps
    mode: Mode
    app: AsyncApp
    runner: web.AppRunner
    session: aiohttp.ClientSession
    socket: NatobotSocketModeHandler | None = None
    scheduler: asyncio.Task[None] | None = None
    socket_connect: asyncio.Task[None] | None = None
    port: int = 0
    host: str = "127.0.0.1"
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.scheduler is not None:
            self.scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.scheduler
        if self.deps.work is not None:
            await self.deps.work.stop()
        if self.deps.socket_health is not None:
            await self.deps.socket_health.stop()
        if self.socket_connect is not None:
            self.socket_connect.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.socket_connect
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close_async()  # type: ignore[no-untyped-call]
        await self.runner.cleanup()  # stop taking requests, then finish the answers already acked
        await self.deps.drain()
        if self.deps.work is not None:
            await self.deps.work.release()  # what the drain did not finish, another replica can take at once
        if self.deps.identity is not None:
            await self.deps.identity.stop()
        await self.session.close()


# How often `serve` runs the digest's send-due pass; the jitter keeps replicas from all hitting the
# database in the same instant (exactly-once does not depend on it: the delivery claim does that).
DIGEST_INTERVAL_S = 30.0
DIGEST_JITTER_S = 3.0


async def digest_loop(deps: Deps, app: AsyncApp, every: float) -> None:
    """Post every digest that is due, every `every` seconds, until cancelled."""
    while True:
        try:
            report = await send_due(deps.store, app.client, deps.engine, datetime.now(UTC))
            if report.posted or report.failed or report.channel_errors:
                log.info("digest: %s", report.summary())
        except Exception:
            log.exception("digest scheduler pass failed; trying again next time")
        await asyncio.sleep(every + random.uniform(0, DIGEST_JITTER_S))


async def start_server(deps: Deps, *, mode: Mode = "http", host: str | None = None,
                       port: int | None = None, digest_every: float | None = None,
                       ping_interval: float = PING_INTERVAL_S) -> Server:
    """Start serving (port 0 picks a free port); the caller owns the Store and closes it."""
    settings = deps.settings
    settings.require(mode)
    # One keep-alive session for every Web API call: a reply costs one request, not a TCP handshake. Its
    # timeout is the one that holds: slack_sdk applies its own only to sessions it makes itself.
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))
    app = build_app(deps, mode=mode, session=session)
    runner = web.AppRunner(make_web_app(deps, app if mode == "http" else None), access_log=None)
    await runner.setup()
    bind_host = host if host is not None else settings.host
    site = web.TCPSite(runner, bind_host, settings.port if port is None else port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else (port or settings.port)
    server = Server(deps=deps, mode=mode, app=app, runner=runner, session=session, port=int(bound),
                    host="127.0.0.1" if bind_host in ("0.0.0.0", "") else bind_host)
    if mode == "socket":
        assert settings.slack_app_token is not None  # settings.require checked it
        server.socket = NatobotSocketModeHandler(app, deps, settings.slack_app_token.get_secret_value(),
                                                 logger=logging.getLogger("natobot.socket_mode"),
                                                 ping_interval=ping_interval)
        health = SocketHealth(server.socket)
        deps.socket_health = health
        deps.metrics.gauges += [
            Gauge("natobot_socket_connected", "1 while the Socket Mode connection is up, else 0.",
                  lambda: 0.0 if health.down_since is not None else 1.0),
            Gauge("natobot_socket_down_seconds", "How long the Socket Mode connection has been down (0 when up).",
                  health.down_seconds),
        ]
        # The client retries a failed connection forever (invalid_auth included) and never raises; it runs in
        # the background while /healthz says whether it is up.
        server.socket_connect = asyncio.create_task(server.socket.connect_async())  # type: ignore[no-untyped-call]
        health.start()
    if deps.identity is not None:
        deps.identity.start(app.client)
    if deps.work is not None:
        deps.work.start(app, lambda request: dispatch(app, deps, request))
    if digest_every is not None:
        server.scheduler = asyncio.create_task(digest_loop(deps, app, digest_every))
    log.info("natobot serving in %s mode; health and metrics on %s", "Socket" if mode == "socket" else "HTTP",
             server.url)
    return server


async def open_deps(settings: Settings) -> Deps:
    """Load the knowledge base once and open the database (a DatabaseProblem names what is wrong with it)."""
    engine = Engine.load()
    if not settings.database_url:
        try:
            settings.natobot_data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseProblem(f"cannot create the data directory {settings.natobot_data_dir}: "
                                  f"{exc.strerror} (NATOBOT_DATA_DIR)") from None
    store = await open_store(settings.database)
    metrics = Metrics()
    return Deps(engine=engine, store=store, settings=settings, metrics=metrics, poster=Poster(metrics))


async def serve(settings: Settings, mode: Mode, err: TextIO | None = None) -> int:
    try:
        deps = await open_deps(settings)
    except DatabaseProblem as exc:
        (err or sys.stderr).write(f"natobot: {exc}\n")
        return EXIT_CONFIG
    # The knowledge base is hundreds of thousands of objects that live as long as the process: out of the
    # collector's sight, a full collection no longer walks them all while requests wait.
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        server = await start_server(deps, mode=mode, digest_every=DIGEST_INTERVAL_S)
        try:
            await stop.wait()
        finally:
            log.info("natobot stopping")
            await server.stop()
    finally:
        await deps.store.close()
    return 0


def cmd_serve(mode: Mode | None, err: TextIO | None = None) -> int:
    """`natobot serve`: configuration problems are one line on stderr and exit code 2."""
    err = err or sys.stderr
    try:
        settings = load_settings()
        chosen = settings.choose_mode(mode)
        settings.require(chosen)
    except SettingsError as exc:
        err.write(f"natobot: {exc}\n")
        return EXIT_CONFIG
    setup_logging(settings)
    return asyncio.run(serve(settings, chosen, err))
