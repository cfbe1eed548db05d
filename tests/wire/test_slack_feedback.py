"""Feedback that closes: one vote and the buttons on that message become "Thanks, recorded"; "Not helpful"
opens an optional "what was wrong?" form; both are stored and reach the curators' reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import slack_signing as sig
from fakeslack import FakeSlack, envelope
from slack_harness import App, buttons, posted, running


async def send(app: App, mode: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    if mode == "socket":
        return await app.fake.wait_ack(await app.fake.socket_send(envelope(kind, payload)))  # type: ignore[arg-type]
    if kind == "events_api":
        status, _ = await app.post(sig.json_body(payload), json_body=True)
    else:
        status, _ = await app.interactive(payload)
    assert status == 200
    return {}


def as_message(call_params: dict[str, Any], ts: str) -> dict[str, Any]:
    """The bot message as Slack includes it in a block_actions payload."""
    return {"type": "message", "user": "UBOT", "bot_id": "BBOT", "ts": ts, "text": call_params["text"],
            "blocks": call_params["blocks"], "thread_ts": call_params.get("thread_ts")}


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks)


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_votes_close_the_buttons_and_not_helpful_asks_what_was_wrong(fake: FakeSlack, tmp_path: Path,
                                                                           mode: str) -> None:
    async with running(fake, tmp_path, mode=mode) as app:
        first = sig.app_mention_event("who heads the IMS?")
        second = sig.app_mention_event("where is SHAPE?")
        await send(app, mode, "events_api", sig.event_callback(first))
        await send(app, mode, "events_api", sig.event_callback(second))
        calls = await fake.wait_for("chat.postMessage", 2)
        by_thread = {c.params["thread_ts"]: c for c in calls}
        helpful_card = posted(by_thread[first["ts"]])
        unhelpful_card = posted(by_thread[second["ts"]])

        # Helpful: stored, and that message's buttons give way to the thank-you line; Sources stays.
        [up] = [b for b in buttons(helpful_card) if b["action_id"] == "natobot_feedback_up"]
        message = as_message(helpful_card, "1700000000.000111")
        click = sig.block_actions("natobot_feedback_up", up["value"], user="U5", message=message,
                                  message_ts=message["ts"])
        await send(app, mode, "interactive", click)
        [update] = await fake.wait_for("chat.update")
        assert update.params["ts"] == "1700000000.000111" and update.params["channel"] == "C1"
        ids = [e["action_id"] for b in update.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert "natobot_feedback_up" not in ids and "natobot_feedback_down" not in ids and "natobot_sources" in ids
        assert "Thanks, recorded." in texts(update.params["blocks"])
        # Everything else on the card is as it was.
        assert update.params["blocks"][0] == helpful_card["blocks"][0]

        # Not helpful: the optional form opens at once (the trigger_id is only good for 3 s), the message closes.
        [down] = [b for b in buttons(unhelpful_card) if b["action_id"] == "natobot_feedback_down"]
        message = as_message(unhelpful_card, "1700000000.000222")
        click = sig.block_actions("natobot_feedback_down", down["value"], user="U6", message=message,
                                  message_ts=message["ts"])
        await send(app, mode, "interactive", click)
        [opened] = await fake.wait_for("views.open")
        assert opened.params["trigger_id"] == click["trigger_id"]
        form = opened.params["view"]
        assert form["callback_id"] == "natobot_feedback_form" and "where is SHAPE?" in texts(form["blocks"])
        await fake.wait_for("chat.update", 2)

        # The form is sent with two reasons and a comment: stored with the vote, shown in the report.
        values = {"reasons": {"reasons": {"type": "checkboxes", "selected_options": [
                      {"value": "outdated"}, {"value": "missing"}, {"value": "made-up"}]}},
                  "comment": {"comment": {"type": "plain_text_input", "value": " Add the new HQ <!here> "}}}
        ack = await send(app, mode, "interactive", sig.view_submission(form, values, user="U6"))
        assert not ack.get("payload")  # an empty ack closes the modal
        await app.idle()
        report = await app.deps.store.feedback_report()
        row = {r.question: r for r in report}["where is SHAPE?"]
        assert (row.up, row.down, row.reasons, row.comments) == (0, 1, {"outdated": 1, "missing": 1},
                                                                 ["Add the new HQ <!here>"])
        assert ("where is shape", 1, "not-helpful") in await app.deps.store.unanswered_rows()
        assert len(fake.calls_to("chat.update")) == 2 and len(fake.calls_to("chat.postMessage")) == 2
        assert not fake.calls_to("chat.postEphemeral")


async def test_a_vote_on_an_already_closed_message_is_stored_without_another_update(app: App,
                                                                                    fake: FakeSlack) -> None:
    await app.event(sig.app_mention_event("who heads the IMS?"))
    [call] = await fake.wait_for("chat.postMessage")
    card = posted(call)
    [up] = [b for b in buttons(card) if b["action_id"] == "natobot_feedback_up"]
    message = as_message(card, "1700000000.000333")
    await app.action("natobot_feedback_up", up["value"], user="U1", message=message, message_ts=message["ts"])
    [update] = await fake.wait_for("chat.update")
    # A second person's client still shows the old buttons for a moment and clicks: the vote counts, no update.
    closed = {**message, "blocks": update.params["blocks"]}
    await app.action("natobot_feedback_up", up["value"], user="U2", message=closed, message_ts=message["ts"])
    await app.idle()
    assert len(fake.calls_to("chat.update")) == 1
    assert await app.deps.store.feedback_counts() == {"up": 2, "down": 0}


async def test_an_ephemeral_answer_is_replaced_with_its_closed_version(app: App, fake: FakeSlack) -> None:
    await app.command("lookup SHAPE", token="cmd")
    [reply] = await fake.wait_for("response_url")
    card = posted(reply)
    [up] = [b for b in buttons(card) if b["action_id"] == "natobot_feedback_up"]
    assert json.loads(up["value"])["c"] == "lookup SHAPE"
    await app.action("natobot_feedback_up", up["value"], ephemeral=True, token="vote")
    calls = await fake.wait_for("response_url", 2)
    closed = posted(calls[1])
    assert calls[1].path.endswith("/vote") and closed["replace_original"] is True
    assert closed["response_type"] == "ephemeral"
    assert closed["blocks"][:2] == card["blocks"][:2]  # the same answer
    ids = [e["action_id"] for b in closed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "natobot_feedback_up" not in ids and "natobot_share" in ids
    await app.idle()
    assert not fake.calls_to("views.open")


async def test_an_empty_form_stores_nothing_more(app: App, fake: FakeSlack) -> None:
    await app.interactive(sig.view_submission({"callback_id": "natobot_feedback_form", "private_metadata": "{"}, {}))
    await app.idle()
    assert await app.deps.store.feedback_report() == []
