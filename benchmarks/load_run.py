"""One rate of the load benchmark: start the servers, warm them up, offer signed mentions open-loop on a fixed
schedule, drain the replies, and turn what came back into one result row (`benchmarks.load` says what each
figure means, and prints the report)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from benchmarks.load_serve import Sampler, ServeProcess, busy_seconds, read_metrics, scratch_postgres, start_serve
from benchmarks.slack_rig import load_fake, mention_event, percentiles, sign

# Slack retries an event whose HTTP response takes longer than this.
SLACK_ACK_DEADLINE_S = 3.0
# Keep-alive connections the client holds to each replica, as Slack's delivery holds a bounded number. Unbounded,
# the client opened ever more under a stall, each ~78 KB of the server's RSS, so the RSS trace measured the
# client's connection count. 64 carries 400 events/s while acks average under 160 ms (Little's law), above
# every rate run here; past that an event waits for a connection, and the wait counts in its ack and reply
# times (both are timed from when it was due).
CLIENT_CONNECTIONS = 64

# Questions the knowledge base answers, and some it does not (they get the fallback, and are recorded as
# unanswered: a different database write).
QUESTIONS = (
    "who heads the IMS?", "where is SHAPE?", "objective 2.1", "what is the Military Committee?",
    "where is JFC Naples?", "what does ACT do?", "who is the Chairman of the Military Committee?", "goal 3",
    "what are the IMS divisions?", "where is Allied Air Command?", "where is JFC Brunssum?",
    "what does the Military Committee do?",
    "what is the weather in brussels?", "recipe for pancakes", "who won the world cup?",
    "what is the capital of france?",
)


def _ms(values: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if math.isnan(v) else round(v * 1000, 2)) for k, v in values.items()}


@dataclass
class _Run:
    """One rate's servers and samplers, and what the sender recorded while offering events to them."""

    fake: Any  # tests/fakeslack.py's FakeSlack, loaded by path
    servers: list[ServeProcess]
    rate: float
    total: int
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    samplers: list[Sampler] = field(init=False)
    me: Sampler = field(default_factory=lambda: Sampler(os.getpid()))
    due: dict[str, float] = field(default_factory=dict)  # thread ts -> when the event was due to be sent (time.time())
    lag: list[float] = field(default_factory=list)  # how late the sender actually started each request
    acks: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    rss_trace: list[dict[str, Any]] = field(default_factory=list)
    # (servers' CPU, this process's CPU, the servers' loop threads' CPU) in seconds: before sending, when the
    # last event is sent, and after the drain.
    readings: list[tuple[float, float, float]] = field(default_factory=list)
    machine: list[Any] = field(default_factory=list)  # psutil.cpu_times() before and after sending
    wall0: float = 0.0
    sent_s: float = 0.0
    in_time: int = 0  # replies posted by the end of the drain; later ones (during shutdown) count as lost
    counters: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.samplers = [Sampler(server.pid) for server in self.servers]

    def read(self) -> None:
        cpu = sum(s.sample()[1] for s in self.samplers)
        me = self.me.sample()[1]
        self.readings.append((cpu, me, sum(s.main_thread_cpu() for s in self.samplers)))

    def trace(self, sent: int) -> None:
        with contextlib.suppress(psutil.Error):
            self.rss_trace.append({"events": sent, "rss_mb": [round(s.proc.memory_info().rss / 2**20, 1)
                                                              for s in self.samplers]})


async def run_rate(rate: float, seconds: float, *, drain: float = 15.0, log_level: str = "INFO",
                   keep_dir: Path | None = None, profile: Path | None = None, kind: str = "natobot",
                   replicas: int = 1, database: str = "sqlite", database_url: str | None = None,
                   before: Path | None = None, events: int | None = None, rss_every: int = 0) -> dict[str, Any]:
    """Offer `rate` events/s for `seconds` (or until `events` are sent) to `replicas` fresh servers of `kind`,
    and measure what comes back."""
    async with contextlib.AsyncExitStack() as stack:
        env: dict[str, str] = {}
        if database == "postgresql" and kind != "floor":
            if not database_url:
                raise SystemExit("--database postgresql needs --database-url (or NATOBOT_BENCH_PG_URL)")
            env["DATABASE_URL"] = await stack.enter_async_context(scratch_postgres(database_url))
        return await _run_rate(rate, seconds, drain=drain, log_level=log_level, keep_dir=keep_dir, profile=profile,
                               kind=kind, replicas=replicas, env=env, before=before, events=events,
                               rss_every=rss_every, database=database)


