"""`/nato`: acknowledged at once, answered ephemerally through the response_url with a Share button."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering.answer import Answer
from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.render import blocks
from bot.render.text import plain
from bot.slack.deps import Deps
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
from handlers.listener import listener
from handlers.lookup_modal import open_lookup

# A term to look up is a name or an acronym; the longest alias in the catalogue is under 100 characters. Anything
# longer is refused here, before it reaches the engine (Engine.lookup has no length cap of its own).
MAX_LOOKUP_CHARS = 200
HELP_WORDS = ("help", "usage", "-h", "--help")

Reply = tuple[Asked | None, str | None]  # (the answer, None), or (None, a note shown above the usage)


@dataclass(frozen=True)
class Slash:
    """One `/nato` request as the sub-commands see it."""

    deps: Deps
    text: str
    rest: str  # what follows the sub-command word
    key: str  # the conversation key (team, channel, user)
    body: dict[str, Any] = field(default_factory=dict)
    client: AsyncWebClient | None = None  # None when an action re-runs a shared sub-command


@dataclass(frozen=True)
class Sub:
    """A `/nato` sub-command: the words that call it, its lines in help, and what it does.

    `slack` acts in Slack itself (a modal, the digest's own replies) and says whether it did; `answer` gives
    the ephemeral reply. A sub-command with neither for a request is asked as a question.
    """

    words: tuple[str, ...]
    usage: tuple[tuple[str, str], ...]
    answer: Callable[[Slash], Awaitable[Reply]] | None = None
    slack: Callable[[Slash], Awaitable[bool]] | None = None


async def _help(s: Slash) -> Reply:
    return None, None


async def _lookup(s: Slash) -> Reply:
    if not s.rest:
        return None, "Give a term to look up, for example `lookup SHAPE`."
    if len(s.rest) > MAX_LOOKUP_CHARS:
        return None, (f"That term is {len(s.rest):,} characters long; look up a name or acronym of at most "
                      f"{MAX_LOOKUP_CHARS} characters, for example `lookup SHAPE`.")
    answer = s.deps.engine.lookup(s.rest)
    if answer.entry and answer.status == "answer":
        return Asked(answer, Context(entities=[answer.entry], intent=answer.intent), True), None
    return Asked(answer, Context(), False), None


async def _lookup_modal(s: Slash) -> bool:
    """`lookup` with no term: a modal that suggests entries as the person types (handlers.lookup_modal)."""
    if s.rest or s.client is None or not s.body.get("trigger_id"):
        return False
    return await open_lookup(s.deps, s.client, trigger_id=str(s.body["trigger_id"]),
                             user=str(s.body.get("user_id") or ""), response_url=str(s.body.get("response_url") or ""),
                             channel=str(s.body.get("channel_id") or ""))


def _numbered(word: str) -> Callable[[Slash], Awaitable[Reply]]:
    async def answer(s: Slash) -> Reply:
        if not s.rest:  # `objective` alone: the card that lists them (presentation.yaml's commands)
            return await _question(s)
        return await ask(s.deps, f"{word} {s.rest}", s.key), None
    return answer


async def _digest(s: Slash) -> bool:
    """`/nato digest subscribe|unsubscribe|status|now` for the channel it is typed in."""
    if s.client is None:
        return False
    response_url = str(s.body.get("response_url") or "")
    try:
        payload = await digest_command(
            s.text, channel=str(s.body.get("channel_id") or ""), team=str(s.body.get("team_id") or ""),
            store=s.deps.store, client=s.client, engine=s.deps.engine, now=datetime.now(UTC),
            user=str(s.body.get("user_id") or "") or None,
        )
        await s.deps.post.respond(response_url, payload)
    except Exception:
        await apologise(s.deps, None, channel="", thread_ts=None, what="digest command", response_url=response_url)
    return True


SUBCOMMANDS: tuple[Sub, ...] = (
    Sub(("lookup",), (("lookup TERM", "the card for one body, command or document"),
                      ("lookup", "pick one from a list that narrows as you type")),
        answer=_lookup, slack=_lookup_modal),
    Sub(("objective", "objectives"), (("objective 2.1", "one objective of the U.S. Mission's Integrated Mission "
                                       "Strategy"),), answer=_numbered("objective")),
    Sub(("goal", "goals"), (("goal 3", "one mission goal and its objectives"),), answer=_numbered("goal")),
    Sub(("digest",), (("digest subscribe [HH:MM] [ZONE] [daily | weekdays | weekly DAY] [mission-only]",
                       "a short digest on the strategy in this channel"),
                      ("digest unsubscribe | status | now", "stop it, see its schedule, post today's here")),
        slack=_digest),
    Sub(HELP_WORDS[:1], (("help", "this message"),), answer=_help),
)
_BY_WORD = {w: sub for sub in SUBCOMMANDS for w in sub.words} | {w: SUBCOMMANDS[-1] for w in HELP_WORDS}


def usage_lines(engine: Engine) -> list[tuple[str, str]]:
    """Help's list: a question, the table's sub-commands, and the entry shortcuts presentation.yaml defines."""
    lines = [("QUESTION", "answer a question (only you see it; *Share in channel* posts it)")]
    for sub in SUBCOMMANDS[:-1]:
        lines += sub.usage
    for word, entry in engine.presentation.commands.items():
        if word not in _BY_WORD and entry in engine.kb.entries:
            lines.append((word, engine.kb.entries[entry].title))
    return [*lines, *SUBCOMMANDS[-1].usage]


def _split(text: str) -> tuple[str, str]:
    words = text.split(maxsplit=1)
    return (words[0].lower() if words else ""), (words[1].strip() if len(words) > 1 else "")


def _card(deps: Deps, entry_id: str, question: str) -> Asked:
    """An entry card; the conversation moves on to that entry, so "who heads it?" works next."""
    if entry_id not in deps.engine.kb.entries:
        return Asked(deps.engine.ask(question, None), Context(), False)
    answer = deps.engine.entry_answer(entry_id, question)
    return Asked(answer, Context(entities=[entry_id], intent=answer.intent), True)


async def _question(s: Slash) -> Reply:
    word, _ = _split(s.text)
    cards = s.deps.engine.presentation.commands  # sub-command -> the entry it shows (presentation.yaml)
    if word in cards and not s.rest:
        return _card(s.deps, cards[word], s.text), None
    asked = await ask(s.deps, s.text, s.key)
    if len(s.text.split()) == 1 and asked.answer.status in ("fallback", "invalid"):
        # One unknown word reads as a sub-command natobot does not have: usage, not an error.
        return None, f"`{plain(word, 40)}` is not something I know. Here is what I can do:"
    return asked, None


async def command_answer(deps: Deps, text: str, key: str) -> Reply:
    """What `/nato TEXT` answers: (the answer, None), or (None, a note to show above the usage)."""
    word, rest = _split(text)
    if not word:
        return None, None
    sub = _BY_WORD.get(word)
    slash = Slash(deps, text, rest, key)
    return await (sub.answer if sub and sub.answer else _question)(slash)


def usage(deps: Deps, command: str, note: str | None) -> dict[str, Any]:
    payload = blocks.help_blocks(command, examples=deps.engine.default_suggestions, usage=usage_lines(deps.engine))
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
    key = command_key(str(body.get("team_id") or ""), str(body.get("channel_id") or ""),
                      str(body.get("user_id") or ""))
    word, rest = _split(text)
    sub = _BY_WORD.get(word)
    if client is not None and sub and sub.slack and await sub.slack(Slash(deps, text, rest, key, body, client)):
        return
    command = str(body.get("command") or deps.settings.natobot_command)
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


def share_payload(deps: Deps, answer: Answer, user: str) -> dict[str, Any]:
    payload = card(deps, answer, echo_question=True)
    if is_slack_id(user) and len(payload["blocks"]) < blocks.MAX_BLOCKS:
        payload["blocks"].append(blocks.context(f"Shared by <@{user}>"))
    return payload


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command(deps.settings.natobot_command)
    @listener(deps, ack=True, answering=True)  # the answer follows on the response_url
    async def on_command(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext,
                         client: AsyncWebClient) -> None:
        await handle_command(deps, body, started=context.get("natobot_started"), client=client)
