"""The Slack app under test: the real server (HTTP or Socket Mode) wired to a FakeSlack and a SQLite file.

Requests are signed exactly as Slack signs them (tests/slack_signing.py); nothing in the app is mocked.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import slack_signing as sig
from fakeslack import Call, FakeSlack, envelope

from bot.answering.engine import Engine
from bot.settings import Mode, Settings
from bot.slack.deps import Deps
from bot.slack.metrics import Metrics
from bot.slack.poster import Poster
from bot.slack.server import Server, start_server
from bot.store.state import Store

SECRET = "test-signing-secret-8f2a9c"
BOT_TOKEN = "xoxb-1111-2222-testbottoken"
APP_TOKEN = "xapp-1-A1-3333-testapptoken"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
              "no_proxy")

_ENGINE: Engine | None = None


def engine() -> Engine:
    """The knowledge base, loaded once per test session (as the server loads it once at start)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine.load()
    return _ENGINE


def unset_proxies() -> None:
    for name in PROXY_VARS:
        os.environ.pop(name, None)


def make_settings(fake: FakeSlack, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_app_token": APP_TOKEN,
        "slack_api_url": fake.url,
        "natobot_data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'natobot.db'}",
        "port": 0,
        "host": "127.0.0.1",
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class App:
    """One running natobot replica and an HTTP client that talks to it like Slack does."""

    fake: FakeSlack
    server: Server
    deps: Deps
    http: aiohttp.ClientSession
    secret: str = SECRET
    sent: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events_url(self) -> str:
        return self.server.url + "/slack/events"

    async def post(self, body: bytes, *, json_body: bool, timestamp: int | None = None, secret: str | None = None,
                   retry_num: int | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
        hdrs = sig.signed_headers(body, secret or self.secret, json_body=json_body, timestamp=timestamp)
        if retry_num is not None:
            hdrs["X-Slack-Retry-Num"] = str(retry_num)
            hdrs["X-Slack-Retry-Reason"] = "http_timeout"
        hdrs.update(headers or {})
        async with self.http.post(self.events_url, data=body, headers=hdrs) as resp:
            return resp.status, await resp.text()

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, **kw: Any) -> tuple[int, str]:
        body = sig.event_callback(event, event_id=event_id)
        self.sent.append(body)
        return await self.post(sig.json_body(body), json_body=True, **kw)

    async def deliver(self, event: dict[str, Any], *, mode: str) -> None:
        """An event the way `mode` ("http" or "socket") brings it: signed HTTP acked with a 200, or a Socket
        Mode envelope the app acks."""
        body = sig.event_callback(event)
        if mode == "socket":
            await self.fake.wait_ack(await self.fake.socket_send(envelope("events_api", body)))
        else:
            status, _ = await self.post(sig.json_body(body), json_body=True)
            assert status == 200

    async def command(self, text: str, *, token: str = "cmd", **kw: Any) -> tuple[int, str]:
        fields = sig.slash_command(text, response_url=self.fake.response_url(token), **kw)
        return await self.post(sig.form_body(fields), json_body=False)

    async def action(self, action_id: str, value: str, *, token: str = "act", **kw: Any) -> tuple[int, str]:
        payload = sig.block_actions(action_id, value, response_url=self.fake.response_url(token), **kw)
        return await self.post(sig.interactive_body(payload), json_body=False)

    async def interactive(self, payload: dict[str, Any]) -> tuple[int, str]:
        """Any interactive payload (shortcut, view_submission, block_suggestion ...), signed and form-encoded."""
        return await self.post(sig.interactive_body(payload), json_body=False)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until all work the app started for the requests sent so far is finished.

        Bolt starts each listener in a task before it returns the ack; the app keeps those tasks
        (bot.slack.app.dispatch), so once they are done nothing more can reach the fake Slack.
        """
        await self.deps.idle(timeout)
        work = self.deps.work
        if work is not None:  # and the jobs those listeners were running (a replay starts new tasks)
            deadline = time.monotonic() + timeout
            while work.waiting() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await self.deps.idle(timeout)

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.server.url + path) as resp:
            return resp.status, await resp.text()


@asynccontextmanager
async def running(fake: FakeSlack, tmp_path: Path, *, mode: Mode = "http", engine_: Engine | None = None,
                  poster: Poster | None = None, digest_every: float | None = None,
                  ping_interval: float = 10.0, **settings: Any) -> AsyncIterator[App]:
    """Start one replica (its own Store object on the shared SQLite file) and stop it afterwards."""
    unset_proxies()
    config = make_settings(fake, tmp_path, **settings)
    store = await Store.open(config.database)
    metrics = Metrics()
    deps = Deps(engine=engine_ or engine(), store=store, settings=config, metrics=metrics,
                poster=poster or Poster(metrics, attempts=4, backoff=0.01, max_backoff=0.05))
    server = await start_server(deps, mode=mode, host="127.0.0.1", port=0, digest_every=digest_every,
                                ping_interval=ping_interval)
    http = aiohttp.ClientSession()
    try:
        yield App(fake, server, deps, http)
    finally:
        await http.close()
        await server.stop()
        await store.close()


def posted(call: Call) -> dict[str, Any]:
    """A chat.postMessage / response_url call's payload, with blocks decoded when they came as a string."""
    params = dict(call.params)
    if isinstance(params.get("blocks"), str):
        params["blocks"] = json.loads(params["blocks"])
    return params


def posted_channels(fake: FakeSlack) -> Counter[str]:
    """How many messages went to each channel."""
    return Counter(str(c.params.get("channel")) for c in fake.calls_to("chat.postMessage"))


def block_text(payload: dict[str, Any]) -> str:
    """Every piece of text in a payload (text, blocks, button labels and values), for searching."""
    return json.dumps({"text": payload.get("text"), "blocks": payload.get("blocks")}, ensure_ascii=False)


def buttons(payload: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in payload.get("blocks") or []:
        if block.get("type") == "actions":
            out += block.get("elements", [])
    return out


def header(payload: dict[str, Any]) -> str:
    """What a card says (its sections and grey lines, not its buttons): cards have no header block, the answer
    leads. Good for "is this the answer about X" checks."""
    out: list[str] = []
    for block in payload.get("blocks") or []:
        if block.get("type") == "header":
            out.append(str(block["text"]["text"]))
        elif block.get("type") in ("section", "context"):
            out += visible_texts(block)
    return "\n".join(out)


def visible_texts(payload: Any) -> list[str]:
    """Every string Slack would display or parse for mentions: `text` fields, not button values."""
    out: list[str] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                out.append(value)
            elif key != "value":
                out += visible_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            out += visible_texts(item)
    return out


async def finished(app: App, jobs: int, timeout: float = 30.0) -> dict[str, int]:
    """Wait until `jobs` jobs exist and none is still queued (a finished job is never run again); their counts."""
    deadline = time.monotonic() + timeout
    while True:
        counts = await app.deps.work.jobs.counts()
        if counts.get("queued", 0) == 0 and sum(counts.values()) >= jobs and app.deps.work.waiting() == 0:
            return counts
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs not finished: {counts}, {app.deps.work.waiting()} waiting")
        await asyncio.sleep(0.05)