async def _run_rate(rate: float, seconds: float, *, drain: float, log_level: str, keep_dir: Path | None,
                    profile: Path | None, kind: str, replicas: int, env: dict[str, str], before: Path | None,
                    events: int | None, rss_every: int, database: str) -> dict[str, Any]:
    fake = load_fake().FakeSlack()
    await fake.start()
    tmp = tempfile.TemporaryDirectory(prefix="natobot-load-")
    workdir = keep_dir or Path(tmp.name)
    workdir.mkdir(parents=True, exist_ok=True)
    total = events if events else round(rate * seconds)
    try:
        servers = await _start_servers(fake.url, workdir, replicas=replicas, log_level=log_level, profile=profile,
                                       env=env, kind=kind, before=before)
    except BaseException:
        await fake.stop()
        tmp.cleanup()
        raise
    run = _Run(fake=fake, servers=servers, rate=rate, total=total)
    try:
        await _measure(run, drain=drain, rss_every=rss_every, kind=kind)
    finally:
        exit_codes = await _stop(run)
        tmp.cleanup()
    return _row(run, kind=kind, replicas=replicas, database=database, seconds=total / rate, exit_codes=exit_codes)


async def _start_servers(url: str, workdir: Path, *, replicas: int, log_level: str, profile: Path | None,
                         env: dict[str, str], kind: str, before: Path | None) -> list[ServeProcess]:
    servers: list[ServeProcess] = []
    try:
        for n in range(replicas):
            prof = profile.with_name(f"{profile.stem}-{n}{profile.suffix}") if profile and replicas > 1 else profile
            servers.append(await start_serve(url, workdir, log_level=log_level, profile=prof, extra_env=env,
                                             kind=kind, root=before if kind == "before" else None))
    except BaseException:
        for server in servers:
            await server.stop()
        raise
    return servers


async def _stop(run: _Run) -> list[int]:
    for sampler in run.samplers:
        await sampler.stop()
    await run.me.stop()
    exit_codes = [await server.stop() for server in run.servers]
    await run.fake.stop()
    return exit_codes


async def _measure(run: _Run, *, drain: float, rss_every: int, kind: str) -> None:
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=CLIENT_CONNECTIONS, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        urls = [server.url + "/slack/events" for server in run.servers]
        await _warm_up(http, urls, run)
        await _offer(http, urls, run, rss_every)
        await _drain(run, drain)
        if kind != "floor":
            run.counters = await _counters(http, run.servers)


async def _warm_up(http: aiohttp.ClientSession, urls: list[str], run: _Run) -> None:
    """Not counted: auth.test, the connection pools, the databases' first writes."""
    warm = 5 * len(urls)
    for i in range(warm):
        _ts, body = mention_event(9_000_000 + i, QUESTIONS[i % len(QUESTIONS)], event_id=f"EvWARM{run.run_id}{i}")
        async with http.post(urls[i % len(urls)], data=body, headers=sign(body)) as r:
            await r.read()
    await run.fake.wait_for("chat.postMessage", warm, timeout=10)
    await asyncio.sleep(0.2)
    run.fake.calls.clear()


async def _send(http: aiohttp.ClientSession, urls: list[str], run: _Run, i: int, at: float) -> None:
    ts, body = mention_event(i, QUESTIONS[i % len(QUESTIONS)], event_id=f"EvLOAD{run.run_id}{i:07d}")
    headers = sign(body)
    run.due[ts] = at
    run.lag.append(time.time() - at)
    try:
        async with http.post(urls[i % len(urls)], data=body, headers=headers) as r:
            await r.read()
            run.statuses[str(r.status)] += 1
    except (aiohttp.ClientError, TimeoutError) as exc:
        run.statuses[type(exc).__name__] += 1
        return
    run.acks.append(time.time() - at)


async def _offer(http: aiohttp.ClientSession, urls: list[str], run: _Run, rss_every: int) -> None:
    """Send `run.total` events on a fixed schedule, whatever the responses do (open-loop)."""
    for sampler in run.samplers:
        sampler.start()
    run.me.start()
    run.read()
    run.machine.append(psutil.cpu_times())
    tasks: set[asyncio.Task[None]] = set()
    if rss_every:
        run.trace(0)
    run.wall0, t0 = time.time(), time.perf_counter()
    for i in range(run.total):
        offset = i / run.rate
        delay = t0 + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_send(http, urls, run, i, run.wall0 + offset))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if rss_every and (i + 1) % rss_every == 0:
            run.trace(i + 1)
    run.sent_s = time.perf_counter() - t0
    run.read()
    run.machine.append(psutil.cpu_times())
    if tasks:
        await asyncio.gather(*tasks)


async def _drain(run: _Run, drain: float) -> None:
    """Wait for the replies still coming, then a little longer for any second reply."""
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline:
        if sum(1 for c in run.fake.calls if c.method == "chat.postMessage") >= run.total:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    run.read()
    run.in_time = len(run.fake.calls)


