"""`natobot digest ...` and `natobot report unanswered|feedback`: the digest and the curators' reports from a terminal.

Same database and same rules as the Slack side (bot.digest, bot.store.state). Settings come from the environment
(and `.env`) through bot.settings: DATABASE_URL (default: a SQLite file data/natobot.db), SLACK_BOT_TOKEN and
SLACK_API_URL for `send-due`. Every handler takes (args, out) and returns the exit status, like bot.cli.main's.
A bad time, zone or setting is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from bot.digest import schedule
from bot.digest.defaults import DEFAULT_TIME, DEFAULT_TZ

if TYPE_CHECKING:
    from bot.answering.engine import Engine
    from bot.store.state import Store

EXIT_USAGE = 2
# bot.digest.schedule is pure and light; the rotation (which loads the engine) and the sending (aiohttp, slack_sdk,
# the store) are imported when a digest command needs them, so `natobot ask` and the others do not pay for them.


class UsageError(Exception):
    """A bad argument or setting: reported as one line, exit status 2."""


def _fail(message: str) -> int:
    sys.stderr.write(f"natobot: {message}\n")
    return EXIT_USAGE


def _settings() -> Any:
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        raise UsageError(str(exc)) from None


def database_url() -> str:
    return str(_settings().database)


def _engine(args: argparse.Namespace) -> Engine:
    from bot.answering.engine import Engine

    return Engine.load(getattr(args, "data", None))


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {value!r}: use YYYY-MM-DD") from None


def parse_weekday(value: str) -> int:
    names = [d.lower() for d in schedule.WEEKDAY_NAMES]
    low = value.strip().lower()
    for i, name in enumerate(names):
        if low in (name, name[:3], name + "s"):
            return i
    raise argparse.ArgumentTypeError(f"bad day {value!r}: use monday ... sunday")


def parse_now(value: str) -> datetime:
    """ISO-8601; a time without an offset is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad time {value!r}: use ISO-8601 like 2025-03-03T08:00:00Z") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _run(args: argparse.Namespace, work: Callable[[Store], Awaitable[int]], *,
         clock: Callable[[], datetime] | None = None) -> int:
    """Open the store, run `work`, close; settings and value errors become one line and exit 2."""
    from bot.store.connect import DatabaseProblem, open_store

    try:
        url = database_url()
    except UsageError as exc:
        return _fail(str(exc))

    async def main() -> int:
        try:
            store = await open_store(url, clock=clock)
        except DatabaseProblem as exc:  # a bad URL, credentials, file: one line, exit 2
            raise UsageError(str(exc)) from None
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except UsageError as exc:
        return _fail(str(exc))


# -- digest ----------------------------------------------------------------------------------------

def cmd_preview(args: argparse.Namespace, out: TextIO) -> int:
    from bot.digest import rotation

    day = args.date or datetime.now(UTC).astimezone(ZoneInfo(DEFAULT_TZ)).date()
    try:
        digest = rotation.build_digest(_engine(args), day, include_management=not args.mission_only)
    except rotation.DigestError as exc:
        sys.stderr.write(f"natobot: {exc}\n")
        return 1
    out.write(rotation.digest_text(digest) + "\n")
    return 0


def channel_arg(value: str) -> str:
    """A channel id (or #name) as given on the command line; ArgumentTypeError for a blank or odd one."""
    channel = value.strip()
    if not channel.lstrip("#"):
        raise argparse.ArgumentTypeError("CHANNEL is empty: give a channel id such as C0123456789")
    if len(channel) > 64 or any(c.isspace() or not c.isprintable() for c in channel):
        raise argparse.ArgumentTypeError(f"{value[:64]!r} is not a channel: give a channel id such as C0123456789")
    return channel


def cmd_subscribe(args: argparse.Namespace, out: TextIO) -> int:
    try:
        time, tz = schedule.parse_time(args.time), schedule.parse_zone(args.tz)
    except ValueError as exc:
        return _fail(str(exc))

    cadence = "weekly" if args.weekly is not None else "weekdays" if args.weekdays else "daily"

    async def work(store: Store) -> int:
        sub = await store.subscribe(channel=args.channel, team=args.team, time=time, tz=tz, weekdays=args.weekdays,
                                    cadence=cadence, weekday=args.weekly, include_management=not args.mission_only)
        nxt = schedule.next_run(sub, datetime.now(UTC))
        out.write(f"subscribed {sub.channel}: {schedule.describe(sub)}; next {nxt:%Y-%m-%d %H:%M %Z}\n")
        return 0

    return _run(args, work)


def cmd_unsubscribe(args: argparse.Namespace, out: TextIO) -> int:
    async def work(store: Store) -> int:
        if await store.unsubscribe(args.channel):
            out.write(f"unsubscribed {args.channel}\n")
            return 0
        sys.stderr.write(f"natobot: {args.channel} was not subscribed\n")
        return 1

    return _run(args, work)


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    async def work(store: Store) -> int:
        subs = await store.subscriptions()
        for line in schedule.format_subscriptions(subs, datetime.now(UTC)):
            out.write(line + "\n")
        errors = sum(1 for s in subs if s.error)
        out.write(f"{len(subs)} subscription(s), {errors} with a channel error\n")
        return 0

    return _run(args, work)


def slack_client() -> Any:
    """An AsyncWebClient from SLACK_BOT_TOKEN / SLACK_API_URL; UsageError when the token is missing."""
    from slack_sdk.web.async_client import AsyncWebClient

    settings = _settings()
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token is not None else ""
    if not token:
        raise UsageError("SLACK_BOT_TOKEN is not set (needed to post the digest)")
    return AsyncWebClient(token=token, base_url=settings.slack_api_url)


