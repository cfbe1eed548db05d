"""`/nato digest subscribe [HH:MM] [ZONE] [weekdays] | unsubscribe | status | now`, answered ephemerally.

A plain async function of the command text and its dependencies, so the /nato dispatcher only routes to
it and the tests call it directly against a real store and the fake Slack.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfoNotFoundError

from bot import digest as dg
from bot.render import blocks
from bot.slack_text import plain

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.engine import Engine
    from bot.store import Store

log = logging.getLogger("natobot.handlers.digest")

USAGE = (
    "Daily digest of the mission objectives:\n"
    "• `/nato digest subscribe [HH:MM] [ZONE] [weekdays]`: post it in this channel every day "
    f"(default {dg.DEFAULT_TIME} {dg.DEFAULT_TZ}; `weekdays` for Monday to Friday only)\n"
    "• `/nato digest unsubscribe`: stop it here\n"
    "• `/nato digest status`: this channel's schedule, last post and any error\n"
    "• `/nato digest now`: post today's digest here now"
)
_WEEKDAYS = frozenset({"weekdays", "weekday", "--weekdays", "workdays", "mon-fri"})


def _reply(text: str, *extra: blocks.Block) -> dict[str, Any]:
    payload = blocks.notice(text)
    payload["blocks"] = [*payload["blocks"], *extra][: blocks.MAX_BLOCKS]
    return {"response_type": "ephemeral", **payload}


def parse_subscribe(words: list[str]) -> tuple[str, str, bool]:
    """(time, zone, weekdays) from `[HH:MM] [ZONE] [weekdays]` in any order; ValueError names what is wrong."""
    time, tz, weekdays = dg.DEFAULT_TIME, dg.DEFAULT_TZ, False
    seen_time = seen_tz = False
    for word in words:
        low = word.lower()
        if low in _WEEKDAYS:
            weekdays = True
        elif ":" in word and not seen_time and "/" not in word:
            time, seen_time = dg.parse_time(word), True
        elif not seen_tz:
            tz, seen_tz = dg.parse_zone(word), True
        else:
            raise ValueError(f"unexpected {word!r}: use `/nato digest subscribe [HH:MM] [ZONE] [weekdays]`")
    return time, tz, weekdays


async def digest_command(text: str, *, channel: str, team: str, store: Store, client: AsyncWebClient,
                         engine: Engine, now: datetime) -> dict[str, Any]:
    """The ephemeral reply to `/nato digest ...`; `text` may start with "digest" or not."""
    words = text.split()
    if words and words[0].lower() == "digest":
        words = words[1:]
    sub = words[0].lower() if words else ""
    rest = words[1:]
    if sub == "subscribe":
        return await _subscribe(rest, channel=channel, team=team, store=store, engine=engine, now=now)
    if sub in ("unsubscribe", "stop"):
        removed = await store.unsubscribe(channel)
        return _reply("This channel will no longer get the daily digest." if removed
                      else "This channel was not subscribed to the daily digest.")
    if sub in ("status", "list"):
        return await _status(channel=channel, store=store, engine=engine, now=now)
    if sub == "now":
        return await _now(channel=channel, store=store, client=client, engine=engine, now=now)
    note = "" if sub in ("", "help") else f"`{plain(sub, 40)}` is not a digest command. "
    return _reply(note + USAGE)


async def _subscribe(words: list[str], *, channel: str, team: str, store: Store, engine: Engine,
                     now: datetime) -> dict[str, Any]:
    try:
        time, tz, weekdays = parse_subscribe(words)
        subscription = await store.subscribe(channel=channel, team=team, time=time, tz=tz, weekdays=weekdays)
    except ValueError as exc:
        return _reply(f"Not subscribed: {exc}.")
    nxt = dg.next_run(subscription, now)
    featured = dg.build_digest(engine, nxt.date())
    return _reply(
        f"This channel gets the daily digest at {dg.describe(subscription)}. "
        f"Next: {nxt:%A %d %B %H:%M %Z} ({featured.label}). "
        "Invite me to the channel if I am not in it yet, or the post will fail."
    )


async def _status(*, channel: str, store: Store, engine: Engine, now: datetime) -> dict[str, Any]:
    subscription = await store.subscription(channel)
    if subscription is None:
        today = dg.today_digest(engine, dg.DEFAULT_TZ, now)
        return _reply(f"This channel is not subscribed to the daily digest. Today's objective is {today.heading}. "
                      "Use `/nato digest subscribe [HH:MM] [ZONE] [weekdays]` to get it here every day.")
    last = subscription.last_sent_date.isoformat() if subscription.last_sent_date else "never"
    lines = [f"Daily digest here at {dg.describe(subscription)}; last posted: {last}."]
    if subscription.error:
        lines.append(f"Paused: the last post failed with `{subscription.error}`. Invite me to the channel "
                     "(or unarchive it), then run `/nato digest subscribe` again to resume.")
    else:
        try:
            nxt = dg.next_run(subscription, now)
            lines.append(f"Next: {nxt:%A %d %B %H:%M %Z} ({dg.build_digest(engine, nxt.date()).label}).")
        except (ZoneInfoNotFoundError, ValueError) as exc:
            lines.append(f"The schedule cannot be used: {exc}.")
    return _reply("\n".join(lines))


async def _now(*, channel: str, store: Store, client: AsyncWebClient, engine: Engine,
               now: datetime) -> dict[str, Any]:
    subscription = await store.subscription(channel)
    tz = subscription.tz if subscription is not None else dg.DEFAULT_TZ
    digest = dg.today_digest(engine, tz, now)
    try:
        await dg.post_digest(client, channel, dg.digest_blocks(digest))
    except Exception as exc:  # Slack said no, or did not answer: tell the person who asked
        reason = dg.slack_error(exc)
        log.warning("/nato digest now in %s failed: %s", channel, reason)
        if reason in dg.CHANNEL_ERRORS:
            if subscription is not None:
                await store.mark_channel_error(channel, reason)
            return _reply(f"I could not post here (`{reason}`). Invite me to the channel first, then try again.")
        return _reply(f"Posting the digest failed (`{reason}`). Please try again in a moment.")
    if subscription is not None and subscription.error:
        # The channel works again; the scheduled digest resumes.
        await store.mark_channel_error(channel, None)
    # An on-demand post is not the scheduled one: the day's scheduled digest still goes out at its time.
    return _reply(f"Posted today's digest: {digest.heading}.")
