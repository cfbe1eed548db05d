"""Mentions, DMs, threads, auto-answer channels, ignored messages, follow-up context, dedup, App Home.

Every test goes through the real HTTP server with requests signed as Slack signs them, against FakeSlack.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import slack_signing as sig
from fakeslack import BOT_ID, BOT_USER_ID, FakeSlack
from slack_harness import App, finished, header, posted, running

from bot.answering.engine import Engine

# The fixtures (fake, app, no_proxies) live in tests/slack_fixtures.py.


async def test_mention_is_answered_in_a_thread_under_the_question(app: App, fake: FakeSlack) -> None:
    event = sig.app_mention_event("who heads the IMS?", channel="C1")
    status, body = await app.event(event)
    assert (status, body) == (200, "")
    [call] = await fake.wait_for("chat.postMessage")
    reply = posted(call)
    assert reply["channel"] == "C1"
    assert reply["thread_ts"] == event["ts"]
    assert "International Military Staff" in header(reply)
    assert reply["text"]  # always set, for notifications and screen readers
    assert "link_names" not in reply


async def test_mention_inside_a_thread_is_answered_in_that_thread(app: App, fake: FakeSlack) -> None:
    event = sig.app_mention_event("where is SHAPE?", thread_ts="1699999999.000100")
    await app.event(event)
    [call] = await fake.wait_for("chat.postMessage")
    assert posted(call)["thread_ts"] == "1699999999.000100"


async def test_dm_is_answered_in_the_dm(app: App, fake: FakeSlack) -> None:
    await app.event(sig.message_im_event("who heads the IMS?", channel="D42"))
    [call] = await fake.wait_for("chat.postMessage")
    reply = posted(call)
    assert reply["channel"] == "D42"
    assert "thread_ts" not in reply  # a DM is a conversation of its own
    assert "International Military Staff" in header(reply)


async def test_plain_channel_message_without_mention_is_not_answered(app: App, fake: FakeSlack) -> None:
    await app.event(sig.message_event("who heads the IMS?", channel="C1"))
    await app.idle()
    assert fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("auto", ["C777AUTO1", "#channel-c777auto1", "channel-c777auto1,CSOMETHING"])
async def test_auto_channel_answers_without_a_mention(fake: FakeSlack, tmp_path: Path, auto: str) -> None:
    async with running(fake, tmp_path, natobot_auto_channels=auto) as app:
        event = sig.message_event("who heads the IMS?", channel="C777AUTO1")
        await app.event(event)
        [call] = await fake.wait_for("chat.postMessage")
        assert posted(call)["thread_ts"] == event["ts"]
        # Chatter that is not a question and matches nothing gets no reply: no noise.
        await app.event(sig.message_event("lunch at noon, anyone", channel="C777AUTO1"))
        # A mention in an auto channel is answered once (by the app_mention listener), not twice.
        mention = sig.app_mention_event("where is SHAPE?", channel="C777AUTO1")
        await app.event(mention)
        await app.event(sig.message_event(mention["text"], channel="C777AUTO1", ts=mention["ts"]))
        await fake.wait_for("chat.postMessage", 2)
        await app.idle()
        assert len(fake.calls_to("chat.postMessage")) == 2


async def test_auto_channel_follows_up_only_in_threads_it_is_part_of(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path, natobot_auto_channels="C777AUTO1") as app:
        await app.event(sig.thread_message_event("who heads the IMS?", thread_ts="1690000000.000100",
                                                 channel="C777AUTO1", parent_user_id="U2"))
        await app.idle()
        assert fake.calls_to("chat.postMessage") == []
        first = sig.message_event("what is the IMS?", channel="C777AUTO1")
        await app.event(first)
        await fake.wait_for("chat.postMessage")
        await app.event(sig.thread_message_event("who heads it?", thread_ts=first["ts"], channel="C777AUTO1"))
        [_, follow] = await fake.wait_for("chat.postMessage", 2)
        assert posted(follow)["thread_ts"] == first["ts"]
        assert "International Military Staff" in header(posted(follow))


def _bot_message(**extra: Any) -> dict[str, Any]:
    event = sig.message_event("who heads the IMS?", channel="D1", channel_type="im")
    event.update(extra)
    return event


IGNORED = {
    "own message": _bot_message(user=BOT_USER_ID, bot_id=BOT_ID),
    "other bot": _bot_message(user="U9", bot_id="BOTHER", subtype="bot_message"),
    "bot without user": {**_bot_message(subtype="bot_message", bot_id="B2"), "user": None},
    "edit": _bot_message(subtype="message_changed", message={"text": "who heads the IMS?", "user": "U1"}),
    "deletion": _bot_message(subtype="message_deleted", previous_message={"text": "x"}),
    "join": _bot_message(subtype="channel_join", text="<@U1> has joined the channel"),
    "hidden": _bot_message(hidden=True),
}


@pytest.mark.parametrize("name", list(IGNORED))
async def test_ignored_messages(app: App, fake: FakeSlack, name: str) -> None:
    await app.event(IGNORED[name])
    await app.idle()
    assert fake.calls_to("chat.postMessage") == [], name


async def test_bot_mention_is_ignored_and_an_edit_adding_a_mention_is_answered_once(app: App,
                                                                                   fake: FakeSlack) -> None:
    edited = sig.app_mention_event("who heads the IMS?")
    edited["edited"] = {"user": "U1", "ts": "1700000000.000200"}  # natobot never answered it: the edit added it
    by_bot = sig.app_mention_event("who heads the IMS?")
    by_bot["bot_id"] = "BOTHER"
    await app.event(edited, event_id="EvEDITED1")
    await app.event(by_bot)
    await app.event(edited, event_id="EvEDITED1", retry_num=1)
    await app.idle()
    [answer] = fake.calls_to("chat.postMessage")
    assert posted(answer)["thread_ts"] == edited["ts"]


async def test_follow_up_context_per_thread(app: App, fake: FakeSlack) -> None:
    first = sig.app_mention_event("what is the IMS?")
    await app.event(first)
    await fake.wait_for("chat.postMessage")
    await app.event(sig.app_mention_event("who heads it?", thread_ts=first["ts"]))
    [_, follow] = await fake.wait_for("chat.postMessage", 2)
    assert posted(follow)["thread_ts"] == first["ts"]
    assert "International Military Staff" in header(posted(follow))
    # Another thread has its own context: "who heads it?" there knows nothing about the IMS.
    await app.event(sig.app_mention_event("where is SHAPE?"))
    await fake.wait_for("chat.postMessage", 3)
    other = sig.app_mention_event("who heads it?")
    await app.event(other)
    calls = await fake.wait_for("chat.postMessage", 4)
    assert "International Military Staff" not in header(posted(calls[3]))


async def test_follow_up_context_per_dm(app: App, fake: FakeSlack) -> None:
    await app.event(sig.message_im_event("what is the IMS?", channel="D7"))
    await fake.wait_for("chat.postMessage")
    await app.event(sig.message_im_event("who heads it?", channel="D7"))
    [_, follow] = await fake.wait_for("chat.postMessage", 2)
    assert "International Military Staff" in header(posted(follow))
    assert posted(follow)["channel"] == "D7"


async def test_context_is_shared_between_replicas(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path) as one, running(fake, tmp_path) as two:
        first = sig.app_mention_event("what is the IMS?")
        await one.event(first)
        await fake.wait_for("chat.postMessage")
        await two.event(sig.app_mention_event("who heads it?", thread_ts=first["ts"]))
        [_, follow] = await fake.wait_for("chat.postMessage", 2)
        assert "International Military Staff" in header(posted(follow))


async def test_slack_retries_are_never_answered_twice(app: App, fake: FakeSlack) -> None:
    event = sig.app_mention_event("who heads the IMS?")
    assert (await app.event(event, event_id="EvRETRY1"))[0] == 200
    await fake.wait_for("chat.postMessage")
    for retry in (1, 2, 3):
        assert (await app.event(event, event_id="EvRETRY1", retry_num=retry))[0] == 200
    await app.idle()
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert app.deps.metrics.duplicates.value() == 3


async def test_concurrent_deliveries_to_two_replicas_are_answered_once(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path) as one, running(fake, tmp_path) as two:
        events = [sig.app_mention_event(f"where is SHAPE? ({i})") for i in range(5)]
        sends = [replica.event(e, event_id=f"EvTWO{i}", retry_num=n)
                 for i, e in enumerate(events) for n, replica in enumerate((one, two, one))]
        assert all(status == 200 for status, _ in await asyncio.gather(*sends))
        await fake.wait_for("chat.postMessage", 5)
        await one.idle()
        await two.idle()
        assert len(fake.calls_to("chat.postMessage")) == 5
        assert sorted(posted(c)["thread_ts"] for c in fake.calls_to("chat.postMessage")) == sorted(
            e["ts"] for e in events)


async def test_unanswered_questions_are_recorded(app: App, fake: FakeSlack) -> None:
    await app.event(sig.app_mention_event("what is the weather in brussels?"))
    [call] = await fake.wait_for("chat.postMessage")
    reply = posted(call)
    assert any(b["type"] == "actions" for b in reply["blocks"])  # suggestion buttons
    await finished(app, 1)  # logged once the answer is out
    top = await app.deps.store.top_unanswered()
    assert top and "weather" in top[0][0]
    assert app.deps.metrics.fallbacks.value(status="fallback") == 1


class Exploding(Engine):
    def ask(self, question: str, context: Any = None) -> Any:
        if "boom" in question:
            raise RuntimeError("kaboom in the engine")
        return super().ask(question, context)


async def test_handler_exception_gives_an_apology_and_a_traceback(
    fake: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from slack_harness import engine

    async with running(fake, tmp_path, engine_=Exploding(engine().kb)) as app:
        event = sig.app_mention_event("boom?")
        await app.event(event)
        [call] = await fake.wait_for("chat.postMessage")
        reply = posted(call)
        assert reply["thread_ts"] == event["ts"]
        assert reply["text"].startswith("Sorry")
        assert len(reply["text"]) < 200
        assert "kaboom" in caplog.text and "Traceback" in caplog.text
        assert app.deps.metrics.errors.value(kind="handler") == 1
        # Nothing else broke: the next question is answered.
        await app.event(sig.app_mention_event("who heads the IMS?"))
        calls = await fake.wait_for("chat.postMessage", 2)
        assert "International Military Staff" in header(posted(calls[1]))


async def test_app_home_is_published_when_opened(app: App, fake: FakeSlack) -> None:
    await app.deps.store.subscribe(channel="C9DIGEST", team="T1", time="09:00", tz="Europe/Brussels", weekdays=True)
    await app.event(sig.app_home_opened_event(user="U5", tab="messages"))
    await app.event(sig.app_home_opened_event(user="U5"))
    [call] = await fake.wait_for("views.publish")
    await app.idle()
    assert len(fake.calls_to("views.publish")) == 1
    assert call.params["user_id"] == "U5"
    view = call.params["view"]
    assert view["type"] == "home"
    text = str(view["blocks"])
    assert "C9DIGEST" in text and "09:00" in text
    assert "Today's digest" in text and "July 2022" in text
