"""Edits and deletions are followed: chat.update for an edited question, chat.delete for a deleted one, from
any replica (the mapping is in the database). HTTP and Socket Mode, against the fake Web API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import slack_signing as sig
from fakeslack import BOT_ID, BOT_USER_ID, FakeSlack
from slack_harness import App, header, posted, running


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_edit_updates_and_delete_deletes_the_answer_in_a_thread(fake: FakeSlack, tmp_path: Path,
                                                                       mode: str) -> None:
    async with running(fake, tmp_path, mode=mode) as app:
        question = sig.app_mention_event("who heads the IMS?")
        await app.deliver(question, mode=mode)
        await fake.wait_for("chat.postMessage")
        await app.idle()  # the answer is posted and its mapping stored
        [answer] = fake.messages["C1"]
        answer_ts = answer["ts"]

        # The person fixes their question. Slack sends message_changed and, as it mentions the bot, an edited
        # app_mention for the same edit: one chat.update.
        changed = sig.message_changed_event(question, "where is SHAPE?", with_mention=True)
        await app.deliver(changed, mode=mode)
        mention_again = {**question, "text": changed["message"]["text"], "edited": changed["message"]["edited"]}
        await app.deliver(mention_again, mode=mode)
        [update] = await fake.wait_for("chat.update")
        await app.idle()
        assert len(fake.calls_to("chat.update")) == 1
        assert update.params["channel"] == "C1" and update.params["ts"] == answer_ts
        assert "SHAPE" in header(posted(update)) and "Mons" in header(posted(update))
        assert "Director General" not in header(posted(update))

        # An edit that changes nothing a person wrote (a link preview arriving) does nothing.
        unfurl = sig.message_changed_event(question, "where is SHAPE?", with_mention=True)
        unfurl["previous_message"]["text"] = unfurl["message"]["text"]
        await app.deliver(unfurl, mode=mode)

        # The question is deleted: so is the answer, once, even if Slack delivers the deletion twice.
        deleted = sig.message_deleted_event(question)
        await app.deliver(deleted, mode=mode)
        await app.deliver(deleted, mode=mode)
        [delete] = await fake.wait_for("chat.delete")
        await app.idle()
        assert (delete.params["channel"], delete.params["ts"]) == ("C1", answer_ts)
        assert len(fake.calls_to("chat.delete")) == 1 and len(fake.calls_to("chat.update")) == 1
        assert len(fake.calls_to("chat.postMessage")) == 1
        assert await app.deps.store.reply_for("C1", question["ts"]) is None


async def test_dm_edit_and_delete(app: App, fake: FakeSlack) -> None:
    question = sig.message_im_event("where is SHAPE?")
    await app.event(question)
    await fake.wait_for("chat.postMessage")
    await app.idle()
    await app.event(sig.message_changed_event(question, "where is JFC Naples?"))
    [update] = await fake.wait_for("chat.update")
    assert update.params["channel"] == "D1" and "Naples" in header(posted(update))
    await app.event(sig.message_deleted_event(question))
    [delete] = await fake.wait_for("chat.delete")
    assert delete.params["channel"] == "D1" and delete.params["ts"] == update.params["ts"]
    await app.idle()


async def test_a_thread_parent_deleted_with_replies_leaves_a_tombstone(app: App, fake: FakeSlack) -> None:
    question = sig.app_mention_event("what is the IMS?")
    await app.event(question)
    await fake.wait_for("chat.postMessage")
    await app.idle()
    tomb = sig.message_changed_event(question, "This message was deleted.")
    tomb["message"] = {"type": "message", "subtype": "tombstone", "text": "This message was deleted.",
                       "user": "USLACKBOT", "hidden": True, "ts": question["ts"], "thread_ts": question["ts"]}
    await app.event(tomb)
    [delete] = await fake.wait_for("chat.delete")
    assert delete.params["channel"] == "C1"
    await app.idle()


async def test_edits_natobot_did_not_answer_are_ignored(app: App, fake: FakeSlack) -> None:
    chatter = sig.message_event("lunch at noon?")  # natobot never answered it
    await app.event(sig.message_changed_event(chatter, "lunch at one?"))
    await app.event(sig.message_deleted_event(chatter))
    # natobot's own answer being edited (by chat.update) or deleted is not a question.
    own = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": "x", "ts": sig.new_ts(), "channel": "C1"}
    own_edit = sig.message_changed_event(own, "y")
    own_edit["message"]["bot_id"] = BOT_ID
    await app.event(own_edit)
    await app.event(sig.message_deleted_event(own))
    await app.idle()
    assert not [c for c in fake.calls if c.method.startswith("chat.")]


async def test_an_edit_that_adds_the_mention_gets_an_answer(app: App, fake: FakeSlack) -> None:
    plain = sig.message_event("where is SHAPE?")
    mention = {**sig.app_mention_event("where is SHAPE?", ts=plain["ts"]), "edited": {"user": "U1", "ts": "2.0"}}
    await app.event(mention)
    [call] = await fake.wait_for("chat.postMessage")
    assert posted(call)["thread_ts"] == plain["ts"] and "Mons" in header(posted(call))
    await app.idle()
    assert not fake.calls_to("chat.update")


async def test_another_replica_follows_the_edit(fake: FakeSlack, tmp_path: Path) -> None:
    """The answer is posted by one replica; the edit and the deletion reach another (same database)."""
    question = sig.app_mention_event("who heads the IMS?")
    async with running(fake, tmp_path) as first:
        await first.event(question)
        await fake.wait_for("chat.postMessage")
        await first.idle()
    async with running(fake, tmp_path) as second:
        await second.event(sig.message_changed_event(question, "where is SHAPE?", with_mention=True))
        [update] = await fake.wait_for("chat.update")
        await second.event(sig.message_deleted_event(question))
        [delete] = await fake.wait_for("chat.delete")
        await second.idle()
    assert update.params["ts"] == delete.params["ts"]
    assert json.loads(json.dumps(update.params["blocks"]))  # a full card, not text only
