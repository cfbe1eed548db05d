"""`/nato lookup` without a term, and the App Home's "Look something up": a modal whose select suggests
catalogue entries as the person types (an external select fed from the catalogue), answered privately.

From a slash command the answer comes ephemerally in the command's channel through its response_url (kept in
the modal's private_metadata; it is good for 30 minutes); from the App Home, which has no channel, in the
person's DM with natobot.
"""

from __future__ import annotations

import weakref
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering.engine import Engine
from bot.answering.lookup import LookupIndex
from bot.render import lookup
from bot.slack.deps import Deps
from handlers.common import card, count_answer, log
from handlers.listener import listener

_INDEXES: weakref.WeakKeyDictionary[Engine, LookupIndex] = weakref.WeakKeyDictionary()


def index(engine: Engine) -> LookupIndex:
    found = _INDEXES.get(engine)
    if found is None:
        found = _INDEXES[engine] = LookupIndex(engine)
    return found


async def open_lookup(deps: Deps, client: AsyncWebClient, *, trigger_id: str, user: str,
                      response_url: str | None = None, channel: str | None = None) -> bool:
    meta = lookup.metadata(response_url=response_url, channel=channel, user=user)
    return await deps.post.call(client, "views.open", trigger_id=trigger_id, view=lookup.view(meta)) is not None


def suggestions(deps: Deps, typed: str) -> list[dict[str, Any]]:
    return lookup.options(index(deps.engine).search(typed))


async def handle_submission(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    view = body.get("view") or {}
    entry = lookup.picked(view.get("state") or {})
    meta = lookup.parse_metadata(str(view.get("private_metadata") or ""))
    user = str((body.get("user") or {}).get("id") or meta.get("u") or "")
    if entry is None or entry not in deps.engine.kb.entries:
        return
    # The card names the entry in bold on its first line; the choice needs no echo.
    answer = deps.engine.entry_answer(entry, deps.engine.kb.entries[entry].title)
    payload = card(deps, answer, ephemeral=True, echo_question=False)
    try:
        if meta.get("r"):
            ok = await deps.post.respond(meta["r"], {"response_type": "ephemeral", "replace_original": False,
                                                     **payload})
        else:
            ok = await deps.post.post_message(client, channel=user, text=payload["text"],
                                              blocks=payload["blocks"]) is not None
        if ok:
            count_answer(deps, answer, "lookup", None)
    except Exception:
        log.exception("answering a lookup for %s failed", user)
        deps.metrics.errors.inc(kind="handler")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.options(lookup.PICK_ACTION)
    async def on_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack(options=suggestions(deps, str(body.get("value") or "")))

    @app.view(lookup.CALLBACK_ID)
    @listener(deps, ack=True)
    async def on_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_submission(deps, client, body)
