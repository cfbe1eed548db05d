"""How long `send-due` takes for 1,000 subscribed channels against the in-process fake Slack.

    python -m bot.bench_digest [--channels 1000] [--database-url URL]

Uses a throw-away SQLite file unless --database-url is given (a PostgreSQL URL: its digest tables get
rows for channels named CBENCH...). Prints the seconds taken, how many channels got exactly one post
(target: all of them, in under 10 s), and that a second run right after posts nothing. Needs the
repository's tests/ directory (the fake Slack lives there), so it runs from a checkout, not the image.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot import digest as dg
from bot.engine import Engine
from bot.store import Store

TARGET_SECONDS = 10.0
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Brussels: every default subscription is due


async def bench(channels: int, url: str) -> tuple[str, bool]:
    try:
        from tests.fakeslack import FakeSlack
    except ImportError:
        raise SystemExit("bench_digest needs the repository's tests/fakeslack.py: run it from a checkout") from None

    engine = Engine.load()
    store = await Store.open(url, clock=lambda: NOW)
    names = [f"CBENCH{i:05d}" for i in range(channels)]
    try:
        for name in names:
            await store.unsubscribe(name)  # a reused PostgreSQL database: start clean
        async with store.engine.begin() as conn:
            from sqlalchemy import delete

            from bot.store import deliveries
            await conn.execute(delete(deliveries).where(deliveries.c.channel.like("CBENCH%")))
        for name in names:
            await store.subscribe(channel=name, team="TBENCH", time=dg.DEFAULT_TIME, tz=dg.DEFAULT_TZ, weekdays=False)
        async with FakeSlack() as fake:
            client = AsyncWebClient(token="xoxb-bench", base_url=fake.url)
            started = time.perf_counter()
            report = await dg.send_due(store, client, engine, NOW)
            seconds = time.perf_counter() - started
            again = await dg.send_due(store, client, engine, NOW)
            counts = Counter(str(c.params.get("channel")) for c in fake.calls_to("chat.postMessage"))
        once = sum(1 for name in names if counts[name] == 1)
        extra = sum(n - 1 for n in counts.values() if n > 1)
        ok = once == channels and extra == 0 and not again.posted and seconds < TARGET_SECONDS
        backend = store.engine.dialect.name
        lines = [
            f"digest send-due, {channels} subscribed channels, {backend}, fake Slack in process",
            f"  first run:  {seconds:.2f} s ({channels / seconds:.0f} channels/s), {len(report.posted)} posted, "
            f"{len(report.failed)} failed",
            f"  posted exactly once: {once}/{channels}, duplicate posts: {extra}",
            f"  second run: {again.seconds:.2f} s, {len(again.posted)} posted (all already sent)",
            f"  target < {TARGET_SECONDS:.0f} s, each posted once: {'met' if ok else 'NOT met'}",
        ]
        return "\n".join(lines), ok
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench_digest", description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    # Run from the checkout: make `tests.fakeslack` importable however the module was started.
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    with tempfile.TemporaryDirectory(prefix="natobot-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'natobot.db'}"
        text, ok = asyncio.run(bench(args.channels, url))
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
