"""The floor for `natobot serve`'s CPU per event: the least any Slack app over HTTP must do for a mention.

    python -m benchmarks.floor     # configured like `natobot serve`: SLACK_SIGNING_SECRET, SLACK_API_URL, HOST, PORT

A bare aiohttp server: for each POST to /slack/events it checks Slack's signature, parses the JSON, answers
200, and then makes one aiohttp POST (chat.postMessage in the mention's thread) on a keep-alive session. No
Bolt, no database, no answer engine. `benchmarks.load` runs it beside natobot in the same run and divides
natobot's CPU per event by this one's. It logs the same "health and metrics on URL" line as `natobot serve`,
so the load test starts both the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import sys
import time
from typing import Any

import aiohttp
from aiohttp import web

MAX_SKEW_S = 300


def _verified(raw: bytes, timestamp: str, signature: str, secret: bytes) -> bool:
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_S:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


async def main() -> int:
    secret = os.environ.get("SLACK_SIGNING_SECRET", "").encode()
    api = os.environ.get("SLACK_API_URL", "https://slack.com/api/").rstrip("/") + "/"
    token = os.environ.get("SLACK_BOT_TOKEN", "")
    session = aiohttp.ClientSession()
    tasks: set[asyncio.Task[None]] = set()

    async def reply(event: dict[str, Any]) -> None:
        payload = {"channel": event.get("channel"), "thread_ts": event.get("thread_ts") or event.get("ts"),
                   "text": "ok"}
        with contextlib.suppress(aiohttp.ClientError):
            async with session.post(api + "chat.postMessage", data=json.dumps(payload),
                                    headers={"Authorization": f"Bearer {token}",
                                             "Content-Type": "application/json;charset=utf-8"}) as resp:
                await resp.read()

    async def events(request: web.Request) -> web.Response:
        raw = await request.read()
        if not _verified(raw, request.headers.get("X-Slack-Request-Timestamp", ""),
                         request.headers.get("X-Slack-Signature", ""), secret):
            return web.Response(status=401)
        body = json.loads(raw)
        event = body.get("event")
        if isinstance(event, dict):
            task = asyncio.create_task(reply(event))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return web.Response(status=200)

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "0")))
    await site.start()
    port = runner.addresses[0][1]
    print(f"bench_floor serving; health and metrics on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    if tasks:
        await asyncio.wait(tasks, timeout=5)
    await session.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
