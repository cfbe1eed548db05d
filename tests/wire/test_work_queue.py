"""The work queue through the real HTTP server and Bolt, against the fake Slack: nothing lost, nothing doubled.

No test sleeps to decide that nothing more will happen: each waits until every job it made is finished in the
database (a finished job is never run again), then counts what reached the fake Slack.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import slack_signing as sig
from fakeslack import FakeSlack
from slack_harness import App, engine, finished, header, posted, running

from bot.answering.answer import Answer
from bot.answering.context import Context
from bot.slack.metrics import Metrics
from bot.slack.poster import Poster
from bot.slack.work import BUSY


def replies_in(fake: FakeSlack, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in fake.posts_in(channel, thread_ts) if m["ts"] != thread_ts]


async def test_the_job_is_recorded_before_the_ack(app: App, fake: FakeSlack) -> None:
    fake.hang_next("chat.postMessage")  # the answer cannot go out yet
    status, _ = await app.event(sig.app_mention_event("who heads the IMS?"))
    assert status == 200
    # Slack has its 200 and will not send again: the job must already be in the database.
    assert await app.deps.work.jobs.counts() == {"queued": 1}
    fake.unhang()
    assert await finished(app, 1) == {"done": 1}
    assert len(fake.messages["C1"]) == 1


async def test_a_replayed_slash_command_and_a_retried_event_are_answered_once(app: App, fake: FakeSlack) -> None:
    body = sig.form_body(sig.slash_command("who heads the IMS?", response_url=fake.response_url("r1")))
    assert (await app.post(body, json_body=False))[0] == 200
    assert (await app.post(body, json_body=False))[0] == 200  # the very same signed request again
    event = sig.event_callback(sig.app_mention_event("where is SHAPE?"))
    assert (await app.post(sig.json_body(event), json_body=True))[0] == 200
    assert (await app.post(sig.json_body(event), json_body=True, retry_num=1))[0] == 200
    assert await finished(app, 2) == {"done": 2}
    assert len(fake.calls_to("response_url")) == 1
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert app.deps.metrics.duplicates.value() == 2


async def test_an_outage_longer_than_the_budget_is_put_off_not_lost(
        fake: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    poster = Poster(Metrics(), budget=0.3, backoff=0.05, max_backoff=0.1)
    async with running(fake, tmp_path, poster=poster, natobot_job_lease=1.0) as app:
        app.deps.work.retry_first = 0.2
        fake.fail_next("chat.postMessage", status=500, times=6)
        fake.fail_next("chat.postMessage", status=429, retry_after=0, times=2)
        event = sig.app_mention_event("who heads the IMS?", channel="C9")
        await app.event(event)
        assert await finished(app, 1) == {"done": 1}
        [reply] = replies_in(fake, "C9", event["ts"])
        assert "International Military Staff" in json.dumps(reply["blocks"])
        assert app.deps.metrics.recovered.value(kind="event") >= 1
    key = f"ev:{app.sent[-1]['event_id']}"
    assert "chat.postMessage to C9 failed, giving up" in caplog.text and f"(event {key} in C9)" in caplog.text


async def test_a_post_that_reached_slack_but_timed_out_is_not_sent_again(fake: FakeSlack, tmp_path: Path) -> None:
    poster = Poster(Metrics(), call_timeout=2.0, backoff=0.05)
    async with running(fake, tmp_path, poster=poster) as app:
        fake.hang_next("chat.postMessage", applied=True)  # posted, but the answer never comes back
        event = sig.app_mention_event("where is SHAPE?", channel="C7")
        await app.event(event)
        assert await finished(app, 1) == {"done": 1}
        assert len(fake.calls_to("chat.postMessage")) == 1
        assert len(fake.calls_to("conversations.replies")) == 1
        assert len(replies_in(fake, "C7", event["ts"])) == 1


async def test_past_the_backlog_new_work_gets_a_busy_reply(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path, natobot_backlog=2) as app:
        fake.hang_next("chat.postMessage", times=2)
        held = [sig.app_mention_event(q, channel="C1") for q in ("where is SHAPE?", "where is JFC Naples?")]
        for event in held:
            await app.event(event)
        await fake.wait_for("chat.postMessage", 2)
        shed = sig.app_mention_event("who heads the IMS?", channel="C2")
        assert (await app.event(shed))[0] == 200
        shed_id = app.sent[-1]["event_id"]
        status, body = await app.command("who heads the IMS?")
        assert status == 200 and json.loads(body) == {"response_type": "ephemeral", "text": BUSY}
        await fake.wait_posts(lambda posts: any(p["text"] == BUSY for p in posts))
        assert [m["text"] for m in replies_in(fake, "C2", shed["ts"])] == [BUSY]
        assert app.deps.metrics.shed.value(kind="event") == 1
        assert app.deps.metrics.shed.value(kind="command") == 1
        assert app.deps.work.waiting() == 2  # bounded: the shed work holds no memory here
        # A retry of the shed event is dropped too (the in-memory window; shedding writes nothing).
        assert (await app.event(shed, event_id=shed_id, retry_num=1))[0] == 200
        assert app.deps.metrics.duplicates.value() == 1
        fake.unhang()
        counts = await finished(app, 2)
        assert counts == {"done": 2}
        for event, name in zip(held, ("SHAPE", "Naples"), strict=True):
            [reply] = replies_in(fake, "C1", event["ts"])
            assert name in header(posted_message(reply))


def posted_message(message: dict[str, Any]) -> dict[str, Any]:
    return {"text": message.get("text"), "blocks": message.get("blocks")}


class FlakyEngine:
    """The real engine, except that its first answer raises (a transient failure)."""

    def __init__(self) -> None:
        self.real = engine()
        self.failures = 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def ask(self, question: str, context: Context | None = None) -> Answer:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("transient")
        return self.real.ask(question, context)


async def test_a_later_answer_replaces_the_apology(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path, engine_=FlakyEngine(), natobot_job_lease=1.0) as app:  # type: ignore[arg-type]
        app.deps.work.retry_first = 0.2
        event = sig.app_mention_event("who heads the IMS?", channel="C5")
        await app.event(event)
        assert await finished(app, 1) == {"done": 1}
        [reply] = replies_in(fake, "C5", event["ts"])  # one message: the apology, replaced
        assert "International Military Staff" in json.dumps(reply["blocks"])
        assert "edited" in reply
        assert len(fake.calls_to("chat.update")) == 1


async def test_with_the_database_gone_questions_are_answered_and_dedup_falls_back_to_memory(
        fake: FakeSlack, tmp_path: Path) -> None:
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    async with running(fake, tmp_path, database_url=f"sqlite:///{db_dir / 'natobot.db'}") as app:
        await app.deps.store.close()
        db_dir.rename(tmp_path / "away")
        event = sig.event_callback(sig.message_im_event("who heads the IMS?", channel="D3"))
        assert (await app.post(sig.json_body(event), json_body=True))[0] == 200
        assert (await app.post(sig.json_body(event), json_body=True, retry_num=1))[0] == 200
        # The retry was dropped at the intake, before its ack: nothing can follow it.
        assert app.deps.metrics.duplicates.value() == 1
        [call] = await fake.wait_for("chat.postMessage")
        assert "International Military Staff" in header(posted(call))
        assert "Sorry" not in json.dumps(posted(call))


async def test_the_first_request_does_not_wait_for_auth_test(fake: FakeSlack, tmp_path: Path) -> None:
    fake.hang("auth.test")
    async with running(fake, tmp_path) as app:
        event = sig.app_mention_event("who heads the IMS?")
        status, _ = await asyncio.wait_for(app.event(event), 10)  # acked while auth.test hangs
        assert status == 200
        assert await app.deps.work.jobs.counts() == {"queued": 1}
        fake.unhang()
        [call] = await fake.wait_for("chat.postMessage", timeout=15)
        assert "International Military Staff" in header(posted(call))


async def test_answers_waiting_while_slack_hangs_go_out_in_order(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path) as app:
        app.deps.max_answering = 1  # one slot: everything else waits behind the hung answer
        fake.hang_next("chat.postMessage")
        events = [sig.app_mention_event(q, channel="C4") for q in
                  ("who heads the IMS?", "where is SHAPE?", "where is JFC Naples?", "objective 2.1", "goal 3")]
        for event in events:
            assert (await app.event(event))[0] == 200
        await fake.wait_for("chat.postMessage")  # the first is hung; the other four wait their turn
        assert app.deps.work.waiting() == 5
        fake.unhang()
        assert await finished(app, 5) == {"done": 5}
        threads = [c.params["thread_ts"] for c in fake.calls_to("chat.postMessage")]
        assert list(dict.fromkeys(threads)) == [e["ts"] for e in events]  # first replies in the order asked
        assert all(len(replies_in(fake, "C4", e["ts"])) == 1 for e in events)


async def test_past_the_in_flight_cap_requests_get_503_before_their_body_is_read(
        app: App, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.slack.server

    monkeypatch.setattr(bot.slack.server, "MAX_IN_FLIGHT", 0)
    status, body = await app.event(sig.app_mention_event("who heads the IMS?"))
    assert (status, body) == (503, "busy")
    assert app.deps.metrics.shed.value(kind="http") == 1
    assert await app.deps.work.jobs.counts() == {}  # nothing accepted: Slack sends it again later


async def test_past_the_busy_reply_rate_shed_work_is_refused_and_answered_when_slack_sends_it_again(
        fake: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.slack.work

    monkeypatch.setattr(bot.slack.work, "BUSY_PER_S", 0)
    async with running(fake, tmp_path, natobot_backlog=1) as app:
        fake.hang_next("chat.postMessage")
        await app.event(sig.app_mention_event("where is SHAPE?", channel="C1"))
        await fake.wait_for("chat.postMessage")
        refused = sig.app_mention_event("who heads the IMS?", channel="C3")
        assert (await app.event(refused))[0] == 503  # no room, no busy reply to spare: Slack will retry
        assert app.deps.metrics.shed.value(kind="refused") == 1
        fake.unhang()
        await finished(app, 1)
        # Slack's retry of the refused event is new work, not a duplicate.
        assert (await app.event(refused, event_id=app.sent[-1]["event_id"], retry_num=1))[0] == 200
        assert await finished(app, 2) == {"done": 2}
        [reply] = replies_in(fake, "C3", refused["ts"])
        assert "International Military Staff" in json.dumps(reply["blocks"])
