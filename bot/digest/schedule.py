"""When a channel's digest is due: HH:MM and zone parsing, cadences (daily, weekdays, weekly on a day), the
next due instant, and the one-line descriptions of a schedule that status messages show.

Everything here is a pure function of its arguments: whether a digest is due depends on the subscription and the
instant `now` alone. `parse_time` is the one reader of a user's HH:MM: the Slack command, the App Home form and
the command line all go through it before the store sees the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.timeofday import parse_time as parse_time  # the one parser; handlers and the CLI read it from here

# An hour of one or two digits ("9:00" is 09:00), minutes of two; the store keeps the two-digit form. ASCII: `\d`
# would take other scripts' digits, and "9:0٥" would be stored as a time no clock reads.


class Schedule(Protocol):
    """What due computation needs of a subscription (bot.store.digest.Subscription fits)."""

    @property
    def time(self) -> str: ...
    @property
    def tz(self) -> str: ...
    @property
    def weekdays(self) -> bool: ...
    @property
    def last_sent_date(self) -> date | None: ...
    # `cadence` ("daily", "weekdays", "weekly") and `weekday` (0 = Monday) are read with getattr: a schedule
    # without them runs daily, or on weekdays when `weekdays` is set.


def parse_zone(value: str) -> str:
    """An IANA zone name as the database spells it ("europe/brussels" -> "Europe/Brussels")."""
    name = value.strip()
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    canonical = _zones_by_lower().get(name.lower())
    if canonical is None:
        raise ValueError(f"unknown time zone {value!r}: use an IANA name like Europe/Brussels")
    return canonical


def _zones_by_lower() -> dict[str, str]:
    # Reading every zone name scans the tz database, so it happens once and only for a miss.
    global _ZONES
    if _ZONES is None:
        from zoneinfo import available_timezones

        _ZONES = {z.lower(): z for z in available_timezones()}
    return _ZONES


_ZONES: dict[str, str] | None = None


def local_day(tz: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("`now` must be an aware datetime")
    return now


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def cadence_of(sub: Schedule) -> tuple[str, int | None]:
    cadence = getattr(sub, "cadence", None) or "daily"
    if cadence == "daily" and sub.weekdays:  # a schedule from before cadences, or built by hand
        cadence = "weekdays"
    return cadence, getattr(sub, "weekday", None)


def runs_on(sub: Schedule, day: date) -> bool:
    """Whether `sub`'s cadence posts on local day `day`."""
    cadence, weekday = cadence_of(sub)
    if cadence == "weekly":
        return day.weekday() == weekday
    return cadence != "weekdays" or day.weekday() < 5


def due_date(sub: Schedule, now: datetime) -> date | None:
    """The local date whose digest is due for `sub` at `now`, or None.

    Only the channel's *current* local day can be due, from its HH:MM (wall clock, so DST needs no
    special case: on a spring-forward day a time in the gap is due from the first minute after it)
    until local midnight. Days missed while nothing ran are never made up: no backlog, no flood.
    """
    local = _aware(now).astimezone(ZoneInfo(sub.tz))
    today = local.date()
    if not runs_on(sub, today):
        return None
    if local.strftime("%H:%M") < parse_time(sub.time):
        return None
    if sub.last_sent_date is not None and sub.last_sent_date >= today:
        return None
    return today


def next_run(sub: Schedule, now: datetime) -> datetime:
    """When the next digest is due (aware, in the subscription's zone), for status messages."""
    zone = ZoneInfo(sub.tz)
    local = _aware(now).astimezone(zone)
    hh, mm = (int(p) for p in parse_time(sub.time).split(":"))
    if due_date(sub, now) is not None:
        return local
    day = local.date()
    sent = sub.last_sent_date
    if local.strftime("%H:%M") >= f"{hh:02d}:{mm:02d}" or (sent is not None and sent >= day):
        day += timedelta(days=1)
    while not runs_on(sub, day):
        day += timedelta(days=1)
    return _first_instant_at(day, time(hh, mm), zone)


def _first_instant_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant on `day` whose wall clock in `zone` reads `at` or later (due_date's rule).

    Normally `at` itself; for a time in a spring-forward gap it is the end of the gap (03:00 for 02:30).
    """
    early = datetime.combine(day, at, zone).astimezone(UTC)
    if early.astimezone(zone).time().replace(second=0, microsecond=0) == at:
        return early.astimezone(zone)
    # In the gap the two folds give instants either side of the jump; the first minute past it is the one.
    lo = datetime.combine(day, at, zone).replace(fold=1).astimezone(UTC)
    hi = early
    lo, hi = min(lo, hi), max(lo, hi)
    while lo < hi:
        local = lo.astimezone(zone)
        if local.date() == day and local.time() >= at:
            break
        lo += timedelta(minutes=1)
    return lo.astimezone(zone)


def describe(sub: Schedule) -> str:
    cadence, weekday = cadence_of(sub)
    if cadence == "weekly" and weekday is not None:
        days = f"{WEEKDAY_NAMES[weekday]}s"
    else:
        days = "weekdays only" if cadence == "weekdays" else "every day"
    text = f"{sub.time} {sub.tz}, {days}"
    if not getattr(sub, "include_management", True):
        text += ", mission objectives only"
    return text


def day_start(tz: str, day: date) -> datetime:
    """Local midnight starting `day` in `tz`."""
    return datetime.combine(day, time(0, 0), ZoneInfo(tz))



def format_subscriptions(subs: Sequence[Any], now: datetime) -> list[str]:
    """One line per subscription for `digest list` and status messages, errors included."""
    lines = []
    for s in subs:
        line = f"{s.channel:<14} {describe(s):<45} last sent {s.last_sent_date or 'never'}"
        if s.error:
            line += f"  ERROR: {s.error} (paused; subscribe again to resume)"
        else:
            try:
                line += f"  next {next_run(s, now):%Y-%m-%d %H:%M %Z}"
            except (ZoneInfoNotFoundError, ValueError) as exc:
                line += f"  ERROR: {exc}"
        lines.append(line)
    return lines
