"""The "Sources" button: the full citations of an answer in a modal (works on any surface, no response_url)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import blocks, citations
from bot.slack.deps import Deps
from handlers.common import log
from handlers.listener import listener


def action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


async def handle_sources(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    trigger = str(body.get("trigger_id") or "")
    pairs = citations.parse_sources_value(action_value(body))
    view = citations.citations_view(pairs, deps.engine.kb.documents)
    if not trigger:
        log.warning("Sources clicked without a trigger_id; no modal can open")
        return
    if await deps.post.call(client, "views.open", trigger_id=trigger, view=view) is None:
        deps.metrics.errors.inc(kind="handler")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(blocks.SOURCES_ACTION)
    @listener(deps, ack=True)
    async def on_sources(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_sources(deps, client, body)