def cmd_send_due(args: argparse.Namespace, out: TextIO) -> int:
    """Post every due, unsent digest and exit 0 (failures stay due for the next run); for cron."""
    try:
        client = slack_client()
    except UsageError as exc:
        return _fail(str(exc))
    engine = _engine(args)
    pinned: datetime | None = args.now

    from bot.digest.send import send_due

    async def work(store: Store) -> int:
        report = await send_due(store, client, engine, pinned or datetime.now(UTC))
        out.write(report.summary() + "\n")
        for channel, reason in sorted(report.channel_errors.items()):
            out.write(f"  {channel}: {reason} (marked; see `natobot digest list`)\n")
        for channel, reason in sorted(report.failed.items()):
            out.write(f"  {channel}: {reason} (still due)\n")
        return 0

    # A pinned --now pins the store's clock too, so claim leases agree with it.
    return _run(args, work, clock=(lambda: pinned) if pinned is not None else None)


# -- report ----------------------------------------------------------------------------------------

def cmd_report_unanswered(args: argparse.Namespace, out: TextIO) -> int:
    if args.limit < 1:
        return _fail("--limit must be at least 1")

    async def work(store: Store) -> int:
        rows = await store.unanswered_rows(args.limit)
        if not rows:
            out.write("no unanswered questions recorded\n")
            return 0
        width = max(len(str(n)) for _, n, _ in rows)
        for question, count, status in rows:
            # Answered, but someone in Slack said the answer was not helpful: as much a curator's job.
            note = "  (answered; voted not helpful)" if status == "not-helpful" else ""
            out.write(f"{count:>{width}}  {question}{note}\n")
        out.write(f"{len(rows)} question(s), most asked first\n")
        return 0

    return _run(args, work)


def cmd_report_feedback(args: argparse.Namespace, out: TextIO) -> int:
    """Votes per answered question, most "not helpful" first, with what people said was wrong."""
    if args.limit < 1:
        return _fail("--limit must be at least 1")

    async def work(store: Store) -> int:
        rows = await store.feedback_report(args.limit)
        if not rows:
            out.write("no feedback recorded\n")
            return 0
        for row in rows:
            entry = f"  [{row.entry}]" if row.entry else ""
            out.write(f"+{row.up} -{row.down}  {row.question}{entry}\n")
            if row.reasons:
                reasons = ", ".join(f"{code} x{n}" for code, n in sorted(row.reasons.items(), key=lambda kv: -kv[1]))
                out.write(f"      why: {reasons}\n")
            for comment in row.comments[:5]:
                out.write(f"      \"{' '.join(comment.split())[:300]}\"\n")
        out.write(f"{len(rows)} question(s), most voted not helpful first\n")
        return 0

    return _run(args, work)


def add_commands(sub: Any) -> None:
    """Register `digest` and `report` on bot.cli.main's sub-parsers object."""
    digest = sub.add_parser("digest", help="the daily digest of the mission objectives")
    d_sub = digest.add_subparsers(dest="digest_command", required=True)

    preview = d_sub.add_parser("preview", help="print a day's digest (default: today in Brussels)")
    preview.add_argument("--date", type=parse_date, default=None, metavar="YYYY-MM-DD")
    preview.add_argument("--mission-only", action="store_true", help="as for a subscription without management")
    preview.set_defaults(func=cmd_preview)

    subscribe = d_sub.add_parser("subscribe", help="post the digest in CHANNEL every day, on weekdays or weekly")
    subscribe.add_argument("channel", metavar="CHANNEL", type=channel_arg, help="Slack channel id, e.g. C0123456789")
    subscribe.add_argument("--time", default=DEFAULT_TIME, metavar="HH:MM", help="local time (default 09:00)")
    subscribe.add_argument("--tz", default=DEFAULT_TZ, metavar="ZONE",
                           help="IANA time zone (default Europe/Brussels)")
    when = subscribe.add_mutually_exclusive_group()
    when.add_argument("--weekdays", action="store_true", help="Monday to Friday only")
    when.add_argument("--weekly", type=parse_weekday, default=None, metavar="DAY",
                      help="once a week on DAY (monday ... sunday)")
    subscribe.add_argument("--mission-only", action="store_true", help="leave out the management objectives")
    subscribe.add_argument("--team", default="", help="Slack team id (for the App Home's list)")
    subscribe.set_defaults(func=cmd_subscribe)

    unsubscribe = d_sub.add_parser("unsubscribe", help="stop the digest in CHANNEL")
    unsubscribe.add_argument("channel", metavar="CHANNEL", type=channel_arg)
    unsubscribe.set_defaults(func=cmd_unsubscribe)

    listing = d_sub.add_parser("list", help="every subscription, with its last post and any channel error")
    listing.set_defaults(func=cmd_list)

    send = d_sub.add_parser("send-due", help="post every digest that is due and not yet sent, then exit")
    send.add_argument("--now", type=parse_now, default=None, metavar="ISO-8601", help="pin the clock")
    send.set_defaults(func=cmd_send_due)

    report = sub.add_parser("report", help="reports for curators")
    r_sub = report.add_subparsers(dest="report_command", required=True)
    unanswered = r_sub.add_parser("unanswered", help="the questions natobot could not answer, most asked first")
    unanswered.add_argument("--limit", type=int, default=20, metavar="N")
    unanswered.set_defaults(func=cmd_report_unanswered)
    feedback = r_sub.add_parser("feedback", help="votes on answers, most voted not helpful first, and why")
    feedback.add_argument("--limit", type=int, default=20, metavar="N")
    feedback.set_defaults(func=cmd_report_feedback)
