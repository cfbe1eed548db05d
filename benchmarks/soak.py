"""Soak: two `natobot serve` replicas on one SQLite file, a steady stream of mentions, one fault of each kind.

    python -m benchmarks.soak [--seconds 600] [--rate 50] [--lease 10] [--json-out docs/benchmarks/soak.json]

Two real `natobot serve --mode http` processes share one SQLite database and one fake Slack Web API
(tests/fakeslack.py, in this process). Signed app_mention events go to them in turn at `rate` per second,
open loop; a request that fails is sent again to the other replica a second later with X-Slack-Retry-Num, as
Slack retries (behind a load balancer, that is where it would land). One fault of each kind is injected on a
fixed schedule (fractions of the run):

    10%  slack-5xx               the next 4 chat.postMessage calls answer HTTP 500
    20%  slack-429               the next 6 answer 429 with Retry-After: 1
    30%  slack-hang              every chat.postMessage hangs (nothing posted) for FAULT_S, then Slack is back
    40%  slack-lost-answer       the next 5 posts reach Slack but their answers never come back (timeouts)
    50%  db-locked               another process holds SQLite's write lock for FAULT_S
    60%  sigkill                 replica A is killed with SIGKILL mid-work and started again FAULT_S later
    70%  burst                   FAULT_S at 5x the rate on top of the stream

At the end it waits until every event has a reply and the jobs table has nothing queued (so nothing more can
be posted), then reports per event: lost (no reply), doubled (more than one message in its thread), apologies
(an apology left standing), busy (shed with "busy, ask again"), reply latency from when the event was due
(p50/p95/p99/max), and each replica's RSS (start after warm-up, peak, end).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from benchmarks.load import QUESTIONS, ServeProcess, start_serve
from benchmarks.slack_rig import load_fake, mention_event, percentiles, sign
from bot.slack.work import BUSY
from bot.store.jobs import JobStore
from bot.store.state import Store

APOLOGY_PREFIX = "Sorry, something went wrong"
FAULT_S = 8.0  # how long a fault with a duration lasts (less in short runs: at most 5% of the run)
CHANNELS = 8
SLACK_RETRIES = 3
RSS_EVERY_S = 1.0
WARM_CHANNEL = "CWARM"  # the warm-up questions', not counted
STEADY_AFTER_S = 60.0  # a fault's effects are over this long after it ends (for the latency outside faults)


@dataclass
class Replica:
    name: str
    serve: ServeProcess
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds into the run, bytes)


@dataclass
class Soak:
    seconds: float
    rate: float
    lease: float
    workdir: Path
    fake: Any = None
    replicas: list[Replica] = field(default_factory=list)
    retired: list[Replica] = field(default_factory=list)
    due: dict[str, float] = field(default_factory=dict)  # "channel/ts" -> when the event was due (time.time())
    statuses: dict[str, int] = field(default_factory=dict)
    resent: int = 0
    faults: list[dict[str, Any]] = field(default_factory=list)
    t0: float = 0.0

    @property
    def fault_s(self) -> float:
        return min(FAULT_S, max(self.seconds * 0.05, 1.0))

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": f"sqlite:///{self.workdir / 'natobot.db'}", "NATOBOT_JOB_LEASE": f"{self.lease:g}"}

    def now(self) -> float:
        return time.time() - self.t0


async def _post(http: aiohttp.ClientSession, url: str, body: bytes, retry: int) -> int:
    headers = sign(body)
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"})
    async with http.post(url + "/slack/events", data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def send(soak: Soak, http: aiohttp.ClientSession, i: int, at: float, prefix: str) -> None:
    channel = f"C{i % CHANNELS}"
    ts, body = mention_event(i, QUESTIONS[i % len(QUESTIONS)], event_id=f"{prefix}{i:07d}", channel=channel)
    soak.due[f"{channel}/{ts}"] = at
    for retry in range(SLACK_RETRIES + 1):
        replica = soak.replicas[(i + retry) % len(soak.replicas)]
        try:
            status = await _post(http, replica.serve.url, body, retry)
        except (aiohttp.ClientError, TimeoutError) as exc:
            status_key = type(exc).__name__
        else:
            status_key = str(status)
            if status == 200:
                soak.statuses[status_key] = soak.statuses.get(status_key, 0) + 1
                return
        soak.statuses[status_key] = soak.statuses.get(status_key, 0) + 1
        soak.resent += 1
        await asyncio.sleep(1.0)  # Slack retries after a failed delivery


async def stream(soak: Soak, http: aiohttp.ClientSession, rate: float, seconds: float, start: int,
                 prefix: str) -> list[asyncio.Task[None]]:
    tasks: list[asyncio.Task[None]] = []
    begin_wall, begin = time.time(), time.perf_counter()
    for n in range(round(rate * seconds)):
        offset = n / rate
        delay = begin + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(soak, http, start + n, begin_wall + offset, prefix)))
    return tasks


# -- faults -------------------------------------------------------------------------------------------------

async def slack_5xx(soak: Soak) -> None:
    soak.fake.fail_next("chat.postMessage", status=500, times=4)


async def slack_429(soak: Soak) -> None:
    soak.fake.fail_next("chat.postMessage", status=429, retry_after=1, times=6)


async def slack_hang(soak: Soak) -> None:
    soak.fake.hang("chat.postMessage")
    await asyncio.sleep(soak.fault_s)
    soak.fake.unhang()


async def slack_lost_answer(soak: Soak) -> None:
    soak.fake.hang_next("chat.postMessage", times=5, applied=True)
    await asyncio.sleep(15.0)  # past the 10 s call timeout, then release the hung requests
    soak.fake.unhang()


def _hold_lock(path: Path, seconds: float) -> None:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        conn.execute("ROLLBACK")
    finally:
        conn.close()


async def db_locked(soak: Soak) -> None:
    await asyncio.to_thread(_hold_lock, soak.workdir / "natobot.db", soak.fault_s)


async def sigkill(soak: Soak) -> None:
    victim = soak.replicas[0]
    victim.serve.proc.kill()
    await victim.serve.proc.wait()
    await victim.serve.stop()
    soak.retired.append(victim)
    await asyncio.sleep(soak.fault_s)
    serve = await start_serve(soak.fake.url, soak.workdir, extra_env=soak.env())
    soak.replicas[0] = Replica("A (restarted)", serve)
    # Its first figure now: a short run can end before the sampler's next round reaches it.
    with contextlib.suppress(psutil.Error):
        soak.replicas[0].rss.append((soak.now(), int(psutil.Process(serve.pid).memory_info().rss)))


async def burst(soak: Soak, http: aiohttp.ClientSession) -> list[asyncio.Task[None]]:
    return await stream(soak, http, soak.rate * 5, soak.fault_s, 5_000_000, f"EvBURST{uuid.uuid4().hex[:6]}")


FAULTS: list[tuple[float, str]] = [(0.1, "slack-5xx"), (0.2, "slack-429"), (0.3, "slack-hang"),
                                   (0.4, "slack-lost-answer"), (0.5, "db-locked"), (0.6, "sigkill"), (0.7, "burst")]


async def inject(soak: Soak, http: aiohttp.ClientSession, extra: list[asyncio.Task[None]]) -> None:
    """Each fault at its own time, whatever the others are doing (one at a time, none delaying the next)."""
    simple: dict[str, Callable[[Soak], Awaitable[None]]] = {
        "slack-5xx": slack_5xx, "slack-429": slack_429, "slack-hang": slack_hang,
        "slack-lost-answer": slack_lost_answer, "db-locked": db_locked, "sigkill": sigkill}

    async def one(share: float, name: str) -> None:
        delay = soak.t0 + share * soak.seconds - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        started = soak.now()
        if name == "burst":
            extra.extend(await burst(soak, http))
        else:
            await simple[name](soak)
        soak.faults.append({"fault": name, "at_s": round(started, 1), "ended_s": round(soak.now(), 1)})

    await asyncio.gather(*(one(share, name) for share, name in FAULTS))
    soak.faults.sort(key=lambda f: float(f["at_s"]))


async def sample_rss(soak: Soak) -> None:
    while True:
        for replica in soak.replicas:
            with contextlib.suppress(psutil.Error):
                replica.rss.append((soak.now(), int(psutil.Process(replica.serve.pid).memory_info().rss)))
        await asyncio.sleep(RSS_EVERY_S)


# -- the run ------------------------------------------------------------------------------------------------

async def queued_jobs(workdir: Path) -> int:
    store = await Store.open(f"sqlite:///{workdir / 'natobot.db'}")
    try:
        return (await JobStore(store, lease=timedelta(seconds=1)).counts()).get("queued", 0)
    finally:
        await store.close()


async def drain(soak: Soak, timeout: float) -> None:
    """Until every event has a message in its thread and no job is queued: nothing more can be posted then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        threads = {f"{m.get('channel')}/{m.get('thread_ts')}" for m in _messages(soak)}
        if all(key in threads for key in soak.due) and await queued_jobs(soak.workdir) == 0:
            return
        await asyncio.sleep(1.0)


