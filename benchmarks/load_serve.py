"""The load benchmark's parts around the server: starting and stopping `natobot serve` (or the floor) as a child
process, sampling its CPU and RSS, reading its /metrics, and a scratch PostgreSQL database per run.
`benchmarks.load_run` drives them at one rate; `benchmarks.load` is the command line and the report."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from benchmarks.slack_rig import SECRET

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
SAMPLE_EVERY_S = 0.25
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


def busy_seconds(before: Any, after: Any) -> float:
    """Machine-wide CPU seconds spent busy (all cores) between two psutil.cpu_times() readings."""
    idle = ("idle", "iowait")
    return float(sum(getattr(after, f) - getattr(before, f) for f in after._fields if f not in idle))


async def read_metrics(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
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
