"""`/nato`: acknowledged at once, answered ephemerally through the response_url with a Share button."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import Answer
from bot.answering.context import Context
from bot.render import blocks
from bot.slack_app import Deps
from bot.slack_text import plain
from handlers.common import (
    Asked,
    apologise,
    ask,
    card,
    command_key,
    count_answer,
    is_slack_id,
    remember,
    replacing,
)
from handlers.digest import digest_command
from handlers.lookup_modal import open_lookup

_NUMBERED = {"objective": "objective", "objectives": "objective", "goal": "goal", "goals": "goal"}
# A term to look up is a name or an acronym; the longest alias in the catalogue is under 100 characters. Anything
# longer is refused here, before it reaches the engine (Engine.lookup has no length cap of its own).
MAX_LOOKUP_CHARS = 200


def _card(deps: Deps, entry_id: str, question: str) -> Asked:
    """An entry card; the conversation moves on to that entry, so "who heads it?" works next."""
    if entry_id not in deps.engine.kb.entries:
        return Asked(deps.engine.ask(question, None), Context(), False)
    answer = deps.engine.entry_answer(entry_id, question)
    return Asked(answer, Context(entities=[entry_id], intent=answer.intent), True)


async def command_answer(deps: Deps, text: str, key: str) -> tuple[Asked | None, str | None]:
    """What `/nato TEXT` answers: (the answer, None), or (None, a note to show above the usage)."""
    words = text.split(maxsplit=1)
    sub = words[0].lower() if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    if sub in ("", "help", "usage", "-h", "--help"):
        return None, None
    if sub == "lookup":
        if not rest:
            return None, "Give a term to look up, for example `lookup SHAPE`."
        if len(rest) > MAX_LOOKUP_CHARS:
            return None, (f"That term is {len(rest):,} characters long; look up a name or acronym of at most "
                          f"{MAX_LOOKUP_CHARS} characters, for example `lookup SHAPE`.")
        answer = deps.engine.lookup(rest)
        if answer.entry and answer.status == "answer":
            return Asked(answer, Context(entities=[answer.entry], intent=answer.intent), True), None
        return Asked(answer, Context(), False), None
    if sub in _NUMBERED and rest:
        return await ask(deps, f"{_NUMBERED[sub]} {rest}", key), None
    cards = deps.engine.presentation.commands  # sub-command -> the entry it shows (presentation.yaml)
    if sub in cards and not rest:
        return _card(deps, cards[sub], text), None
    asked = await ask(deps, text, key)
    if len(words) == 1 and asked.answer.status in ("fallback", "invalid"):
        # One unknown word reads as a sub-command natobot does not have: usage, not an error.
        return None, f"`{plain(sub, 40)}` is not something I know. Here is what I can do:"
    return asked, None


def usage(deps: Deps, command: str, note: str | None) -> dict[str, Any]:
    payload = blocks.help_blocks(command, examples=deps.engine.default_suggestions)
    if note:
        payload["blocks"] = [blocks.section(note), *payload["blocks"]][: blocks.MAX_BLOCKS]
    return payload


def with_share_value(payload: dict[str, Any], text: str) -> dict[str, Any]:
    """Point the Share button at the whole sub-command, so sharing `lookup X` re-runs the lookup; the feedback
    buttons carry it too, so a vote can render the ephemeral answer again with the buttons closed."""
    for block in payload.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == blocks.SHARE_ACTION:
                element["value"] = text[: blocks.SHARE_VALUE]
            elif element.get("action_id") in (blocks.FEEDBACK_UP, blocks.FEEDBACK_DOWN):
                data = json.loads(element["value"])
                value = json.dumps({**data, "c": text[:500]}, ensure_ascii=False)
                if len(value) <= blocks.BUTTON_VALUE:  # else the vote re-asks the question instead
                    element["value"] = value
    return payload


async def handle_command(deps: Deps, body: dict[str, Any], *, started: float | None = None,
                         client: AsyncWebClient | None = None) -> None:
    """Answer a slash command (already acknowledged) through its response_url."""
    text = str(body.get("text") or "").strip()
    response_url = str(body.get("response_url") or "")
    if client is not None and text.split(maxsplit=1)[:1] and text.split(maxsplit=1)[0].lower() == "digest":
        await _digest(deps, body, text, response_url, client)
        return
    # `lookup` with no term: a modal that suggests entries as the person types (handlers.lookup_modal).
    if client is not None and text.lower() == "lookup" and body.get("trigger_id") and await open_lookup(
            deps, client, trigger_id=str(body["trigger_id"]), user=str(body.get("user_id") or ""),
            response_url=response_url, channel=str(body.get("channel_id") or "")):
        return
    command = str(body.get("command") or deps.settings.natobot_command)
    key = command_key(str(body.get("team_id") or ""), str(body.get("channel_id") or ""),
                      str(body.get("user_id") or ""))
    try:
        asked, note = await command_answer(deps, text, key)
        if asked is None:
            payload = usage(deps, command, note)
        else:
            await remember(deps, key, asked)
            payload = with_share_value(card(deps, asked.answer, ephemeral=True), text)
        ok = await deps.post.respond(response_url, replacing({"response_type": "ephemeral", **payload}))
        if ok and asked is not None:
            count_answer(deps, asked.answer, "command", started)
    except Exception:
        await apologise(deps, None, channel="", thread_ts=None, what="slash command",
                        response_url=response_url)


async def _digest(deps: Deps, body: dict[str, Any], text: str, response_url: str, client: AsyncWebClient) -> None:
    """`/nato digest subscribe|unsubscribe|status|now` for the channel it is typed in."""
    try:
        payload = await digest_command(
            text, channel=str(body.get("channel_id") or ""), team=str(body.get("team_id") or ""),
            store=deps.store, client=client, engine=deps.engine, now=datetime.now(UTC),
            user=str(body.get("user_id") or "") or None,
        )
        await deps.post.respond(response_url, payload)
    except Exception:
        await apologise(deps, None, channel="", thread_ts=None, what="digest command", response_url=response_url)


def share_payload(deps: Deps, answer: Answer, user: str) -> dict[str, Any]:
    payload = card(deps, answer, echo_question=True)
    if is_slack_id(user) and len(payload["blocks"]) < blocks.MAX_BLOCKS:
        payload["blocks"].append(blocks.context(f"Shared by <@{user}>"))
    return payload


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command(deps.settings.natobot_command)
    async def on_command(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext,
                         client: AsyncWebClient) -> None:
        deps.track()
        await ack()  # Slack wants this within 3 seconds; the answer follows on the response_url
        async with deps.answering(context):
            await handle_command(deps, body, started=context.get("natobot_started"), client=client)
