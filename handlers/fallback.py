"""Registered last: acks whatever interactive request no other listener took.

A URL button, a button of an older release still on screen, a modal natobot no longer knows: Slack wants
an ack within 3 seconds either way, or it shows the person an error (HTTP) and retries (Socket Mode, where
bot.slack.socket_mode also acks anything Bolt left unanswered).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.slack.deps import Deps
from handlers.common import log

_ANY = re.compile(".*")


def register(app: AsyncApp, deps: Deps) -> None:
    async def ack_only(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.metrics.requests.inc(type="unhandled")
        log.debug("acked an interactive request nobody handles: %s", body.get("type"))

    async def no_options(ack: AsyncAck) -> None:
        await ack(options=[])

    app.action(_ANY)(ack_only)
    app.shortcut(_ANY)(ack_only)
    app.view(_ANY)(ack_only)
    app.view_closed(_ANY)(ack_only)
    app.options(_ANY)(no_options)
