"""Slack's AI-apps assistant surface through slack_bolt's AsyncAssistant: suggested prompts on thread start,
a status while answering, answers in the assistant thread with follow-up context. HTTP and Socket Mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import slack_signing as sig
from fakeslack import FakeSlack
from slack_harness import App, header, posted, running

from handlers.assistant import PROMPTS, STATUS


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_assistant_thread(fake: FakeSlack, tmp_path: Path, mode: str) -> None:
    async with running(fake, tmp_path, mode=mode) as app:
        thread_ts = sig.new_ts()
        viewing = {"channel_id": "C77", "team_id": "T1", "enterprise_id": None}
        await app.deliver(sig.assistant_thread_started_event(thread_ts=thread_ts, context=viewing), mode=mode)
        [prompts] = await fake.wait_for("assistant.threads.setSuggestedPrompts")
        assert (prompts.params["channel_id"], prompts.params["thread_ts"]) == ("D1", thread_ts)
        assert [p["title"] for p in prompts.params["prompts"]] == [p["title"] for p in PROMPTS]
        [greeting] = await fake.wait_for("chat.postMessage")
        assert greeting.params["thread_ts"] == thread_ts and "I answer questions" in greeting.params["text"]
        await app.idle()
        assert await app.deps.store.thread_context("D1", thread_ts) == viewing

        # A question: the status first, then the answer in the assistant thread.
        await app.deliver(sig.assistant_user_message_event("what is the IMS?", thread_ts=thread_ts), mode=mode)
        calls = await fake.wait_for("chat.postMessage", 2)
        [status] = fake.calls_to("assistant.threads.setStatus")
        assert (status.params["channel_id"], status.params["thread_ts"], status.params["status"]) == (
            "D1", thread_ts, STATUS)
        assert fake.calls.index(status) < fake.calls.index(calls[1])
        answer = posted(calls[1])
        assert answer["channel"] == "D1" and answer["thread_ts"] == thread_ts
        assert "International Military Staff" in header(answer)
        [title] = await fake.wait_for("assistant.threads.setTitle")
        assert title.params["title"] == "what is the IMS?"

        # A follow-up in the same thread keeps its context; the title is set once.
        await app.deliver(sig.assistant_user_message_event("who heads it?", thread_ts=thread_ts), mode=mode)
        calls = await fake.wait_for("chat.postMessage", 3)
        assert "Director General" in header(posted(calls[2])) and posted(calls[2])["thread_ts"] == thread_ts

        # The person switches channels next to the assistant: the new context is kept.
        moved = {"channel_id": "C88", "team_id": "T1", "enterprise_id": None}
        await app.deliver(sig.assistant_thread_context_changed_event(thread_ts=thread_ts, context=moved), mode=mode)
        await app.idle()
        assert await app.deps.store.thread_context("D1", thread_ts) == moved
        assert len(fake.calls_to("assistant.threads.setStatus")) == 2
        assert len(fake.calls_to("assistant.threads.setTitle")) == 1
        assert len(fake.calls_to("chat.postMessage")) == 3


async def test_a_question_edited_in_an_assistant_thread_updates_the_answer(app: App, fake: FakeSlack) -> None:
    thread_ts = sig.new_ts()
    question = sig.assistant_user_message_event("where is SHAPE?", thread_ts=thread_ts)
    await app.event(question)
    await fake.wait_for("chat.postMessage")
    await app.idle()
    await app.event(sig.message_changed_event(question, "where is JFC Naples?"))
    [update] = await fake.wait_for("chat.update")
    assert "Naples" in header(posted(update))
    await app.event(sig.message_deleted_event(question))
    await fake.wait_for("chat.delete")
    await app.idle()


async def test_a_top_level_dm_is_still_answered_by_the_dm_listener(app: App, fake: FakeSlack) -> None:
    await app.event(sig.message_im_event("where is SHAPE?"))
    [call] = await fake.wait_for("chat.postMessage")
    assert "thread_ts" not in call.params
    await app.idle()
    assert not fake.calls_to("assistant.threads.setStatus")
