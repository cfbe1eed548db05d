"""The store's Slack state on both backends: reply mappings, feedback notes and report, assistant threads,
digest cadence, and the migration from a version-1 database."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import legacy_migrator
import pytest
from db_fixtures import Clock
from sqlalchemy import text

from bot.store.base import PURGE_EVERY
from bot.store.slack import REPLY_KEEP
from bot.store.state import Store


async def test_reply_mapping_round_trip_and_forget(store: Store) -> None:
    assert await store.reply_for("C1", "1.1") is None
    await store.save_reply(team="T1", channel="C1", question_ts="1.1", answer_channel="C1", answer_ts="2.2",
                           thread_ts="1.1", context_key="thread:T1:C1:1.1")
    reply = await store.reply_for("C1", "1.1")
    assert reply is not None and (reply.answer_channel, reply.answer_ts, reply.thread_ts) == ("C1", "2.2", "1.1")
    assert reply.context_key == "thread:T1:C1:1.1"
    # An edit answered again replaces the mapping (same question, same answer ts kept by chat.update).
    await store.save_reply(team="T1", channel="C1", question_ts="1.1", answer_channel="C1", answer_ts="3.3",
                           thread_ts=None, context_key=None)
    again = await store.reply_for("C1", "1.1")
    assert again is not None and again.answer_ts == "3.3" and again.thread_ts is None
    assert await store.forget_reply("C1", "1.1") is True
    assert await store.forget_reply("C1", "1.1") is False  # a second replica finds nothing to do
    assert await store.reply_for("C1", "1.1") is None


async def test_reply_mappings_are_pruned_with_the_rest_of_the_state(store: Store, clock: Clock) -> None:
    await store.save_reply(team="T1", channel="C1", question_ts="old", answer_channel="C1", answer_ts="a",
                           thread_ts=None, context_key=None)
    clock.advance(REPLY_KEEP + PURGE_EVERY + timedelta(minutes=1))
    await store.save_reply(team="T1", channel="C1", question_ts="new", answer_channel="C1", answer_ts="b",
                           thread_ts=None, context_key=None)
    assert await store.reply_for("C1", "old") is None
    assert await store.reply_for("C1", "new") is not None


async def test_feedback_report_groups_votes_and_notes(store: Store) -> None:
    for user, vote in (("U1", "down"), ("U2", "down"), ("U3", "up")):
        await store.record_feedback(team="T1", channel="C1", user=user, message_ts="9.1", question="Who heads the IMS?",
                                    entry="ims", vote=vote)  # type: ignore[arg-type]
    await store.record_feedback(team="T1", channel="C1", user="U1", message_ts="9.2", question="where is shape",
                                entry="shape", vote="up")
    await store.record_feedback_note(team="T1", channel="C1", user="U1", message_ts="9.1",
                                     question="Who heads the IMS?", entry="ims", reasons=["wrong", "outdated"],
                                     comment="The DG changed in 2024")
    # A second note by the same person on the same message replaces the first.
    await store.record_feedback_note(team="T1", channel="C1", user="U2", message_ts="9.1",
                                     question="who heads the ims?", entry="ims", reasons=["x"], comment=None)
    await store.record_feedback_note(team="T1", channel="C1", user="U2", message_ts="9.1",
                                     question="who heads the ims?", entry="ims", reasons=["outdated"], comment=None)
    report = await store.feedback_report()
    assert [(r.question.lower(), r.up, r.down) for r in report] == [("who heads the ims?", 1, 2),
                                                                    ("where is shape", 1, 0)]
    assert report[0].reasons == {"wrong": 1, "outdated": 2}
    assert report[0].comments == ["The DG changed in 2024"]
    assert report[1].reasons == {} and report[1].comments == []


async def test_unanswered_rows_carry_the_status(store: Store) -> None:
    await store.record_unanswered("what is the budget", status="fallback", entry=None)
    await store.record_unanswered("who heads the ims", status="not-helpful", entry="ims")
    await store.record_unanswered("who heads the ims", status="not-helpful", entry="ims")
    assert await store.unanswered_rows() == [("who heads the ims", 2, "not-helpful"),
                                             ("what is the budget", 1, "fallback")]


async def test_assistant_thread_context(store: Store) -> None:
    assert await store.thread_context("D1", "1.1") is None
    await store.save_thread_context("D1", "1.1", {"channel_id": "C9", "team_id": "T1"})
    await store.save_thread_context("D1", "1.1", {"channel_id": "C8", "team_id": "T1"})
    assert await store.thread_context("D1", "1.1") == {"channel_id": "C8", "team_id": "T1"}


@pytest.mark.parametrize(("cadence", "weekday", "error"), [
    ("daily", None, None), ("weekdays", None, None), ("weekly", 2, None),
    ("weekly", None, "day of the week"), ("weekly", 7, "day of the week"), ("hourly", None, "unknown cadence"),
])
async def test_subscription_cadence(store: Store, cadence: str, weekday: int | None, error: str | None) -> None:
    if error:
        with pytest.raises(ValueError, match=error):
            await store.subscribe(channel="C1", team="T1", time="09:00", tz="UTC", weekdays=False, cadence=cadence,
                                  weekday=weekday)
        return
    sub = await store.subscribe(channel="C1", team="T1", time="09:00", tz="UTC", weekdays=False, cadence=cadence,
                                weekday=weekday, include_management=False, subscriber="U7")
    assert (sub.cadence, sub.weekday, sub.weekdays, sub.include_management, sub.subscriber) == (
        cadence, weekday, cadence == "weekdays", False, "U7")
    # Re-subscribing without naming anyone keeps the subscriber on record.
    again = await store.subscribe(channel="C1", team="T1", time="10:00", tz="UTC", weekdays=False)
    assert (again.cadence, again.subscriber, again.include_management) == ("daily", "U7", True)


async def test_a_version_1_database_is_migrated_with_its_subscriptions(
        db_url: str, open_store: Callable[[], Awaitable[Store]]) -> None:
    store = await open_store()
    async with store.engine.begin() as conn:  # back to the old migrator's version 1, with two subscriptions
        await conn.run_sync(legacy_migrator.drop_all_tables)
        await conn.run_sync(legacy_migrator.build, 1)
        for channel, weekdays in (("C1", True), ("C2", False)):
            await conn.execute(text(
                "INSERT INTO subscriptions (channel, team, time, tz, weekdays, created_at, updated_at) VALUES "
                "(:c, 'T1', '09:00', 'UTC', :w, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"c": channel, "w": weekdays})
    await store.close()
    migrated = await open_store()
    subs = {s.channel: s for s in await migrated.subscriptions()}
    assert (subs["C1"].cadence, subs["C2"].cadence) == ("weekdays", "daily")
    assert subs["C1"].include_management and subs["C1"].subscriber is None
    # Migration 4: the scheduler's next pass looks at every existing subscription, whatever its `now`.
    assert [s.channel for s in await migrated.due_subscriptions(datetime(2001, 1, 1, tzinfo=UTC))] == ["C1", "C2"]


async def test_report_feedback_and_unanswered_cli(db_url: str, store: Store, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    from bot.cli.main import main

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return main(list(argv), out=out), out.getvalue()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert await asyncio.to_thread(run, "report", "feedback") == (0, "no feedback recorded\n")
    await store.record_feedback(team="T1", channel="C1", user="U1", message_ts="1.1", question="where is SHAPE?",
                                entry="shape", vote="down")
    await store.record_feedback(team="T1", channel="C1", user="U2", message_ts="1.2", question="who heads the IMS?",
                                entry="ims", vote="up")
    await store.record_feedback_note(team="T1", channel="C1", user="U1", message_ts="1.1", question="where is SHAPE?",
                                     entry="shape", reasons=["outdated"], comment="It moved\nlast year")
    await store.record_unanswered("where is SHAPE?", status="not-helpful", entry="shape")
    code, out = await asyncio.to_thread(run, "report", "feedback")
    assert code == 0
    assert out.splitlines() == ["+0 -1  where is SHAPE?  [shape]", "      why: outdated x1",
                                '      "It moved last year"', "+1 -0  who heads the IMS?  [ims]",
                                "2 question(s), most voted not helpful first"]
    code, out = await asyncio.to_thread(run, "report", "unanswered")
    assert out.splitlines() == ["1  where is shape  (answered; voted not helpful)", "1 question(s), most asked first"]
