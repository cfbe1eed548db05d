"""`/nato digest subscribe [HH:MM] [ZONE] [weekdays] | unsubscribe | status | now`, answered ephemerally.

A plain async function of the command text and its dependencies, so the /nato dispatcher only routes to
it and the tests call it directly against a real store and the fake Slack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfoNotFoundError

from bot.digest import service as dg
from bot.render import blocks
from bot.render.text import plain

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.answering.engine import Engine
    from bot.store.state import Store

log = logging.getLogger("natobot.handlers.digest")

USAGE = (
    "The digest: a short piece on the U.S. Mission to NATO's Integrated Mission Strategy.\n"
    "• `/nato digest subscribe [HH:MM] [ZONE] [daily | weekdays | weekly DAY] [mission-only]`: post it in this "
    f"channel (default every day at {dg.DEFAULT_TIME} {dg.DEFAULT_TZ}; `weekly monday` once a week; "
    "`mission-only` leaves out the management objectives)\n"
    "• `/nato digest unsubscribe`: stop it here\n"
    "• `/nato digest status`: this channel's schedule, last post and any error\n"
    "• `/nato digest now`: post today's digest here now\n"
    "The App Home has the same, with a channel picker."
)
_WEEKDAYS = frozenset({"weekdays", "weekday", "--weekdays", "workdays", "mon-fri"})
_DAILY = frozenset({"daily", "everyday", "every-day"})
_WEEKLY = frozenset({"weekly", "--weekly", "once-a-week"})
_MISSION_ONLY = frozenset({"mission-only", "mission", "no-management", "--mission-only"})
_DAY_NAMES = {name.lower(): i for i, name in enumerate(dg.WEEKDAY_NAMES)}
_DAY_NAMES |= {name[:3].lower(): i for i, name in enumerate(dg.WEEKDAY_NAMES)}
_DAY_NAMES |= {name.lower() + "s": i for i, name in enumerate(dg.WEEKDAY_NAMES)}


@dataclass(frozen=True)
class Choice:
    """What `/nato digest subscribe ...` asked for."""

    time: str = dg.DEFAULT_TIME
    tz: str = dg.DEFAULT_TZ
    cadence: str = "daily"
    weekday: int | None = None
    include_management: bool = True


def _reply(text: str, *extra: blocks.Block) -> dict[str, Any]:
    payload = blocks.notice(text)
    payload["blocks"] = [*payload["blocks"], *extra][: blocks.MAX_BLOCKS]
    return {"response_type": "ephemeral", **payload}


def parse_choice(words: list[str]) -> Choice:
    """`[HH:MM] [ZONE] [daily | weekdays | weekly DAY | DAY] [mission-only]` in any order; ValueError says what is
    wrong."""
    time, tz, cadence, weekday, management = dg.DEFAULT_TIME, dg.DEFAULT_TZ, "daily", None, True
    seen_time = seen_tz = False
    for word in words:
        low = word.lower()
        if low in _WEEKDAYS:
            cadence = "weekdays"
        elif low in _DAILY:
            cadence = "daily"
        elif low in _WEEKLY:
            cadence = "weekly"
        elif low in _DAY_NAMES:
            cadence, weekday = "weekly", _DAY_NAMES[low]
        elif low in _MISSION_ONLY:
            management = False
        elif ":" in word and not seen_time and "/" not in word:
            time, seen_time = dg.parse_time(word), True
        elif not seen_tz:
            tz, seen_tz = dg.parse_zone(word), True
        else:
            raise ValueError(f"unexpected {word!r}: use `/nato digest subscribe [HH:MM] [ZONE] "
                             "[daily | weekdays | weekly DAY] [mission-only]`")
    if cadence == "weekly" and weekday is None:
        raise ValueError("a weekly digest needs a day: `weekly monday`, say")
    return Choice(time=time, tz=tz, cadence=cadence, weekday=weekday, include_management=management)


def parse_subscribe(words: list[str]) -> tuple[str, str, bool]:
    """(time, zone, weekdays only): the older shape of `parse_choice`."""
    choice = parse_choice(words)
    return choice.time, choice.tz, choice.cadence == "weekdays"


async def digest_command(text: str, *, channel: str, team: str, store: Store, client: AsyncWebClient,
                         engine: Engine, now: datetime, user: str | None = None) -> dict[str, Any]:
    """The ephemeral reply to `/nato digest ...`; `text` may start with "digest" or not."""
    words = text.split()
    if words and words[0].lower() == "digest":
        words = words[1:]
    sub = words[0].lower() if words else ""
    rest = words[1:]
    if sub == "subscribe":
        return await _subscribe(rest, channel=channel, team=team, store=store, engine=engine, now=now, user=user)
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
                     now: datetime, user: str | None) -> dict[str, Any]:
    try:
        choice = parse_choice(words)
        subscription = await store.subscribe(
            channel=channel, team=team, time=choice.time, tz=choice.tz, weekdays=choice.cadence == "weekdays",
            cadence=choice.cadence, weekday=choice.weekday, include_management=choice.include_management,
            subscriber=user)
    except ValueError as exc:
        return _reply(f"Not subscribed: {exc}.")
    nxt = dg.next_run(subscription, now)
    featured = dg.build_digest(engine, nxt.date(), include_management=subscription.include_management)
    return _reply(
        f"This channel gets the digest at {dg.describe(subscription)}. "
        f"Next: {nxt:%A %d %B %H:%M %Z} ({featured.heading}). "
        "Invite me to the channel if I am not in it yet; if a post fails I tell you in a DM."
    )


async def _status(*, channel: str, store: Store, engine: Engine, now: datetime) -> dict[str, Any]:
    subscription = await store.subscription(channel)
    if subscription is None:
        today = dg.today_digest(engine, dg.DEFAULT_TZ, now)
        return _reply(f"This channel is not subscribed to the digest. Today's is {today.heading}. "
                      "Use `/nato digest subscribe [HH:MM] [ZONE] [daily | weekdays | weekly DAY]` to get it here.")
    last = subscription.last_sent_date.isoformat() if subscription.last_sent_date else "never"
    lines = [f"Digest here at {dg.describe(subscription)}; last posted: {last}."]
    if subscription.error:
        lines.append(f"Paused: the last post failed with `{subscription.error}`. Invite me to the channel "
                     "(or unarchive it), then run `/nato digest subscribe` again to resume.")
    else:
        try:
            nxt = dg.next_run(subscription, now)
            upcoming = dg.build_digest(engine, nxt.date(), include_management=subscription.include_management)
            lines.append(f"Next: {nxt:%A %d %B %H:%M %Z} ({upcoming.heading}).")
        except (ZoneInfoNotFoundError, ValueError) as exc:
            lines.append(f"The schedule cannot be used: {exc}.")
    return _reply("\n".join(lines))


async def _now(*, channel: str, store: Store, client: AsyncWebClient, engine: Engine,
               now: datetime) -> dict[str, Any]:
    subscription = await store.subscription(channel)
    tz = subscription.tz if subscription is not None else dg.DEFAULT_TZ
    management = subscription.include_management if subscription is not None else True
    digest = dg.today_digest(engine, tz, now, include_management=management)
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
