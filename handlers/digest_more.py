"""The digest's "More on this": the long form for whoever clicked, privately.

From a channel the digest message's response_url answers ephemerally there; from the App Home's preview (no
response_url) the long form goes to the person's DM with natobot.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.digest import blocks as render_digest
from bot.digest.content import content
from bot.slack.deps import Deps
from handlers.common import log
from handlers.listener import listener


async def handle_more(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    entry, _day = render_digest.parse_more_value(value)
    if not entry:
        return
    payload = render_digest.long_blocks(entry, content(deps.engine))
    response_url = str(body.get("response_url") or "")
    user = str((body.get("user") or {}).get("id") or "")
    try:
        if response_url:
            await deps.post.respond(response_url, {"response_type": "ephemeral", "replace_original": False,
                                                   **payload})
        elif user:
            await deps.post.post_message(client, channel=user, text=payload["text"], blocks=payload["blocks"])
    except Exception:
        log.exception("the digest's More for %s failed", user)
        deps.metrics.errors.inc(kind="handler")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(render_digest.MORE_ACTION)
    @listener(deps, ack=True)
    async def on_more(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_more(deps, client, body)
