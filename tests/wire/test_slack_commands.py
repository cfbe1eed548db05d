"""`/nato` and the buttons: sub-commands, ack within 3 s, ephemeral + Share, related questions, feedback."""

from __future__ import annotations

import json
import time

import pytest
import slack_signing as sig
from fakeslack import BOT_ID, BOT_USER_ID, FakeSlack
from slack_harness import App, buttons, header, posted

from bot.answering.context import Context
from bot.answering.engine import Engine

COMMANDS = [
    # (text, what the header says, or None for usage)
    ("", None),
    ("help", None),
    ("HELP", None),
    ("who heads the IMS?", "International Military Staff"),
    ("lookup SHAPE", "Supreme Headquarters Allied Powers Europe"),
    ("objective 2.1", "Strengthen sharing of responsibility"),
    ("goal 3", "NATO's Global Role"),
    ("divisions", "Divisions of the International Military Staff"),
    ("commands", "NATO command structure"),
]

# The fixtures (fake, app, no_proxies) live in tests/slack_fixtures.py.


@pytest.mark.parametrize(("text", "expected"), COMMANDS)
async def test_nato_sub_commands(app: App, fake: FakeSlack, text: str, expected: str | None) -> None:
    started = time.perf_counter()
    status, body = await app.command(text)
    acked = time.perf_counter() - started
    assert (status, body) == (200, "")  # an empty ack; the answer follows on the response_url
    assert acked < 3.0
    [call] = await fake.wait_for("response_url")
    reply = posted(call)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"]
    if expected is None:
        assert "How to ask natobot" in header(reply)
        return
    assert expected in header(reply)
    share = [b for b in buttons(reply) if b["action_id"] == "natobot_share"]
    assert [b["value"] for b in share] == [text]


@pytest.mark.parametrize("text", ["frobnicate", "settings"])  # `lookup` alone opens a modal: test_slack_lookup
async def test_unknown_sub_command_gets_usage_not_an_error(app: App, fake: FakeSlack, text: str) -> None:
    status, _ = await app.command(text)
    assert status == 200
    [call] = await fake.wait_for("response_url")
    reply = posted(call)
    assert reply["response_type"] == "ephemeral"
    assert "How to ask natobot" in json.dumps(reply["blocks"])
    assert "Sorry" not in reply["text"]


async def test_ack_comes_before_the_answer(app: App, fake: FakeSlack) -> None:
    # The response_url is slow to accept the answer (a 500 first, retried), yet the command was acked at once.
    fake.fail_next("response_url", status=500)
    started = time.perf_counter()
    status, _ = await app.command("where is SHAPE?")
    assert status == 200 and time.perf_counter() - started < 1.0
    calls = await fake.wait_for("response_url", 2)
    assert "SHAPE" in header(posted(calls[1])) and "Mons" in header(posted(calls[1]))


async def test_share_in_channel_posts_the_answer_and_removes_the_private_copy(app: App, fake: FakeSlack) -> None:
    status, _ = await app.action("natobot_share", "lookup SHAPE", ephemeral=True, user="U3", token="share")
    assert status == 200
    shared, deleted = await fake.wait_for("response_url", 2)
    reply = posted(shared)
    assert reply["response_type"] == "in_channel"
    assert "Supreme Headquarters Allied Powers Europe" in header(reply)
    assert "<@U3>" in json.dumps(reply["blocks"])
    assert not [b for b in buttons(reply) if b["action_id"] == "natobot_share"]
    assert deleted.params == {"delete_original": True}


async def test_related_question_button_asks_in_the_same_thread_with_context(
    app: App, fake: FakeSlack, engine: Engine,
) -> None:
    question = sig.app_mention_event("what is the IMS?")
    await app.event(question)
    [answer_call] = await fake.wait_for("chat.postMessage")
    related = [b for b in buttons(posted(answer_call)) if b["action_id"].startswith("natobot_ask_")]
    assert related, "an answer offers related questions"
    # The bot's answer sits in the thread under the question; a button there asks in that thread.
    message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": "answer",
               "ts": "1700000000.000100", "thread_ts": question["ts"]}
    await app.action(related[0]["action_id"], related[0]["value"], message=message, message_ts=message["ts"])
    # A person clicks the next button after reading the answer: by then the thread's subject is saved. Without
    # this wait the two answers race for the context (on a busy machine the second could load it first).
    await app.idle()
    await app.action("natobot_ask_1", "who heads it?", message=message, message_ts=message["ts"])
    calls = await fake.wait_for("chat.postMessage", 3)
    for call in calls[1:]:
        assert posted(call)["thread_ts"] == question["ts"]
        assert posted(call)["channel"] == "C1"
    # "it" is the thread's subject after the related question: what the engine says with that context.
    context = Context()
    engine.ask("what is the IMS?", context)
    engine.ask(related[0]["value"], context)
    expected = engine.ask("who heads it?", context)
    assert expected.text.split("\n")[0][:60] in header(posted(calls[2]))


async def test_button_on_an_ephemeral_answer_answers_ephemerally(app: App, fake: FakeSlack) -> None:
    await app.action("natobot_ask_0", "Where is SHAPE?", ephemeral=True)
    [call] = await fake.wait_for("response_url")
    reply = posted(call)
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "SHAPE" in header(reply) and "Mons" in header(reply)


async def test_feedback_is_stored_one_vote_per_person_and_message(app: App, fake: FakeSlack) -> None:
    value = json.dumps({"q": "who heads the IMS?", "e": "ims"})
    await app.action("natobot_feedback_up", value, user="U1", message_ts="1700000000.000500")
    await app.action("natobot_feedback_down", value, user="U1", message_ts="1700000000.000500")
    await app.action("natobot_feedback_up", value, user="U2", message_ts="1700000000.000500")
    await app.action("natobot_feedback_up", "not json", user="U3", ephemeral=True)
    await app.idle()
    assert await app.deps.store.feedback_counts() == {"up": 2, "down": 1}
    # No "thanks" messages pile up: the clicked message itself is closed (tests/wire/test_slack_feedback.py).
    assert not fake.calls_to("chat.postEphemeral") and not fake.calls_to("chat.postMessage")


async def test_nato_digest_subscribe_status_now_through_slack(app: App, fake: FakeSlack) -> None:
    status, _ = await app.command("digest subscribe 08:30 Europe/Paris weekdays")
    assert status == 200
    [call] = await fake.wait_for("response_url")
    assert "08:30" in posted(call)["text"]
    sub = await app.deps.store.subscription("C1")
    assert sub is not None and (sub.time, sub.tz, sub.weekdays) == ("08:30", "Europe/Paris", True)

    await app.command("digest now")
    [post] = await fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C1"
    assert "Objective" in post.params["text"]

    await app.command("digest unsubscribe")
    await fake.wait_for("response_url", count=3)
    assert await app.deps.store.subscription("C1") is None


async def test_nato_digest_bad_zone_is_a_clear_answer(app: App, fake: FakeSlack) -> None:
    await app.command("digest subscribe 09:00 Mars/Olympus")
    [call] = await fake.wait_for("response_url")
    reply = posted(call)
    assert reply["response_type"] == "ephemeral"
    assert "Mars/Olympus" in reply["text"]
    assert await app.deps.store.subscription("C1") is None
