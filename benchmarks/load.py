"""Load test: real `natobot serve` processes over HTTP against a fake Slack Web API, beside a floor, at several rates.

    python -m benchmarks.load [--rates 50,100,200,400] [--seconds 30] [--drain 15] [--replicas 2]
                             [--servers floor,natobot] [--before DIR] [--database sqlite|postgresql]
                             [--database-url URL] [--events N --rss-every N] [--log-level INFO]
                             [--json-out docs/benchmarks/load.json] [--plot docs/benchmarks/load.png]
                             [--profile /tmp/serve.prof]   # each server under cProfile, for finding hot spots

For each server kind and rate, `--replicas` fresh processes are started (they share one fresh database: a SQLite
file, or a scratch PostgreSQL database made on the server of `--database-url` and dropped afterwards), pointed at
the fake Slack by SLACK_API_URL, and signed app_mention events are sent to them in turn, open-loop: on a fixed
schedule, whatever the responses do. The kinds:

- `natobot`: `natobot serve --mode http` from this checkout;
- `before`: the same from the checkout at `--before DIR` (the code before a change, measured in the same run);
- `floor`: `benchmarks.floor`, a bare aiohttp server that checks the signature, parses the JSON and makes one
  aiohttp POST per event: the least any Slack app over HTTP spends, to which natobot's CPU per event is compared.

Each event is a new mention (unique event_id and ts) with a question drawn from a fixed mix, some of them out of
scope. The fake Slack (tests/fakeslack.py) runs in this process and records when each chat.postMessage arrives;
the reply to an event is the one posted in its thread (thread_ts = the mention's ts).

Per kind and rate: replies per second achieved, ack time (HTTP response) and event-to-reply latency at
p50/p95/p99 (both measured from the time the event was *due* to be sent, so a lagging sender cannot hide
queueing), events lost (no reply after the drain) or answered more than once, acks slower than Slack's 3 s
(Slack would retry them), HTTP errors, and the server processes' CPU (all replicas together, as % of one core),
their event loops' threads alone, CPU milliseconds per event, peak RSS (the largest replica), and how busy the
rest of the machine was (`other %`: figures taken on a busy machine understate what the server can do). With
`--events N` a rate runs until N events are sent, and `--rss-every` samples every replica's RSS each that many
events (the memory trace). The knee is the first rate where reply p95 exceeds KNEE_P95_MS, or a reply is lost or
doubled, or fewer than 95% of the offered events are answered per second. Events still unanswered when the drain
ends count as lost, even if the server answers them while it shuts down (`answered_during_shutdown` in the JSON).
The targets line compares natobot's CPU per event with the floor's at each rate (target at most
CPU_RATIO_TARGET times) and checks reply p95 at TARGET_RATE against TARGET_P95_MS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import platform
import re
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from benchmarks.slack_rig import SECRET, load_fake, mention_event, percentiles, sign

# A reply p95 over half a second is where a Slack user starts to notice the bot "thinking", and well before
# that the curve is flat: once one process cannot keep up, the queue (and p95) grows without bound, so the
# knee barely moves with the exact figure chosen here.
KNEE_P95_MS = 500.0
# Achieved replies per second below this share of the offered rate means the server is falling behind.
KNEE_ACHIEVED_SHARE = 0.95
# Slack retries an event whose HTTP response takes longer than this.
SLACK_ACK_DEADLINE_S = 3.0
DEFAULT_RATES = (50.0, 100.0, 200.0, 400.0)
# Issue 13's targets: CPU per event at most twice the floor's; 400 events/s with reply p95 within 50 ms.
CPU_RATIO_TARGET = 2.0
TARGET_RATE = 400.0
TARGET_P95_MS = 50.0
KINDS = ("floor", "natobot", "before")
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
SAMPLE_EVERY_S = 0.25

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
_SERVING = re.compile(r"health and metrics on (http://\S+)")


@dataclass
class ServeProcess:
    """A running `natobot serve` child process and what it logged."""

    proc: asyncio.subprocess.Process
    url: str
    stderr: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    async def stop(self) -> int:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        return int(self.proc.returncode or 0)


async def start_serve(api_url: str, workdir: Path, *, log_level: str = "INFO",
                      profile: Path | None = None, extra_env: dict[str, str] | None = None,
                      kind: str = "natobot", root: Path | None = None) -> ServeProcess:
    """Start `python -m bot serve --mode http` on a free port, configured only by its environment.

    With `profile`, the server runs under cProfile and writes its stats there when it stops. `extra_env`
    (DATABASE_URL, NATOBOT_JOB_LEASE...) is applied last. `kind` "floor" starts benchmarks.floor instead;
    `root` is the checkout whose code runs (default: this one).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NATOBOT_", "DATABASE_URL"))}
    env.update({
        "SLACK_BOT_TOKEN": "xoxb-bench-load",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite:///{workdir / 'natobot.db'}",
        "NATOBOT_DATA_DIR": str(workdir),
        "HOST": "127.0.0.1",
        "PORT": "0",  # the server logs the port it bound
        "LOG_LEVEL": log_level,
        "PYTHONUNBUFFERED": "1",
    })
    if root is not None:  # another checkout's engine build is cached apart, or the two would evict each other
        tag = hashlib.sha256(bytes(root)).hexdigest()[:8]
        env["NATOBOT_CACHE_DIR"] = str(Path.home() / ".cache" / f"natobot-{tag}")
    env.update(extra_env or {})
    # The project root on the path, and the child started in the work dir so no `.env` there is read.
    code = str(root or Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = code + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    prefix = ["-m", "cProfile", "-o", str(profile.resolve())] if profile else []
    args = ["-m", "benchmarks.floor"] if kind == "floor" else ["-m", "bot", "serve", "--mode", "http"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *prefix, *args, cwd=workdir, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    server = ServeProcess(proc=proc, url="")

    async def read_stderr() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:  # read to the end, or a full pipe would block the server
            line = raw.decode(errors="replace").rstrip()
            server.stderr.append(line)
            match = _SERVING.search(line)
            if match and not found.done():
                found.set_result(match.group(1))
        if not found.done():
            found.set_exception(RuntimeError("natobot serve exited before serving:\n" + "\n".join(server.stderr)))

    server.reader = asyncio.create_task(read_stderr())
    try:
        server.url = await asyncio.wait_for(found, STARTUP_TIMEOUT_S)
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(server.url + "/healthz") as r:
                        if r.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise RuntimeError("natobot serve never became healthy")
                await asyncio.sleep(0.1)
    except BaseException:
        await server.stop()
        raise
    return server


class Sampler:
    """Samples a process's CPU times and RSS in the background."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak_rss = 0
        self.samples: list[tuple[float, float]] = []  # (monotonic time, user+system CPU seconds)
        self._task: asyncio.Task[None] | None = None

    def cpu(self) -> float:
        times = self.proc.cpu_times()
        return float(times.user + times.system)

    def main_thread_cpu(self) -> float:
        """CPU seconds of the main thread alone: the one running the event loop."""
        for thread in self.proc.threads():
            if thread.id == self.proc.pid:
                return float(thread.user_time + thread.system_time)
        return 0.0

    def sample(self) -> tuple[float, float]:
        now, cpu = time.monotonic(), self.cpu()
        self.peak_rss = max(self.peak_rss, int(self.proc.memory_info().rss))
        self.samples.append((now, cpu))
        return now, cpu

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(psutil.Error):
                self.sample()
            await asyncio.sleep(SAMPLE_EVERY_S)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def peak_pct(self, window: float = 1.0) -> float:
        """The highest CPU use over any `window` seconds, as % of one core."""
        best, j = 0.0, 0
        for i, (t, cpu) in enumerate(self.samples):
            while j < i and t - self.samples[j][0] > window:
                j += 1
            span = t - self.samples[j][0]
            if span >= window * 0.75:
                best = max(best, (cpu - self.samples[j][1]) / span * 100)
        return best


def _busy(before: Any, after: Any) -> float:
    """Machine-wide CPU seconds spent busy (all cores) between two psutil.cpu_times() readings."""
    idle = ("idle", "iowait")
    return float(sum(getattr(after, f) - getattr(before, f) for f in after._fields if f not in idle))


def _ms(values: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if math.isnan(v) else round(v * 1000, 2)) for k, v in values.items()}


async def _metrics(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """natobot's own counters from /metrics (requests, answers, errors, duplicates)."""
    wanted = ("natobot_requests_total", "natobot_answers_total", "natobot_errors_total",
              "natobot_duplicate_events_total", "natobot_rejected_requests_total")
    out: dict[str, float] = {}
    try:
        async with http.get(url + "/metrics") as r:
            body = await r.text()
    except aiohttp.ClientError:
        return out
    for line in body.splitlines():
        name, _, value = line.partition(" ")
        if name.split("{")[0] in wanted:
            out[name] = float(value)
    return out


@contextlib.asynccontextmanager
async def scratch_postgres(url: str) -> AsyncIterator[str]:
    """A new, empty database on the PostgreSQL server at `url`, dropped afterwards: each run starts clean."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.store.engine import async_url

    parsed = async_url(url)
    name = f"natobot_load_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield parsed.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def default_pg_url() -> str | None:
    return os.environ.get("NATOBOT_BENCH_PG_URL") or os.environ.get("NATOBOT_TEST_PG_URL")


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
    fakeslack = load_fake()
    fake = fakeslack.FakeSlack()
    await fake.start()
    tmp = tempfile.TemporaryDirectory(prefix="natobot-load-")
    workdir = keep_dir or Path(tmp.name)
    workdir.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    total = events if events else round(rate * seconds)
    seconds = total / rate
    due: dict[str, float] = {}  # thread ts -> when the event was due to be sent (time.time())
    lag: list[float] = []  # how late the sender actually started each request
    acks: list[float] = []
    statuses: Counter[str] = Counter()
    rss_trace: list[dict[str, Any]] = []
    servers: list[ServeProcess] = []
    try:
        for n in range(replicas):
            prof = profile.with_name(f"{profile.stem}-{n}{profile.suffix}") if profile and replicas > 1 else profile
            servers.append(await start_serve(fake.url, workdir, log_level=log_level, profile=prof, extra_env=env,
                                             kind=kind, root=before if kind == "before" else None))
    except BaseException:
        for server in servers:
            await server.stop()
        await fake.stop()
        tmp.cleanup()
        raise
    samplers = [Sampler(server.pid) for server in servers]
    me = Sampler(os.getpid())

    def cpu() -> float:
        return sum(s.sample()[1] for s in samplers)

    def loop_cpu() -> float:
        return sum(s.main_thread_cpu() for s in samplers)

    try:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            urls = [server.url + "/slack/events" for server in servers]
            # Warm-up, not counted: auth.test, the connection pools, the databases' first writes.
            warm = 5 * len(urls)
            for i in range(warm):
                _ts, body = mention_event(9_000_000 + i, QUESTIONS[i % len(QUESTIONS)], event_id=f"EvWARM{run_id}{i}")
                async with http.post(urls[i % len(urls)], data=body, headers=sign(body)) as r:
                    await r.read()
            await fake.wait_for("chat.postMessage", warm, timeout=10)
            await asyncio.sleep(0.2)
            fake.calls.clear()

            async def send(i: int, at: float) -> None:
                ts, body = mention_event(i, QUESTIONS[i % len(QUESTIONS)], event_id=f"EvLOAD{run_id}{i:07d}")
                headers = sign(body)
                due[ts] = at
                lag.append(time.time() - at)
                try:
                    async with http.post(urls[i % len(urls)], data=body, headers=headers) as r:
                        await r.read()
                        statuses[str(r.status)] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    statuses[type(exc).__name__] += 1
                    return
                acks.append(time.time() - at)

            def trace(sent: int) -> None:
                with contextlib.suppress(psutil.Error):
                    rss_trace.append({"events": sent, "rss_mb": [round(s.proc.memory_info().rss / 2**20, 1)
                                                                 for s in samplers]})

            for sampler in samplers:
                sampler.start()
            me.start()
            cpu0, me0, loop0 = cpu(), me.sample()[1], loop_cpu()
            machine0 = psutil.cpu_times()
            tasks: set[asyncio.Task[None]] = set()
            if rss_every:
                trace(0)
            wall0, t0 = time.time(), time.perf_counter()
            for i in range(total):
                offset = i / rate
                delay = t0 + offset - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(send(i, wall0 + offset))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                if rss_every and (i + 1) % rss_every == 0:
                    trace(i + 1)
            sent_s = time.perf_counter() - t0
            cpu1, me1, loop1 = cpu(), me.sample()[1], loop_cpu()
            machine1 = psutil.cpu_times()
            if tasks:
                await asyncio.gather(*tasks)
            # Drain: wait for the replies still coming, then a little longer for any second reply.
            deadline = time.monotonic() + drain
            while time.monotonic() < deadline:
                if sum(1 for c in fake.calls if c.method == "chat.postMessage") >= total:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
            cpu2, me2, loop2 = cpu(), me.sample()[1], loop_cpu()
            in_time = len(fake.calls)  # replies after this (while the server shuts down) count as lost, but late
            counters: dict[str, float] = {}
            if kind != "floor":
                for server in servers:
                    for name, value in (await _metrics(http, server.url)).items():
                        counters[name] = counters.get(name, 0.0) + value
    finally:
        for sampler in samplers:
            await sampler.stop()
        await me.stop()
        exit_codes = [await server.stop() for server in servers]
        await fake.stop()
        tmp.cleanup()

    replies: dict[str, list[float]] = {}  # thread ts -> when each reply arrived, shutdown included
    for call in fake.calls:
        if call.method == "chat.postMessage":
            replies.setdefault(str(call.params.get("thread_ts")), []).append(call.at)
    late = {str(c.params.get("thread_ts")) for c in fake.calls[in_time:] if c.method == "chat.postMessage"}
    answered_late = sum(1 for ts in due if ts in late and ts in replies and len(replies[ts]) == 1)
    for ts in late:  # answered only during the shutdown drain: too late to count as answered
        if ts in replies and len(replies[ts]) == 1:
            del replies[ts]
    latencies = [min(replies[ts]) - at for ts, at in due.items() if ts in replies]
    answered = sum(1 for ts in due if ts in replies)
    last_reply = max((min(replies[ts]) for ts in due if ts in replies), default=wall0)
    span = max(last_reply - wall0, seconds)
    http_errors = sum(n for status, n in statuses.items() if status != "200")
    return {
        "server": kind,
        "replicas": replicas,
        "database": "none" if kind == "floor" else database,
        "offered_rate": rate,
        "seconds": round(seconds, 3),
        "events": total,
        "send_seconds": round(sent_s, 3),
        "answered": answered,
        "achieved_rate": round(answered / span, 2),
        "lost": total - answered,
        "answered_during_shutdown": answered_late,
        "doubled": sum(1 for ts in due if len(replies.get(ts, [])) > 1),
        "unexpected_replies": sum(len(v) for ts, v in replies.items() if ts not in due),
        "http_status": dict(statuses),
        "http_errors": http_errors,
        "acks_over_3s": sum(1 for a in acks if a > SLACK_ACK_DEADLINE_S),
        "ack_ms": _ms(percentiles(acks)),
        "reply_ms": _ms(percentiles(latencies)),
        "send_lag_ms": _ms(percentiles(lag)),
        "server_cpu_pct": round((cpu1 - cpu0) / sent_s * 100, 1),
        "server_cpu_peak_pct": round(max((s.peak_pct() for s in samplers), default=0.0), 1),
        # The event loops' threads alone: near 100% each means the loops are the bottleneck.
        "server_loop_cpu_pct": round((loop1 - loop0) / sent_s * 100, 1),
        "server_loop_cpu_ms_per_event": round((loop2 - loop0) / max(total, 1) * 1000, 3),
        "server_cpu_ms_per_event": round((cpu2 - cpu0) / max(total, 1) * 1000, 3),
        "server_peak_rss_mb": round(max((s.peak_rss for s in samplers), default=0) / 2**20, 1),
        "rss_trace": rss_trace,
        "bench_cpu_pct": round((me1 - me0) / sent_s * 100, 1),
        # Everything else on the machine while sending (other processes), in % of one core: a check that the
        # figures were not taken on a busy machine.
        "other_cpu_pct": round(_busy(machine0, machine1) / sent_s * 100 - (cpu1 - cpu0 + me1 - me0) / sent_s * 100, 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "bench_cpu_ms_per_event": round((me2 - me0) / max(total, 1) * 1000, 3),
        "server_metrics": counters,
        "server_exit_code": max(exit_codes, key=abs, default=0),
        "server_errors_logged": [line for server in servers for line in server.stderr
                                 if " ERROR " in line or "Traceback" in line][:20],
    }


def knee(results: list[dict[str, Any]], target_ms: float = KNEE_P95_MS) -> dict[str, Any]:
    """natobot's first rate that misses: reply p95 over target, anything lost or doubled, or achieved < 95%."""
    for r in sorted((r for r in results if r.get("server", "natobot") == "natobot"), key=lambda r: r["offered_rate"]):
        reasons = []
        p95 = r["reply_ms"]["p95"]
        if p95 is None or p95 > target_ms:
            reasons.append(f"reply p95 {p95} ms > {target_ms:g} ms")
        if r["lost"]:
            reasons.append(f"{r['lost']} lost")
        if r["doubled"]:
            reasons.append(f"{r['doubled']} doubled")
        if r["achieved_rate"] < KNEE_ACHIEVED_SHARE * r["offered_rate"]:
            reasons.append(f"achieved {r['achieved_rate']:g}/s < {KNEE_ACHIEVED_SHARE:.0%} of offered")
        if reasons:
            return {"rate": r["offered_rate"], "reasons": reasons, "server_cpu_pct": r["server_cpu_pct"]}
    return {"rate": None, "reasons": [], "server_cpu_pct": None}


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rate: natobot's CPU per event over the floor's (and over the code before, if it ran), and whether
    its reply p95 and exactly-once held."""
    by_rate: dict[float, dict[str, dict[str, Any]]] = {}
    for r in results:
        by_rate.setdefault(r["offered_rate"], {})[r.get("server", "natobot")] = r
    out = []
    for rate, kinds in sorted(by_rate.items()):
        ours = kinds.get("natobot")
        if ours is None:
            continue
        row: dict[str, Any] = {"rate": rate, "cpu_ms_per_event": ours["server_cpu_ms_per_event"],
                               "reply_p95_ms": ours["reply_ms"]["p95"],
                               "exactly_once": not (ours["lost"] or ours["doubled"] or ours["unexpected_replies"])}
        for other in ("floor", "before"):
            if other in kinds and kinds[other]["server_cpu_ms_per_event"]:
                row[f"{other}_cpu_ms_per_event"] = kinds[other]["server_cpu_ms_per_event"]
                row[f"over_{other}"] = round(ours["server_cpu_ms_per_event"] / kinds[other]["server_cpu_ms_per_event"],
                                             2)
        if "before" in kinds:
            row["before_reply_p95_ms"] = kinds["before"]["reply_ms"]["p95"]
        out.append(row)
    return out


async def run(rates: list[float], seconds: float, *, drain: float = 15.0, log_level: str = "INFO",
              progress: bool = True, profile: Path | None = None, kinds: tuple[str, ...] = ("floor", "natobot"),
              replicas: int = 1, database: str = "sqlite", database_url: str | None = None,
              before: Path | None = None, events: int | None = None, rss_every: int = 0) -> dict[str, Any]:
    results = []
    for rate in rates:
        for kind in kinds:  # each rate for every kind in turn, so drift in the machine's speed hits them alike
            if progress:
                what = f"{events:,} events" if events else f"{seconds:g} s"
                print(f"... {kind}: {rate:g} events/s for {what}, {replicas} replica(s)", file=sys.stderr, flush=True)
            prof = profile.with_name(f"{profile.stem}-{kind}-{rate:g}{profile.suffix}") if profile else None
            results.append(await run_rate(rate, seconds, drain=drain, log_level=log_level, profile=prof, kind=kind,
                                          replicas=replicas, database=database, database_url=database_url,
                                          before=before, events=events, rss_every=rss_every))
    return {
        "benchmark": "natobot serve over HTTP beside a bare-aiohttp floor, fake Slack Web API, open-loop app_mention "
                     "events",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "seconds_per_rate": seconds,
        "drain_seconds": drain,
        "replicas": replicas,
        "database": database,
        "knee_target_p95_ms": KNEE_P95_MS,
        "results": results,
        "knee": knee(results),
        "targets": targets(results),
    }


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _target_line(t: dict[str, Any], replicas: int) -> str:
    parts = [f"at {t['rate']:g}/s natobot {t['cpu_ms_per_event']:.2f} ms CPU per event"]
    if "over_floor" in t:
        verdict = "met" if t["over_floor"] <= CPU_RATIO_TARGET else "MISSED"
        parts.append(f"{t['over_floor']:.2f}x the floor's {t['floor_cpu_ms_per_event']:.2f} "
                     f"(target <= {CPU_RATIO_TARGET:g}x: {verdict})")
    if "over_before" in t:
        parts.append(f"{t['over_before']:.2f}x the code before ({t['before_cpu_ms_per_event']:.2f} ms, reply p95 "
                     f"{_f(t['before_reply_p95_ms'])} ms)")
    if t["rate"] == TARGET_RATE:
        ok = t["reply_p95_ms"] is not None and t["reply_p95_ms"] <= TARGET_P95_MS and t["exactly_once"]
        parts.append(f"reply p95 {_f(t['reply_p95_ms'])} ms across {replicas} process(es) "
                     f"(target <= {TARGET_P95_MS:g} ms, each answered once: {'met' if ok else 'MISSED'})")
    return "; ".join(parts)


def table(report: dict[str, Any]) -> str:
    head = (f"{'server':>8} {'offered/s':>9} {'achieved/s':>10} {'ack p50':>8} {'ack p95':>8} {'reply p50':>9} "
            f"{'reply p95':>9} {'reply p99':>9} {'lost':>5} {'doubled':>7} {'ack>3s':>6} {'http err':>8} "
            f"{'CPU %':>6} {'loop %':>6} {'CPU ms/ev':>9} {'RSS MB':>6} {'other %':>7}")
    replicas = int(report.get("replicas", 1))
    lines = [f"{replicas} replica(s) per server, database {report.get('database', 'sqlite')}, "
             f"{report['seconds_per_rate']:g} s per rate, {report['machine']['cpus']} CPUs; latencies in ms from the "
             "time each event was due; CPU % of one core (all replicas)", head]
    for r in report["results"]:
        ack, reply = r["ack_ms"], r["reply_ms"]
        lines.append(
            f"{r.get('server', 'natobot'):>8} {r['offered_rate']:>9g} {r['achieved_rate']:>10.1f} {_f(ack['p50']):>8} "
            f"{_f(ack['p95']):>8} {_f(reply['p50']):>9} {_f(reply['p95']):>9} {_f(reply['p99']):>9} {r['lost']:>5} "
            f"{r['doubled']:>7} {r['acks_over_3s']:>6} {r['http_errors']:>8} {r['server_cpu_pct']:>6.1f} "
            f"{r['server_loop_cpu_pct']:>6.1f} "
            f"{r['server_cpu_ms_per_event']:>9.2f} {r['server_peak_rss_mb']:>6.0f} {r['other_cpu_pct']:>7.0f}")
    lines += [_target_line(t, replicas) for t in report.get("targets", [])]
    for r in report["results"]:
        if r.get("rss_trace"):
            steps = ", ".join(f"{p['events']:,}: {'/'.join(f'{m:.0f}' for m in p['rss_mb'])}" for p in r["rss_trace"])
            lines.append(f"RSS MB of {r.get('server', 'natobot')} after N events ({r['offered_rate']:g}/s): {steps}")
    k = report["knee"]
    if k["rate"] is None:
        top = max(r["offered_rate"] for r in report["results"])
        lines.append(f"knee: none up to {top:g} events/s (reply p95 <= {report['knee_target_p95_ms']:g} ms, "
                     "nothing lost or doubled, achieved >= 95% of offered)")
    else:
        lines.append(f"knee: {k['rate']:g} events/s ({'; '.join(k['reasons'])}); server CPU there "
                     f"{k['server_cpu_pct']:.0f}% of one core")
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours = sorted((r for r in report["results"] if r.get("server", "natobot") == "natobot"),
                  key=lambda r: r["offered_rate"])
    rates = [r["offered_rate"] for r in ours]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, style in (("p50", "o-"), ("p95", "s-"), ("p99", "^-")):
        ax.plot(rates, [r["reply_ms"][key] if r["reply_ms"][key] is not None else float("nan") for r in ours],
                style, label=f"reply {key}")
    ax.axhline(report["knee_target_p95_ms"], color="grey", linestyle=":",
               label=f"p95 knee {report['knee_target_p95_ms']:g} ms")
    ax.axhline(TARGET_P95_MS, color="tab:green", linestyle=":", label=f"p95 target {TARGET_P95_MS:g} ms")
    ax.set_yscale("log")
    ax.set_xlabel("offered app_mention events per second")
    ax.set_ylabel("event-to-reply latency (ms, log)")
    ax.set_xticks(rates)
    cpu = ax.twinx()
    for kind, style in (("natobot", "d--"), ("floor", "x:"), ("before", "+-.")):
        rows = sorted((r for r in report["results"] if r.get("server", "natobot") == kind),
                      key=lambda r: r["offered_rate"])
        if rows:
            cpu.plot([r["offered_rate"] for r in rows], [r["server_cpu_ms_per_event"] for r in rows], style,
                     label=f"{kind} CPU ms/event")
    cpu.set_ylabel("CPU ms per event (all replicas)")
    cpu.set_ylim(0, max(1.0, max(r["server_cpu_ms_per_event"] for r in report["results"]) * 1.2))
    lines, labels = ax.get_legend_handles_labels()
    lines2, labels2 = cpu.get_legend_handles_labels()
    ax.legend(lines + lines2, labels + labels2, loc="upper left", fontsize="small")
    k = report["knee"]
    title = f"natobot serve under load, {report.get('replicas', 1)} replica(s), {report.get('database', 'sqlite')}"
    if k["rate"] is not None:
        title += f": knee at {k['rate']:g} events/s"
    ax.set_title(title, fontsize="medium")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default=",".join(f"{r:g}" for r in DEFAULT_RATES),
                        help="comma-separated events per second (default 50,100,200,400)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send at each rate (default 30)")
    parser.add_argument("--events", type=int, default=None, help="send this many events per rate instead")
    parser.add_argument("--rss-every", type=int, default=0, metavar="N",
                        help="sample every replica's RSS each N events (the memory trace)")
    parser.add_argument("--drain", type=float, default=15.0, help="how long to wait for late replies (default 15)")
    parser.add_argument("--replicas", type=int, default=1, help="server processes per kind, sent events in turn")
    parser.add_argument("--servers", default="floor,natobot",
                        help="kinds to run, comma-separated: floor, natobot, before (default floor,natobot)")
    parser.add_argument("--before", type=Path, default=None,
                        help="checkout of the code before a change, run as server kind 'before'")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=default_pg_url(),
                        help="PostgreSQL server for --database postgresql (a scratch database is made there and "
                             "dropped; default $NATOBOT_BENCH_PG_URL or $NATOBOT_TEST_PG_URL)")
    parser.add_argument("--log-level", default="INFO", help="the server's LOG_LEVEL (default INFO, as deployed)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="run each server under cProfile, writing PROFILE-<kind>-<rate>.prof-style stats files")
    parser.add_argument("--json-out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--plot", type=Path, default=None, help="write a PNG of latency and CPU against rate")
    args = parser.parse_args(argv)
    try:
        rates = [float(r) for r in args.rates.split(",") if r.strip()]
    except ValueError:
        parser.error("--rates takes numbers separated by commas, like 50,100,200")
    if not rates or any(r <= 0 for r in rates) or args.seconds <= 0 or args.replicas < 1:
        parser.error("rates, --seconds and --replicas must be positive")
    kinds = tuple(k.strip() for k in args.servers.split(",") if k.strip())
    if not kinds or any(k not in KINDS for k in kinds):
        parser.error(f"--servers takes some of {', '.join(KINDS)}")
    if "before" in kinds and (args.before is None or not (args.before / "bot").is_dir()):
        parser.error("--servers before needs --before DIR, a checkout with the code before the change")
    if args.database == "postgresql" and not args.database_url:
        parser.error("--database postgresql needs --database-url or NATOBOT_BENCH_PG_URL")
    report = asyncio.run(run(rates, args.seconds, drain=args.drain, log_level=args.log_level.upper(),
                             profile=args.profile, kinds=kinds, replicas=args.replicas, database=args.database,
                             database_url=args.database_url, before=args.before.resolve() if args.before else None,
                             events=args.events, rss_every=args.rss_every))
    print(table(report))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.plot:
        plot(report, args.plot)
    # Lost replies past the knee are a finding; a doubled or stray reply is a bug.
    bad = any(r["doubled"] or r["unexpected_replies"] for r in report["results"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
