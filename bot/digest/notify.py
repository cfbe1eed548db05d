"""Tell the person who set up a digest why it stopped: a DM from natobot when the channel refuses the post."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

from bot.render import blocks
from bot.render.text import plain

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("natobot.digest")

DM_TIMEOUT = 30.0
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,30}$")

WHAT_TO_DO = {
    "not_in_channel": "I am not a member of it. Invite me there (`/invite @natobot`), then run "
                      "`/nato digest subscribe` in it again, or subscribe it again from my App Home.",
    "channel_not_found": "I cannot see it: it may be a private channel I am not in, or it was deleted. Invite me "
                         "there and subscribe again, or pick another channel in my App Home.",
    "is_archived": "It is archived. Unarchive it and subscribe again, or pick another channel in my App Home.",
}


def message(channel: str, reason: str) -> dict[str, Any]:
    where = f"<#{channel}>" if _CHANNEL_ID.match(channel) else f"`{plain(channel, 80)}`"
    what = WHAT_TO_DO.get(reason, "Check that I can post there, then subscribe again.")
    text = (f"The natobot digest you set up for {where} has stopped: posting there failed with "
            f"`{plain(reason, 60)}`. {what}")
    return {"text": text, "blocks": [blocks.section(text)]}


async def tell_subscriber(client: AsyncWebClient, sub: Any, reason: str) -> bool:
    """DM the subscription's subscriber (if one is on record); never raises."""
    user = getattr(sub, "subscriber", None)
    if not user:
        return False
    payload = message(str(sub.channel), reason)
    try:
        async with asyncio.timeout(DM_TIMEOUT):
            # A user id as the channel: the DM between natobot and that person (its Messages tab).
            await client.chat_postMessage(channel=user, text=payload["text"], blocks=payload["blocks"],
                                          unfurl_links=False, unfurl_media=False)
        return True
    except Exception as exc:
        log.warning("could not tell %s that the digest for %s stopped: %s", user, sub.channel, exc)
        return False
