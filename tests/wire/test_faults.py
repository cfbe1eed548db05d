"""Faults through real processes: `natobot serve` and `natobot digest send-due` killed with SIGKILL mid-work.

Both run on SQLite and on PostgreSQL (db_url). Each test ends by waiting until the database says every piece of
work is finished (a finished job or a sent delivery is never posted again), then counts the messages the fake
Slack holds per thread or channel: exactly one each.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
import slack_signing as sig
from db_fixtures import T0, Clock
from fakeslack import FakeSlack

from benchmarks.load import ServeProcess, start_serve
from benchmarks.slack_rig import SECRET
from bot.store.jobs import JobStore
from bot.store.schema import deliveries
from bot.store.state import Store

QUESTIONS = ("who heads the IMS?", "where is SHAPE?", "objective 2.1", "what is the Military Committee?",
             "where is JFC Naples?", "what does ACT do?", "where is JFC Brunssum?", "goal 3")
ROOT = Path(__file__).resolve().parents[2]


async def post_event(http: aiohttp.ClientSession, serve: ServeProcess, event: dict[str, object]) -> int:
    body = sig.json_body(sig.event_callback(event))
    async with http.post(serve.url + "/slack/events", data=body,
                         headers=sig.signed_headers(body, SECRET, json_body=True)) as resp:
        return resp.status


async def kill(serve: ServeProcess) -> None:
    serve.proc.kill()  # SIGKILL: no shutdown, no hand-back, nothing flushed
    await serve.proc.wait()
    await serve.stop()


async def jobs_finished(db_url: str, expected: int, timeout: float = 60.0) -> dict[str, int]:
    store = await Store.open(db_url)
    try:
        jobs = JobStore(store, lease=timedelta(seconds=1))
        deadline = time.monotonic() + timeout
        while True:
            counts = await jobs.counts()
            if counts.get("queued", 0) == 0 and sum(counts.values()) >= expected:
                return counts
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs still not finished: {counts}")
            await asyncio.sleep(0.1)
    finally:
        await store.close()


async def test_sigkill_of_serve_with_answers_in_flight_and_slack_hung(
        fake: FakeSlack, db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "NATOBOT_JOB_LEASE": "2"}
    n = 30
    # Slack hangs on every answer; for a third of them the message was posted before it stopped answering.
    for i in range(n):
        fake.hang_next("chat.postMessage", applied=i % 3 == 0)
    events = [sig.app_mention_event(QUESTIONS[i % len(QUESTIONS)], channel=f"C{i:03d}") for i in range(n)]
    serve = await start_serve(fake.url, tmp_path, extra_env=env)
    try:
        async with aiohttp.ClientSession() as http:
            statuses = [await post_event(http, serve, e) for e in events]
        assert statuses == [200] * n  # acknowledged: Slack will never send these again
        await fake.wait_for("chat.postMessage", n, timeout=30)  # every answer in flight, none answered
    finally:
        await kill(serve)
    fake.unhang()  # Slack is back; natobot starts again
    serve = await start_serve(fake.url, tmp_path, extra_env=env)
    try:
        assert await jobs_finished(db_url, n) == {"done": n}
    finally:
        assert await serve.stop() == 0
    for i, event in enumerate(events):
        replies = [m for m in fake.posts_in(f"C{i:03d}", str(event["ts"]))]
        assert len(replies) == 1, (i, replies)
        assert replies[0]["metadata"]["event_payload"]["apology"] is False
    assert not [line for line in serve.stderr if "Traceback" in line]


async def start_send_due(db_url: str, api_url: str, now: str, workdir: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NATOBOT_", "DATABASE_URL"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-fault-test", "SLACK_API_URL": api_url, "DATABASE_URL": db_url,
                "PYTHONPATH": str(ROOT)})
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "digest", "send-due", "--now", now, cwd=workdir, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@pytest.mark.parametrize("channels", [40])
async def test_sigkill_of_send_due_after_posts_reached_slack_then_rerun_doubles_nothing(
        fake: FakeSlack, db_url: str, tmp_path: Path, channels: int) -> None:
    store = await Store.open(db_url, clock=Clock(T0))
    try:
        for n in range(channels):
            await store.subscribe(channel=f"C{n:03d}", team="T1", time="09:00", tz="Europe/Brussels", weekdays=False)
    finally:
        await store.close()
    # 10 posts go through; the next 16 (send-due's concurrency) reach Slack but their answers never come back.
    posted_fine, hung = 10, 16
    fake.hang_next("chat.postMessage", times=hung, applied=True, after=posted_fine)
    first = await start_send_due(db_url, fake.url, T0.isoformat(), tmp_path)
    try:
        await fake.wait_for("chat.postMessage", posted_fine + hung, timeout=60)
    finally:
        first.kill()
        await first.communicate()
    assert first.returncode == -9
    fake.unhang()
    # After the 5-minute lease: a second run takes the interrupted deliveries over.
    second = await start_send_due(db_url, fake.url, (T0 + timedelta(minutes=6)).isoformat(), tmp_path)
    out, err = await asyncio.wait_for(second.communicate(), 120)
    assert second.returncode == 0, err.decode()
    assert f"{hung} found already posted by an interrupted run" in out.decode(), out.decode()
    for n in range(channels):
        assert len(fake.posts_in(f"C{n:03d}")) == 1, n
    store = await Store.open(db_url)
    try:
        rows = await store._read(lambda conn: conn.execute(deliveries.select()).all())
    finally:
        await store.close()
    assert len(rows) == channels and {r.status for r in rows} == {"sent"}