async def _counters(http: aiohttp.ClientSession, servers: list[ServeProcess]) -> dict[str, float]:
    counters: dict[str, float] = {}
    for server in servers:
        for name, value in (await read_metrics(http, server.url)).items():
            counters[name] = counters.get(name, 0.0) + value
    return counters


def _replies(run: _Run) -> tuple[dict[str, list[float]], int]:
    """Thread ts -> when each reply arrived by the end of the drain, and how many were answered only later."""
    replies: dict[str, list[float]] = {}  # shutdown included, at first
    for call in run.fake.calls:
        if call.method == "chat.postMessage":
            replies.setdefault(str(call.params.get("thread_ts")), []).append(call.at)
    late = {str(c.params.get("thread_ts")) for c in run.fake.calls[run.in_time:] if c.method == "chat.postMessage"}
    answered_late = sum(1 for ts in run.due if ts in late and ts in replies and len(replies[ts]) == 1)
    for ts in late:  # answered only during the shutdown drain: too late to count as answered
        if ts in replies and len(replies[ts]) == 1:
            del replies[ts]
    return replies, answered_late


def _row(run: _Run, *, kind: str, replicas: int, database: str, seconds: float,
         exit_codes: list[int]) -> dict[str, Any]:
    replies, answered_late = _replies(run)
    due = run.due
    latencies = [min(replies[ts]) - at for ts, at in due.items() if ts in replies]
    answered = sum(1 for ts in due if ts in replies)
    last_reply = max((min(replies[ts]) for ts in due if ts in replies), default=run.wall0)
    span = max(last_reply - run.wall0, seconds)
    return {
        "server": kind,
        "replicas": replicas,
        "database": "none" if kind == "floor" else database,
        "offered_rate": run.rate,
        "seconds": round(seconds, 3),
        "events": run.total,
        "send_seconds": round(run.sent_s, 3),
        "answered": answered,
        "achieved_rate": round(answered / span, 2),
        "lost": run.total - answered,
        "answered_during_shutdown": answered_late,
        **_once(replies, due),
        **_http_figures(run, latencies),
        **_cpu_figures(run),
        "server_metrics": run.counters,
        "server_exit_code": max(exit_codes, key=abs, default=0),
        "server_errors_logged": [line for server in run.servers for line in server.stderr
                                 if " ERROR " in line or "Traceback" in line][:20],
    }


def _once(replies: dict[str, list[float]], due: dict[str, float]) -> dict[str, int]:
    return {"doubled": sum(1 for ts in due if len(replies.get(ts, [])) > 1),
            "unexpected_replies": sum(len(v) for ts, v in replies.items() if ts not in due)}


def _http_figures(run: _Run, latencies: list[float]) -> dict[str, Any]:
    return {
        "http_status": dict(run.statuses),
        "http_errors": sum(n for status, n in run.statuses.items() if status != "200"),
        "acks_over_3s": sum(1 for a in run.acks if a > SLACK_ACK_DEADLINE_S),
        "ack_ms": _ms(percentiles(run.acks)),
        "reply_ms": _ms(percentiles(latencies)),
        "send_lag_ms": _ms(percentiles(run.lag)),
    }


def _cpu_figures(run: _Run) -> dict[str, Any]:
    (cpu0, me0, loop0), (cpu1, me1, loop1), (cpu2, me2, loop2) = run.readings
    machine0, machine1 = run.machine
    sent_s, total, samplers = run.sent_s, run.total, run.samplers
    return {
        "server_cpu_pct": round((cpu1 - cpu0) / sent_s * 100, 1),
        "server_cpu_peak_pct": round(max((s.peak_pct() for s in samplers), default=0.0), 1),
        # The event loops' threads alone: near 100% each means the loops are the bottleneck.
        "server_loop_cpu_pct": round((loop1 - loop0) / sent_s * 100, 1),
        "server_loop_cpu_ms_per_event": round((loop2 - loop0) / max(total, 1) * 1000, 3),
        "server_cpu_ms_per_event": round((cpu2 - cpu0) / max(total, 1) * 1000, 3),
        "server_peak_rss_mb": round(max((s.peak_rss for s in samplers), default=0) / 2**20, 1),
        "rss_trace": run.rss_trace,
        "bench_cpu_pct": round((me1 - me0) / sent_s * 100, 1),
        # Everything else on the machine while sending (other processes), in % of one core: a check that the
        # figures were not taken on a busy machine.
        "other_cpu_pct": round(busy_seconds(machine0, machine1) / sent_s * 100
                               - (cpu1 - cpu0 + me1 - me0) / sent_s * 100, 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "bench_cpu_ms_per_event": round((me2 - me0) / max(total, 1) * 1000, 3),
    }