def _messages(soak: Soak) -> list[dict[str, Any]]:
    out = []
    for channel, messages in soak.fake.messages.items():
        out += [{**m, "channel": channel} for m in messages]
    return out


@dataclass
class _Tally:
    """What became of the due events, thread by thread."""

    lost: int = 0
    doubled: int = 0
    apologies: int = 0
    busy: int = 0
    lost_at: dict[int, int] = field(default_factory=dict)  # 10-second bucket of the run -> events lost then
    latency_by_key: dict[str, float] = field(default_factory=dict)


def _tally(soak: Soak, by_thread: dict[str, list[dict[str, Any]]]) -> _Tally:
    out = _Tally()
    for key, due in soak.due.items():
        messages = by_thread.get(key, [])
        if not messages:
            out.lost += 1
            bucket = int((due - soak.t0) // 10 * 10)
            out.lost_at[bucket] = out.lost_at.get(bucket, 0) + 1
            continue
        out.doubled += len(messages) > 1
        texts = [str(m.get("text") or "") for m in messages]
        out.apologies += any(t.startswith(APOLOGY_PREFIX) for t in texts)
        out.busy += any(t == BUSY for t in texts)
        out.latency_by_key[key] = min(float(m["ts"]) for m in messages) - due
    return out


def _rss(soak: Soak) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """Each replica's memory: start, peak and end, and one sample a minute."""
    rss: dict[str, Any] = {}
    for replica in [*soak.retired, *soak.replicas]:
        values = [v for _, v in replica.rss]
        if values:
            rss[replica.name] = {"start_mb": round(values[0] / 2**20, 1), "peak_mb": round(max(values) / 2**20, 1),
                                 "end_mb": round(values[-1] / 2**20, 1), "minutes": round(replica.rss[-1][0] / 60, 1)}
    rss_by_minute: dict[str, list[float]] = {}
    for replica in [*soak.retired, *soak.replicas]:
        minutes: dict[int, int] = {}
        for at, value in replica.rss:
            minutes.setdefault(int(at // 60), value)
        rss_by_minute[replica.name] = [round(v / 2**20, 1) for _, v in sorted(minutes.items())]
    return rss, rss_by_minute


def report(soak: Soak, sent_s: float) -> dict[str, Any]:
    by_thread: dict[str, list[dict[str, Any]]] = {}
    for message in _messages(soak):
        by_thread.setdefault(f"{message['channel']}/{message.get('thread_ts')}", []).append(message)
    t = _tally(soak, by_thread)
    lost, doubled, apologies, busy, latency_by_key = t.lost, t.doubled, t.apologies, t.busy, t.latency_by_key
    latencies = list(latency_by_key.values())
    unexpected = sum(1 for key in by_thread if key not in soak.due and not key.startswith(f"{WARM_CHANNEL}/"))
    rss, rss_by_minute = _rss(soak)
    ms = {k: round(v * 1000, 1) for k, v in percentiles(latencies).items()}
    # Outside the faults: events due more than a minute after any fault began or ended (or before the first).
    windows = [(soak.t0 + f["at_s"], soak.t0 + f["ended_s"] + STEADY_AFTER_S) for f in soak.faults]
    steady = [lat for key, lat in latency_by_key.items()
              if not any(start <= soak.due[key] <= end for start, end in windows)]
    steady_ms = {k: round(v * 1000, 1) for k, v in percentiles(steady).items()}
    return {"seconds": soak.seconds, "rate": soak.rate, "lease_s": soak.lease, "events": len(soak.due),
            "send_seconds": round(sent_s, 1), "acks": soak.statuses, "resent_like_slack": soak.resent,
            "answered": len(soak.due) - lost - busy, "lost": lost, "doubled": doubled, "apologies": apologies,
            "busy": busy, "unexpected_threads": unexpected, "reply_ms": ms, "reply_ms_outside_faults": steady_ms,
            "steady_events": len(steady), "rss": rss, "rss_mb_by_minute": rss_by_minute, "faults": soak.faults,
            "lost_by_10s": {str(k): v for k, v in sorted(t.lost_at.items())},
            "python": sys.version.split()[0], "cores": os.cpu_count()}


async def run(seconds: float, rate: float, lease: float, *, workdir: Path | None = None,
              keep: Path | None = None) -> dict[str, Any]:
    """One soak; `keep` is a directory for each serve process's log."""
    fake = load_fake().FakeSlack()
    await fake.start()
    tmp = tempfile.TemporaryDirectory(prefix="natobot-soak-")
    soak = Soak(seconds=seconds, rate=rate, lease=lease, workdir=workdir or Path(tmp.name), fake=fake)
    soak.workdir.mkdir(parents=True, exist_ok=True)
    sampler: asyncio.Task[None] | None = None
    try:
        first = await start_serve(fake.url, soak.workdir, extra_env=soak.env())
        second = await start_serve(fake.url, soak.workdir, extra_env=soak.env())
        soak.replicas = [Replica("A", first), Replica("B", second)]
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as http:
            for n, replica in enumerate(soak.replicas):  # warm-up, not counted
                _, body = mention_event(9_000_000 + n, QUESTIONS[0], event_id=f"EvWARM{n}{uuid.uuid4().hex[:6]}",
                                        channel=WARM_CHANNEL)
                await _post(http, replica.serve.url, body, 0)
            await fake.wait_for("chat.postMessage", 2, timeout=30)
            soak.t0 = time.time()
            sampler = asyncio.create_task(sample_rss(soak))
            extra: list[asyncio.Task[None]] = []
            injector = asyncio.create_task(inject(soak, http, extra))
            began = time.perf_counter()
            tasks = await stream(soak, http, rate, seconds, 0, f"EvSOAK{uuid.uuid4().hex[:6]}")
            sent_s = time.perf_counter() - began
            await injector
            await asyncio.gather(*tasks, *extra)
            await drain(soak, timeout=lease * 3 + 120)
        return report(soak, sent_s)
    finally:
        if sampler is not None:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        for replica in soak.replicas:
            await replica.serve.stop()
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for n, replica in enumerate([*soak.retired, *soak.replicas]):
                (keep / f"serve-{n}.log").write_text("\n".join(replica.serve.stderr) + "\n", encoding="utf-8")
        await fake.stop()
        tmp.cleanup()


def format_report(r: dict[str, Any]) -> str:
    lines = [f"natobot soak: {r['events']} events over {r['seconds']:g} s at {r['rate']:g}/s "
             f"(+ a burst), two replicas on SQLite, lease {r['lease_s']:g} s",
             f"  answered {r['answered']}, lost {r['lost']}, doubled {r['doubled']}, apologies {r['apologies']}, "
             f"busy {r['busy']}, resent like Slack {r['resent_like_slack']}",
             "  reply latency ms: " + ", ".join(f"{k} {v}" for k, v in r["reply_ms"].items()),
             f"  outside the faults ({r['steady_events']} events): "
             + ", ".join(f"{k} {v}" for k, v in r["reply_ms_outside_faults"].items())]
    for name, figures in r["rss"].items():
        lines.append(f"  RSS {name}: start {figures['start_mb']} MB, peak {figures['peak_mb']} MB, "
                     f"end {figures['end_mb']} MB after {figures['minutes']} min")
    lines.append("  faults: " + ", ".join(f"{f['fault']} at {f['at_s']} s" for f in r["faults"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--lease", type=float, default=10.0, help="NATOBOT_JOB_LEASE for both replicas")
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--keep-logs", type=Path, default=None, metavar="DIR", help="write each server's log here")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.seconds, args.rate, args.lease, keep=args.keep_logs))
    print(format_report(result))
    if args.json_out is not None:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0 if result["lost"] == 0 and result["doubled"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
