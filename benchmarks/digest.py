"""How fast the digest scheduler sends, and what a pass with nothing due costs, at 1k, 10k and 100k channels.

    python -m benchmarks.digest [--sizes 1000,10000,100000] [--databases sqlite,postgresql] [--database-url URL]

For each database and size: a fresh database (a temporary SQLite file, or a scratch database made on the
PostgreSQL server of --database-url, default $NATOBOT_BENCH_PG_URL or $NATOBOT_TEST_PG_URL, and dropped after)
gets that many subscriptions, all due at the same instant; one `send_due` pass posts them to a minimal fake
Slack Web API running in a process of its own (so its CPU is not counted as the scheduler's) and is timed
(channels per second); then a pass a minute later, with nothing due, is timed (the idle pass the server makes
every 30 s), beside the time to read every subscription, which is what each pass did before next_due. The fake
counts the posts per channel: each channel must get exactly one. Target: TARGET_SECONDS for TARGET_SIZE channels
on PostgreSQL, every channel posted once, and no post in the idle pass. Exits 1 when a target is not met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import insert

from benchmarks.load import default_pg_url, scratch_postgres
from bot.answering.engine import Engine
from bot.digest import service as dg
from bot.store.schema import subscriptions
from bot.store.state import Store

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Brussels: every default subscription is due
TARGET_SIZE = 100_000
TARGET_SECONDS = 300.0  # the "100,000 channels in under 5 minutes on PostgreSQL"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
INSERT_CHUNK = 5_000  # subscriptions written per statement while setting up


# -- the fake Slack, in a process of its own ------------------------------------------------------------

def fake_slack_app() -> web.Application:
    """chat.postMessage counted per channel (GET /counts returns them); any other method answers ok."""
    counts: dict[str, int] = {}

    async def api(request: web.Request) -> web.Response:
        if request.match_info["method"] != "chat.postMessage":
            return web.json_response({"ok": True, "messages": []})
        body: Any = await (request.json() if request.content_type == "application/json" else request.post())
        channel = str(body.get("channel"))
        counts[channel] = counts.get(channel, 0) + 1
        return web.json_response({"ok": True, "channel": channel, "ts": f"{time.time():.6f}"})

    async def get_counts(request: web.Request) -> web.Response:
        return web.json_response(counts)

    async def reset(request: web.Request) -> web.Response:
        counts.clear()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/{method}", api)
    app.router.add_get("/counts", get_counts)
    app.router.add_post("/reset", reset)
    return app


async def serve_fake_slack() -> None:
    runner = web.AppRunner(fake_slack_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    await runner.cleanup()


@contextlib.asynccontextmanager
async def fake_slack() -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "benchmarks.digest", "--fake-slack",
                                                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        port = int((await proc.stdout.readline()).decode())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


# -- one database, one size -----------------------------------------------------------------------------

async def subscribe_many(store: Store, names: list[str]) -> None:
    """The subscriptions as `subscribe` writes them (next_due = now: looked at by the next pass), in bulk."""
    created = NOW - timedelta(days=1)
    rows = [{"channel": name, "team": "TBENCH", "time": dg.DEFAULT_TIME, "tz": dg.DEFAULT_TZ, "weekdays": False,
             "error": None, "created_at": created, "updated_at": created, "cadence": "daily", "weekday": None,
             "include_management": True, "subscriber": None, "next_due": created} for name in names]
    for start in range(0, len(rows), INSERT_CHUNK):
        async with store.engine.begin() as conn:
            await conn.execute(insert(subscriptions), rows[start:start + INSERT_CHUNK])


async def measure(url: str, size: int, engine: Engine, slack_url: str) -> dict[str, Any]:
    clock = [NOW]
    store = await Store.open(url, clock=lambda: clock[0])
    names = [f"CBENCH{i:06d}" for i in range(size)]
    try:
        await subscribe_many(store, names)
        async with aiohttp.ClientSession() as http:
            await http.post(f"{slack_url}/reset")
            # As `serve` makes it (bot.slack.app.make_client): one shared session, bot.slack.poster owning retries.
            client = AsyncWebClient(token="xoxb-bench", base_url=f"{slack_url}/api/", session=http, retry_handlers=[])
            started = time.perf_counter()
            report = await dg.send_due(store, client, engine, NOW)
            seconds = time.perf_counter() - started
            clock[0] = NOW + timedelta(minutes=1)
            started = time.perf_counter()
            idle = await dg.send_due(store, client, engine, clock[0])
            idle_s = time.perf_counter() - started
            started = time.perf_counter()
            await store.subscriptions()
            read_all_s = time.perf_counter() - started
            async with http.get(f"{slack_url}/counts") as resp:
                counts: dict[str, int] = await resp.json()
        return {"database": store.engine.dialect.name, "channels": size, "seconds": seconds,
                "per_second": size / seconds, "posted": len(report.posted), "failed": len(report.failed),
                "once": sum(1 for name in names if counts.get(name) == 1),
                "extra": sum(n - 1 for n in counts.values() if n > 1), "idle_ms": idle_s * 1000,
                "idle_checked": idle.checked, "idle_posted": len(idle.posted), "read_all_ms": read_all_s * 1000}
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def fresh_database(kind: str, pg_url: str | None) -> AsyncIterator[str]:
    if kind == "postgresql":
        if not pg_url:
            raise SystemExit("postgresql needs --database-url (or NATOBOT_BENCH_PG_URL / NATOBOT_TEST_PG_URL)")
        async with scratch_postgres(pg_url) as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="natobot-bench-digest-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'natobot.db'}"


def line(r: dict[str, Any]) -> str:
    return (f"  {r['database']:<10} {r['channels']:>7}  {r['seconds']:7.1f} s  {r['per_second']:6.0f} ch/s  "
            f"once {r['once']}/{r['channels']}  dup {r['extra']}  failed {r['failed']}  "
            f"idle pass {r['idle_ms']:7.1f} ms ({r['idle_checked']} looked at, {r['idle_posted']} posted)  "
            f"read all {r['read_all_ms']:7.1f} ms")


def met(results: list[dict[str, Any]]) -> bool:
    exact = all(r["once"] == r["channels"] and r["extra"] == 0 and r["idle_posted"] == 0 for r in results)
    fast = all(r["seconds"] < TARGET_SECONDS for r in results
               if r["database"] == "postgresql" and r["channels"] >= TARGET_SIZE)
    return exact and fast


async def run(sizes: Sequence[int], databases: Sequence[str], pg_url: str | None) -> list[dict[str, Any]]:
    engine = Engine.load()
    results = []
    async with fake_slack() as slack_url:
        for kind in databases:
            for size in sizes:
                async with fresh_database(kind, pg_url) as url:
                    results.append(await measure(url, size, engine, slack_url))
                print(line(results[-1]), flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.digest", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES))
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=default_pg_url(), help="PostgreSQL server for a scratch db")
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--fake-slack", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fake_slack:
        asyncio.run(serve_fake_slack())
        return 0
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas")
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not sizes or min(sizes) < 1 or any(d not in ("sqlite", "postgresql") for d in databases):
        parser.error("--sizes must be positive; --databases takes sqlite and/or postgresql")
    print("digest send-due: one pass with every channel due, then an idle pass (fake Slack in its own process)")
    results = asyncio.run(run(sizes, databases, args.database_url))
    ok = met(results)
    print(f"  target: {TARGET_SIZE} channels on PostgreSQL in < {TARGET_SECONDS:.0f} s, each posted exactly once, "
          f"nothing posted by the idle pass: {'met' if ok else 'NOT met'}")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
