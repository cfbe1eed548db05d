"""Thumbs up / down that close: the vote is stored, the buttons on that message become "Thanks, recorded",
and "Not helpful" opens a short optional form (what was wrong?) whose answer is stored too.

Channel, thread and DM messages are closed with chat.update (the click carries the message's blocks);
an ephemeral `/nato` answer carries no blocks, so it is rendered again and replaced through its response_url.
A "Not helpful" vote also counts the question in the unanswered report curators work from.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import blocks
from bot.render import feedback as fb
from bot.slack.deps import Deps
from handlers.clicks import clicked
from handlers.commands import command_answer, with_share_value
from handlers.common import apologise, card, command_key, dm_key, log, thread_key
from handlers.listener import listener

Vote = Literal["up", "down"]
NOT_HELPFUL = "not-helpful"  # the status a down-vote is counted under in the unanswered report


def parse_value(value: str) -> tuple[str, str | None, str | None]:
    """(question, entry, slash command text) from a feedback button's JSON value; blanks for anything else."""
    try:
        data = json.loads(value)
    except ValueError:
        return "", None, None
    if not isinstance(data, dict):
        return "", None, None
    q, e, c = data.get("q"), data.get("e"), data.get("c")
    return (q if isinstance(q, str) else ""), (e if isinstance(e, str) and e else None), \
        (c if isinstance(c, str) and c else None)


class Click:
    """Where a feedback button was clicked, from the block_actions payload."""

    def __init__(self, body: dict[str, Any]) -> None:
        container = body.get("container") or {}
        self.message: dict[str, Any] = body.get("message") or {}
        self.user, self.team, self.channel, self.message_ts, self.response_url = clicked(body)
        self.trigger_id = str(body.get("trigger_id") or "")
        self.ephemeral = bool(container.get("is_ephemeral")) or not self.message
        actions = body.get("actions") or [{}]
        self.value = str(actions[0].get("value") or "")

    @property
    def key(self) -> str:
        if self.ephemeral:
            return command_key(self.team, self.channel, self.user)
        if self.channel.startswith("D"):
            return dm_key(self.team, self.channel)
        return thread_key(self.team, self.channel, str(self.message.get("thread_ts") or self.message_ts))


async def close_message(deps: Deps, client: AsyncWebClient, click: Click, vote: Vote, command: str | None,
                        question: str) -> None:
    """Replace the vote buttons on the clicked message with the thank-you line."""
    if not click.ephemeral:
        old = click.message.get("blocks") or []
        if not any(b.get("block_id") == blocks.FEEDBACK_BLOCK for b in old):
            return  # already closed (someone else voted first)
        await deps.post.call(client, "chat.update", channel=click.channel, ts=click.message_ts,
                             text=str(click.message.get("text") or "natobot"), blocks=fb.closed(old, vote))
        return
    text = command or question
    asked, _ = await command_answer(deps, text, click.key) if text else (None, None)
    if asked is None or not click.response_url:
        return
    payload = with_share_value(card(deps, asked.answer, ephemeral=True), text)
    payload["blocks"] = fb.closed(payload["blocks"], vote)
    await deps.post.respond(click.response_url, {"response_type": "ephemeral", "replace_original": True,
                                                 **payload})


def known_entry(deps: Deps, entry: str | None) -> str | None:
    """`entry` if the catalogue has it: a button's value comes back as the user's client sent it, so anything
    else (`../../etc/passwd`) is stored as no entry at all."""
    if entry is not None and entry not in deps.engine.kb.entries:
        log.info("feedback names no knowledge-base entry; stored without one")
        return None
    return entry


async def handle_vote(deps: Deps, client: AsyncWebClient, body: dict[str, Any], vote: Vote) -> None:
    click = Click(body)
    question, entry, command = parse_value(click.value)
    entry = known_entry(deps, entry)
    try:
        if vote == "down" and click.trigger_id:
            # First, while the trigger_id is fresh (it lasts 3 s): the optional form.
            meta = fb.form_metadata(team=click.team, channel=click.channel, message_ts=click.message_ts,
                                    question=question, entry=entry)
            await deps.post.call(client, "views.open", trigger_id=click.trigger_id,
                                 view=fb.form_view(question, meta))
        await deps.store.record_feedback(team=click.team, channel=click.channel, user=click.user,
                                         message_ts=click.message_ts, question=question, entry=entry, vote=vote)
        if vote == "down" and question.strip():
            await deps.store.record_unanswered(question[:1000], status=NOT_HELPFUL, entry=entry)
        await close_message(deps, client, click, vote, command, question)
    except Exception:
        thread = str(click.message.get("thread_ts") or click.message_ts or "") or None
        await apologise(deps, client, channel="" if click.ephemeral else click.channel, thread_ts=thread,
                        what="feedback", response_url=click.response_url if click.ephemeral else None)


async def handle_form(deps: Deps, body: dict[str, Any]) -> None:
    """The "what was wrong?" form was sent: store the note (the vote itself is already stored)."""
    view = body.get("view") or {}
    meta = fb.parse_metadata(str(view.get("private_metadata") or ""))
    reasons, comment = fb.form_values(view.get("state") or {})
    user = str((body.get("user") or {}).get("id") or "")
    if not reasons and not comment:
        return
    try:
        await deps.store.record_feedback_note(team=meta.get("t") or "", channel=meta.get("c") or "", user=user,
                                              message_ts=meta.get("m") or "", question=meta.get("q") or "",
                                              entry=known_entry(deps, meta.get("e")), reasons=reasons,
                                              comment=comment)
    except Exception:
        log.exception("storing a feedback note failed")
        deps.metrics.errors.inc(kind="handler")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(blocks.FEEDBACK_UP)
    @listener(deps, ack=True)
    async def on_up(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_vote(deps, client, body, "up")

    @app.action(blocks.FEEDBACK_DOWN)
    @listener(deps, ack=True)
    async def on_down(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_vote(deps, client, body, "down")

    @app.view(fb.FORM_CALLBACK)
    @listener(deps, ack=True)  # the empty ack closes the modal
    async def on_form(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handle_form(deps, body)
