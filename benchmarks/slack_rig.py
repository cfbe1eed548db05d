"""Benchmark the Slack app over HTTP: signed app_mention events at a fixed rate against an in-process fake Slack.

    python -m benchmarks.slack_rig [--rate 50] [--seconds 10] [--json]

Prints the ack time (the HTTP response to Slack) and the event-to-reply latency (request sent to the fake
receiving chat.postMessage) at p50/p95/p99, and how many events were lost or answered twice.
The fake Slack is tests/fakeslack.py, loaded by path (it is test code, not part of the package).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import importlib.util
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.answering.engine import Engine
from bot.settings import Settings
from bot.slack.deps import Deps
from bot.slack.metrics import Metrics
from bot.slack.poster import Poster
from bot.slack.server import start_server
from bot.store.state import Store

SECRET = "bench-signing-secret"
TARGET_P95_MS = 50.0
QUESTIONS = (
    "who heads the IMS?", "where is SHAPE?", "objective 2.1", "what does the Military Committee do?",
    "where is JFC Brunssum?", "what are the IMS divisions?", "goal 3", "what is the weather in brussels?",
)


def load_fake() -> ModuleType:
    """tests/fakeslack.py, imported by path (it is test code, not part of the package)."""
    path = Path(__file__).resolve().parent.parent / "tests" / "fakeslack.py"
    spec = importlib.util.spec_from_file_location("natobot_bench_fakeslack", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the fake Slack from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """The headers Slack sends with a JSON event body: content type, timestamp and v0 signature."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def mention_event(i: int, question: str, *, event_id: str | None = None, channel: str = "C1") -> tuple[str, bytes]:
    """An app_mention event_callback body for `question`; returns (the message ts, the JSON body).

    The ts is unique per `i`, so the reply (posted in the thread under the mention) can be matched by thread_ts.
    """
    ts = f"{1_800_000_000 + i}.000100"
    body = {
        "token": "bench", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
        "event_id": event_id or f"EvBENCH{i:06d}", "event_time": int(time.time()),
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True, "enterprise_id": None}],
        "event": {"type": "app_mention", "user": "U1", "channel": channel, "ts": ts, "event_ts": ts, "team": "T1",
                  "text": f"<@UBOT> {question}"},
    }
    return ts, json.dumps(body).encode()


def _event(i: int) -> tuple[str, bytes]:
    return mention_event(i, QUESTIONS[i % len(QUESTIONS)])


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


async def run(rate: float, seconds: float) -> dict[str, Any]:
    fakeslack = load_fake()
    fake = fakeslack.FakeSlack()
    await fake.start()
    tmp = tempfile.TemporaryDirectory(prefix="natobot-bench-")
    settings = Settings(slack_bot_token=SecretStr("xoxb-bench"), slack_signing_secret=SecretStr(SECRET),
                        slack_api_url=fake.url,
                        database_url=f"sqlite:///{tmp.name}/bench.db", host="127.0.0.1", port=0,
                        log_level="WARNING", _env_file=None)
    store = await Store.open(settings.database)
    metrics = Metrics()
    deps = Deps(engine=Engine.load(), store=store, settings=settings, metrics=metrics, poster=Poster(metrics))
    server = await start_server(deps, mode="http", host="127.0.0.1", port=0)
    url = server.url + "/slack/events"
    sent: dict[str, float] = {}
    acks: list[float] = []
    statuses: Counter[int] = Counter()
    try:
        async with aiohttp.ClientSession() as http:
            # Warm-up: auth.test, the connection pool, SQLite's first writes.
            for i in range(3):
                _ts, body = _event(10_000_000 + i)
                async with http.post(url, data=body, headers=sign(body)) as r:
                    await r.read()
            await fake.wait_for("chat.postMessage", 3)
            fake.calls.clear()

            async def send(i: int) -> None:
                ts, body = _event(i)
                headers = sign(body)
                start = time.time()
                sent[ts] = start
                async with http.post(url, data=body, headers=headers) as r:
                    await r.read()
                    statuses[r.status] += 1
                acks.append(time.time() - start)

            total = int(rate * seconds)
            tasks = []
            t0 = time.perf_counter()
            for i in range(total):
                delay = t0 + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(i)))
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - t0
            deadline = time.time() + 10
            while len(fake.calls_to("chat.postMessage")) < total and time.time() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # anything doubled arrives now
    finally:
        await server.stop()
        await store.close()
        await fake.stop()
        tmp.cleanup()

    replies: dict[str, list[float]] = {}
    for call in fake.calls_to("chat.postMessage"):
        replies.setdefault(str(call.params.get("thread_ts")), []).append(call.at)
    latencies = [min(replies[ts]) - start for ts, start in sent.items() if ts in replies]
    return {
        "events": len(sent), "rate": rate, "seconds": round(elapsed, 2),
        "http_status": dict(statuses),
        "ack_ms": {k: round(v * 1000, 2) for k, v in percentiles(acks).items()},
        "reply_ms": {k: round(v * 1000, 2) for k, v in percentiles(latencies).items()},
        "lost": sum(1 for ts in sent if ts not in replies),
        "doubled": sum(1 for ts in sent if len(replies.get(ts, [])) > 1),
        "target_p95_ms": TARGET_P95_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.slack_rig", description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="events per second (default 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send (default 10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args.rate, args.seconds))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        ack, reply = result["ack_ms"], result["reply_ms"]
        print(f"{result['events']} app_mention events at {result['rate']:g}/s over {result['seconds']} s, HTTP, "
              f"fake Slack in-process; statuses {result['http_status']}")
        print(f"ack time        p50 {ack['p50']:7.2f} ms  p95 {ack['p95']:7.2f} ms  p99 {ack['p99']:7.2f} ms  "
              f"max {ack['max']:7.2f} ms")
        print(f"event-to-reply  p50 {reply['p50']:7.2f} ms  p95 {reply['p95']:7.2f} ms  p99 {reply['p99']:7.2f} ms  "
              f"max {reply['max']:7.2f} ms")
        met = reply["p95"] <= TARGET_P95_MS and not result["lost"] and not result["doubled"]
        print(f"lost {result['lost']}, doubled {result['doubled']}; target p95 <= {TARGET_P95_MS:g} ms, nothing "
              f"lost or doubled: {'met' if met else 'MISSED'}")
    return 0 if not result["lost"] and not result["doubled"] else 1


if __name__ == "__main__":
    sys.exit(main())
