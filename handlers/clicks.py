"""Who clicked where: the ids every block_actions payload carries, read the same way by every button."""

from __future__ import annotations

from typing import Any, NamedTuple


class Clicked(NamedTuple):
    user: str
    team: str
    channel: str
    message_ts: str
    response_url: str


def clicked(body: dict[str, Any]) -> Clicked:
    """The ids of a click; each blank when the payload lacks it (views have no channel, ephemerals no message)."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    user = body.get("user") or {}
    return Clicked(
        user=str(user.get("id") or ""),
        # Not every payload has a top-level team; the user then names it.
        team=str((body.get("team") or {}).get("id") or user.get("team_id") or ""),
        channel=str((body.get("channel") or {}).get("id") or container.get("channel_id") or ""),
        message_ts=str(container.get("message_ts") or message.get("ts") or ""),
        response_url=str(body.get("response_url") or ""),
    )
