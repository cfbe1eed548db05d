"""The daily digest (issue 4): every rule with a pinned clock, against the fake Slack and a real database.

Each database test runs on a real SQLite file and, when NATOBOT_TEST_PG_URL is set, on a real PostgreSQL
server (start one with `eval "$(scripts/postgres.sh)"`); without it those cases skip and say why.
"""

from __future__ import annotations

import argparse
import asyncio
import io
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from db_fixtures import Clock
from fakeslack import FakeSlack
from slack_fixtures import TOKEN
from slack_harness import posted_channels
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering.engine import Engine
from bot.cli import digest as digest_cli
from bot.digest import service as dg
from bot.store.digest import Subscription
from bot.store.state import Store
from handlers.digest import digest_command, parse_subscribe

# Monday 3 March 2025, 08:00 UTC = 09:00 in Brussels (CET, UTC+1): the default digest time.
MONDAY_9_BRUSSELS = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
MONDAY = date(2025, 3, 3)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def subscribe(store: Store, channel: str, *, time: str = "09:00", tz: str = "Europe/Brussels",
                    weekdays: bool = False) -> Subscription:
    return await store.subscribe(channel=channel, team="T1", time=time, tz=tz, weekdays=weekdays)


def sub(time: str = "09:00", tz: str = "Europe/Brussels", weekdays: bool = False,
        last_sent: date | None = None) -> Subscription:
    return Subscription(channel="C1", team="T1", time=time, tz=tz, weekdays=weekdays, error=None,
                        created_at=utc(2025, 1, 1), last_sent_date=last_sent)


# -- what it says: tests/unit/test_digest_content.py ------------------------------------------------------

def run_cli(argv: list[str], out: io.StringIO | None = None) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="natobot")
    parser.add_argument("--data", type=Path, default=None)
    digest_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out = out or io.StringIO()
    return int(args.func(args, out)), out.getvalue()


def test_preview_prints_the_day_without_slack(engine: Engine) -> None:
    code, out = run_cli(["digest", "preview", "--date", "2024-01-01"])
    assert code == 0
    assert out.startswith("natobot digest, Monday 2024-01-01")
    digest = dg.build_digest(engine, date(2024, 1, 1))
    assert out == dg.digest_text(digest) + "\n"
    for line in (digest.piece.label, "approved 15 July 2022", "Source:", "Ask more:"):
        assert line in out
    code, only = run_cli(["digest", "preview", "--date", "2024-01-01", "--mission-only"])
    assert code == 0 and only == dg.digest_text(dg.build_digest(engine, date(2024, 1, 1),
                                                                include_management=False)) + "\n"


def test_preview_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli(["digest", "preview", "--date", "2025-02-30"])
    assert exc.value.code == 2
    assert "bad date '2025-02-30': use YYYY-MM-DD" in capsys.readouterr().err


# -- when it is due ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("schedule", "now", "expected"), [
    # 09:00 Brussels is 08:00 UTC in winter (CET)...
    (sub(), utc(2025, 3, 3, 7, 59), None),
    (sub(), utc(2025, 3, 3, 8, 0), date(2025, 3, 3)),
    (sub(), utc(2025, 3, 3, 22, 59), date(2025, 3, 3)),  # still Monday in Brussels: still due
    (sub(), utc(2025, 3, 3, 23, 0), None),  # Tuesday 00:00 in Brussels: Tuesday is not due before 09:00
    # ...and 07:00 UTC in summer (CEST).
    (sub(), utc(2025, 7, 1, 6, 59), None),
    (sub(), utc(2025, 7, 1, 7, 0), date(2025, 7, 1)),
    # The channel's local date, not UTC's.
    (sub("08:00", "Asia/Tokyo"), utc(2025, 3, 2, 23, 0), date(2025, 3, 3)),
    (sub("18:00", "America/Los_Angeles"), utc(2025, 3, 4, 2, 0), date(2025, 3, 3)),
    (sub("00:00", "UTC"), utc(2025, 3, 3, 0, 0), date(2025, 3, 3)),
    # DST starts in Brussels on 30 March 2025: 02:00 jumps to 03:00, so 02:30 never happens on the wall clock;
    # the digest goes out at the first minute after the gap.
    (sub("02:30"), utc(2025, 3, 30, 0, 59), None),  # 01:59 CET
    (sub("02:30"), utc(2025, 3, 30, 1, 0), date(2025, 3, 30)),  # 03:00 CEST
    # DST ends on 26 October 2025: 02:30 happens twice; the first one makes it due, the second is a repeat.
    (sub("02:30"), utc(2025, 10, 26, 0, 29), None),
    (sub("02:30"), utc(2025, 10, 26, 0, 30), date(2025, 10, 26)),
    (sub("02:30", last_sent=date(2025, 10, 26)), utc(2025, 10, 26, 1, 30), None),
    # Weekdays only: Saturday and Sunday are skipped, by the local calendar.
    (sub(weekdays=True), utc(2025, 3, 8, 10, 0), None),  # Saturday
    (sub(weekdays=True), utc(2025, 3, 9, 10, 0), None),  # Sunday
    (sub(weekdays=True), utc(2025, 3, 7, 10, 0), date(2025, 3, 7)),  # Friday
    (sub("00:30", "Asia/Tokyo", weekdays=True), utc(2025, 3, 7, 16, 0), None),  # Friday in UTC, Saturday in Tokyo
    (sub("08:00", "Asia/Tokyo", weekdays=True), utc(2025, 3, 9, 23, 30), date(2025, 3, 10)),  # Monday in Tokyo
    (sub(weekdays=False), utc(2025, 3, 8, 10, 0), date(2025, 3, 8)),
    # Sent today: not due again. Sent days ago (downtime): only today is due, once.
    (sub(last_sent=date(2025, 3, 3)), utc(2025, 3, 3, 12, 0), None),
    (sub(last_sent=date(2025, 2, 20)), utc(2025, 3, 3, 12, 0), date(2025, 3, 3)),
])
def test_due_date(schedule: Subscription, now: datetime, expected: date | None) -> None:
    assert dg.due_date(schedule, now) == expected


def test_due_date_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        dg.due_date(sub(), datetime(2025, 3, 3, 9, 0))


@pytest.mark.parametrize(("schedule", "now", "expected"), [
    (sub(), utc(2025, 3, 3, 7, 0), "2025-03-03 09:00 CET"),
    (sub(last_sent=date(2025, 3, 3)), utc(2025, 3, 3, 9, 0), "2025-03-04 09:00 CET"),
    (sub(weekdays=True), utc(2025, 3, 7, 9, 0), "2025-03-07 10:00 CET"),  # due now: now
    (sub(weekdays=True, last_sent=date(2025, 3, 7)), utc(2025, 3, 7, 9, 0), "2025-03-10 09:00 CET"),
    # 02:30 does not exist on 30 March in Brussels: due from 03:00, the end of the gap, as due_date says.
    (sub("02:30", last_sent=date(2025, 3, 29)), utc(2025, 3, 29, 12, 0), "2025-03-30 03:00 CEST"),
    (sub("02:30", last_sent=date(2025, 3, 30)), utc(2025, 3, 30, 12, 0), "2025-03-31 02:30 CEST"),
    (sub("02:30", last_sent=date(2025, 10, 25)), utc(2025, 10, 25, 12, 0), "2025-10-26 02:30 CEST"),
])
def test_next_run(schedule: Subscription, now: datetime, expected: str) -> None:
    assert f"{dg.next_run(schedule, now):%Y-%m-%d %H:%M %Z}" == expected


# -- bad time or zone --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("words", "expected"), [
    ([], ("09:00", "Europe/Brussels", False)),
    (["7:30"], ("07:30", "Europe/Brussels", False)),
    (["17:05", "America/New_York", "weekdays"], ("17:05", "America/New_York", True)),
    (["weekdays", "asia/tokyo"], ("09:00", "Asia/Tokyo", True)),  # any order, any case
    (["UTC", "00:00"], ("00:00", "UTC", False)),
])
def test_parse_subscribe(words: list[str], expected: tuple[str, str, bool]) -> None:
    assert parse_subscribe(words) == expected


@pytest.mark.parametrize(("words", "message"), [
    (["25:00"], "bad time '25:00': use HH:MM"),
    (["9:60"], "bad time '9:60'"),
    (["Mars/Olympus"], "unknown time zone 'Mars/Olympus': use an IANA name"),
    (["09:00", "Europe/Brussels", "extra"], "unexpected 'extra'"),
])
def test_parse_subscribe_errors(words: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_subscribe(words)


@pytest.mark.parametrize(("options", "message"), [
    (["--time", "24:00"], "natobot: bad time '24:00': use HH:MM on the 24-hour clock, like 09:00\n"),
    (["--time", "nine"], "natobot: bad time 'nine': use HH:MM on the 24-hour clock, like 09:00\n"),
    (["--tz", "Europe/Atlantis"], "natobot: unknown time zone 'Europe/Atlantis': use an IANA name like "
                                  "Europe/Brussels\n"),
])
async def test_cli_subscribe_rejects_bad_time_or_zone(
        options: list[str], message: str, db_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    code, out = run_cli(["digest", "subscribe", "C1", *options])
    assert (code, out) == (2, "")
    assert capsys.readouterr().err == message  # one clear line
    st = await Store.open(db_url)
    try:
        assert await st.subscriptions() == []
    finally:
        await st.close()


@pytest.mark.parametrize(("command", "message"), [
    ("digest subscribe 25:00", "Not subscribed: bad time '25:00'"),
    ("digest subscribe 09:00 Mars/Olympus", "Not subscribed: unknown time zone 'Mars/Olympus'"),
])
async def test_slash_subscribe_rejects_bad_time_or_zone(
        command: str, message: str, store: Store, client: AsyncWebClient, engine: Engine) -> None:
    reply = await digest_command(command, channel="C1", team="T1", store=store, client=client, engine=engine,
                                 now=MONDAY_9_BRUSSELS)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith(message)
    assert await store.subscription("C1") is None


# -- send_due: posting exactly once ----------------------------------------------------------------------

async def test_send_due_posts_due_channels_once(store: Store, client: AsyncWebClient, fake: FakeSlack,
                                                engine: Engine, clock: Clock) -> None:
    await subscribe(store, "CBRUSSELS")  # 09:00 Brussels = now: due
    await subscribe(store, "CLATER", time="10:00")  # not yet
    await subscribe(store, "CTOKYO", time="08:00", tz="Asia/Tokyo")  # 17:00 in Tokyo: due since 08:00
    await subscribe(store, "CWEEKEND", weekdays=True)  # Monday: due
    report = await dg.send_due(store, client, engine, clock.now)
    assert report.posted == ["CBRUSSELS", "CTOKYO", "CWEEKEND"]
    assert (report.checked, report.due, report.failed, report.channel_errors) == (4, 3, {}, {})
    assert posted_channels(fake) == Counter({"CBRUSSELS": 1, "CTOKYO": 1, "CWEEKEND": 1})
    call = fake.calls_to("chat.postMessage")[0]
    assert call.token == TOKEN
    assert call.params["blocks"] == dg.digest_blocks(dg.build_digest(engine, MONDAY))["blocks"]  # 3 March 2025's
    assert call.params["unfurl_links"] is False
    assert "link_names" not in call.params
    sent = await store.subscription("CBRUSSELS")
    assert sent is not None and sent.last_sent_date == MONDAY

    # The same instant again, and later that day: nothing new but CLATER at 10:00.
    again = await dg.send_due(store, client, engine, clock.now)
    assert again.posted == [] and again.due == 0
    clock.now += timedelta(hours=1)
    later = await dg.send_due(store, client, engine, clock.now)
    assert later.posted == ["CLATER"]
    assert sum(posted_channels(fake).values()) == 4


async def test_three_concurrent_runs_on_two_stores_post_each_digest_once(
        open_store: Callable[[], Awaitable[Store]], fake: FakeSlack, engine: Engine, clock: Clock) -> None:
    first, second = await open_store(), await open_store()
    channels = [f"C{i:03d}" for i in range(30)]
    for ch in channels:
        await subscribe(first, ch)
    clients = [AsyncWebClient(token=TOKEN, base_url=fake.url) for _ in range(3)]
    reports = await asyncio.gather(
        dg.send_due(first, clients[0], engine, clock.now),
        dg.send_due(second, clients[1], engine, clock.now),
        dg.send_due(first, clients[2], engine, clock.now),
    )
    assert posted_channels(fake) == Counter({ch: 1 for ch in channels})
    assert sorted(ch for r in reports for ch in r.posted) == channels
    assert all(not r.failed for r in reports)
    assert sum(len(r.posted) for r in reports) == len(channels)  # no channel in two runs' posted lists
    later = await dg.send_due(second, clients[0], engine, clock.now)
    assert later.posted == [] and later.due == 0


@pytest.mark.parametrize("failure", [{"status": 500}, {"status": 503}, {"error": "internal_error"},
                                     {"status": 429, "retry_after": 1}])
async def test_failed_post_leaves_the_digest_due_and_the_next_run_sends_it(
        failure: dict[str, Any], store: Store, client: AsyncWebClient, fake: FakeSlack, engine: Engine,
        clock: Clock) -> None:
    await subscribe(store, "C1")
    fake.fail_next("chat.postMessage", **failure)
    report = await dg.send_due(store, client, engine, clock.now)
    assert report.posted == [] and list(report.failed) == ["C1"]
    after = await store.subscription("C1")
    assert after is not None and after.last_sent_date is None and after.error is None  # still due, not marked
    assert dg.due_date(after, clock.now) == MONDAY

    clock.now += timedelta(seconds=30)  # the next scheduler tick
    retry = await dg.send_due(store, client, engine, clock.now)
    assert retry.posted == ["C1"]
    assert len(fake.calls_to("chat.postMessage")) == 2  # the failed try and the post


async def test_timeout_leaves_the_digest_due(store: Store, fake: FakeSlack, engine: Engine,
                                             clock: Clock) -> None:
    # A real server that accepts the request and never answers.
    hung: list[asyncio.StreamWriter] = []

    async def never_answer(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hung.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await subscribe(store, "C1")
        slow = AsyncWebClient(token=TOKEN, base_url=f"http://127.0.0.1:{port}/api/", timeout=1)
        report = await dg.send_due(store, slow, engine, clock.now)
        assert report.posted == [] and report.failed == {"C1": "timeout"}
    finally:
        for writer in hung:
            writer.close()
        server.close()
        await server.wait_closed()
    retry = await dg.send_due(store, AsyncWebClient(token=TOKEN, base_url=fake.url), engine, clock.now)
    assert retry.posted == ["C1"]


async def test_after_days_of_downtime_only_todays_digest_goes_out(
        store: Store, client: AsyncWebClient, fake: FakeSlack, engine: Engine, clock: Clock) -> None:
    await subscribe(store, "C1")
    await subscribe(store, "C2", weekdays=True)
    assert (await dg.send_due(store, client, engine, clock.now)).posted == ["C1", "C2"]
    # Down from Monday morning until Saturday afternoon: one digest for Saturday, none for the days missed.
    clock.now = utc(2025, 3, 8, 15, 0)
    report = await dg.send_due(store, client, engine, clock.now)
    assert report.posted == ["C1"]  # C2 is weekdays only: nothing on Saturday, no make-up for Tuesday-Friday
    assert posted_channels(fake) == Counter({"C1": 2, "C2": 1})
    saturday = fake.calls_to("chat.postMessage")[-1]
    assert dg.build_digest(engine, date(2025, 3, 8)).label in saturday.params["text"]
    c1 = await store.subscription("C1")
    assert c1 is not None and c1.last_sent_date == date(2025, 3, 8)
    # Monday: C2's next digest, just the one.
    clock.now = utc(2025, 3, 10, 8, 0)
    assert (await dg.send_due(store, client, engine, clock.now)).posted == ["C1", "C2"]


@pytest.mark.parametrize("error", sorted(dg.CHANNEL_ERRORS))
async def test_channel_error_is_marked_shown_and_other_channels_unaffected(
        error: str, store: Store, client: AsyncWebClient, fake: FakeSlack, engine: Engine, clock: Clock,
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for ch in ("C1", "C2", "C3"):
        await subscribe(store, ch)
    fake.fail_next("chat.postMessage", error=error)
    report = await dg.send_due(store, client, engine, clock.now, concurrency=1)
    assert len(report.channel_errors) == 1
    (bad, reason), = report.channel_errors.items()
    assert reason == error
    good = sorted({"C1", "C2", "C3"} - {bad})
    assert report.posted == good and report.failed == {}
    marked = await store.subscription(bad)
    assert marked is not None and marked.error == error and marked.last_sent_date is None

    # Paused: the next runs do not hammer a channel that cannot take posts.
    calls = len(fake.calls_to("chat.postMessage"))
    clock.now += timedelta(minutes=10)
    later = await dg.send_due(store, client, engine, clock.now)
    assert later.posted == [] and later.paused == [bad]
    assert len(fake.calls_to("chat.postMessage")) == calls

    # Shown by `/nato digest status` and `natobot digest list`.
    status = await digest_command("digest status", channel=bad, team="T1", store=store, client=client,
                                  engine=engine, now=clock.now)
    assert error in status["text"] and "Paused" in status["text"]
    monkeypatch.setenv("DATABASE_URL", db_url)
    code, listing = await asyncio.to_thread(run_cli, ["digest", "list"])
    assert code == 0
    lines = {line.split()[0]: line for line in listing.splitlines()[:-1]}
    assert f"ERROR: {error}" in lines[bad]
    assert all("ERROR" not in lines[ch] for ch in good)
    assert listing.splitlines()[-1] == "3 subscription(s), 1 with a channel error"

    # Subscribing again (after inviting the bot) clears the mark, and the day's digest goes out.
    reply = await digest_command("digest subscribe", channel=bad, team="T1", store=store, client=client,
                                 engine=engine, now=clock.now)
    assert "gets the digest at 09:00 Europe/Brussels, every day" in reply["text"]
    assert (await dg.send_due(store, client, engine, clock.now)).posted == [bad]
    assert posted_channels(fake) == Counter({"C1": 1, "C2": 1, "C3": 1}) + Counter({bad: 1})


# -- /nato digest ----------------------------------------------------------------------------------------

async def test_slash_command_subscribe_status_unsubscribe(store: Store, client: AsyncWebClient,
                                                          engine: Engine, clock: Clock) -> None:
    async def nato(text: str) -> str:
        reply = await digest_command(text, channel="C9", team="T1", store=store, client=client, engine=engine,
                                     now=clock.now)
        assert reply["response_type"] == "ephemeral" and reply["blocks"]
        return str(reply["text"])

    assert "not subscribed" in await nato("digest status")
    reply = await nato("digest subscribe 17:30 america/new_york weekdays")
    assert "17:30 America/New_York, weekdays only" in reply
    assert "Next: Monday 03 March 17:30 EST" in reply
    saved = await store.subscription("C9")
    assert saved is not None and (saved.time, saved.tz, saved.weekdays, saved.team) == (
        "17:30", "America/New_York", True, "T1")
    status = await nato("status")  # "digest" may be left off by the dispatcher
    assert "last posted: never" in status and "Next: Monday 03 March 17:30 EST" in status
    assert "no longer get" in await nato("digest unsubscribe")
    assert "was not subscribed" in await nato("digest unsubscribe")
    assert "`/nato digest subscribe" in await nato("digest")
    assert "is not a digest command" in await nato("digest frobnicate")


async def test_slash_command_now_posts_todays_digest(store: Store, client: AsyncWebClient, fake: FakeSlack,
                                                     engine: Engine, clock: Clock) -> None:
    reply = await digest_command("digest now", channel="C5", team="T1", store=store, client=client,
                                 engine=engine, now=clock.now)
    today = dg.build_digest(engine, MONDAY)
    assert reply["text"].startswith(f"Posted today's digest: {today.heading}")
    (call,) = fake.calls_to("chat.postMessage")
    assert call.params["channel"] == "C5" and call.params["blocks"] == dg.digest_blocks(today)["blocks"]
    # An on-demand post does not use up the scheduled one.
    await subscribe(store, "C5")
    assert (await dg.send_due(store, client, engine, clock.now)).posted == ["C5"]


async def test_slash_command_now_reports_and_clears_channel_errors(
        store: Store, client: AsyncWebClient, fake: FakeSlack, engine: Engine, clock: Clock) -> None:
    await subscribe(store, "C5")
    fake.fail_next("chat.postMessage", error="not_in_channel")
    reply = await digest_command("now", channel="C5", team="T1", store=store, client=client, engine=engine,
                                 now=clock.now)
    assert "not_in_channel" in reply["text"] and "Invite me" in reply["text"]
    marked = await store.subscription("C5")
    assert marked is not None and marked.error == "not_in_channel"
    reply = await digest_command("now", channel="C5", team="T1", store=store, client=client, engine=engine,
                                 now=clock.now)
    assert reply["text"].startswith("Posted")
    cleared = await store.subscription("C5")
    assert cleared is not None and cleared.error is None


# -- the CLI on the same database ------------------------------------------------------------------------

@pytest.fixture
def cli_env(db_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake.url)
    yield


async def cli(*argv: str) -> tuple[int, str]:
    # The CLI runs its own event loop (asyncio.run), so it runs in a thread beside the fake Slack's loop.
    return await asyncio.to_thread(run_cli, list(argv))


@pytest.mark.usefixtures("cli_env")
async def test_cli_subscribe_list_send_due_unsubscribe(fake: FakeSlack) -> None:
    code, out = await cli("digest", "subscribe", "C1")
    assert code == 0 and out.startswith("subscribed C1: 09:00 Europe/Brussels, every day; next ")
    code, out = await cli("digest", "subscribe", "C2", "--time", "7:15", "--tz", "asia/tokyo", "--weekdays")
    assert code == 0 and "C2: 07:15 Asia/Tokyo, weekdays only" in out

    code, out = await cli("digest", "send-due", "--now", "2025-03-03T07:59:00Z")
    assert code == 0 and out.startswith("digest send-due: 1 posted, 1 due, 2 subscriptions")  # Tokyo only
    code, out = await cli("digest", "send-due", "--now", "2025-03-03T09:00:00+01:00")
    assert code == 0 and out.startswith("digest send-due: 1 posted, 1 due")
    code, out = await cli("digest", "send-due", "--now", "2025-03-03T10:00:00")  # naive: UTC
    assert code == 0 and out.startswith("digest send-due: 0 posted, 0 due")
    assert posted_channels(fake) == Counter({"C1": 1, "C2": 1})

    code, out = await cli("digest", "list")
    assert code == 0
    assert "C1" in out and "last sent 2025-03-03" in out and "0 with a channel error" in out
    code, out = await cli("digest", "unsubscribe", "C1")
    assert (code, out) == (0, "unsubscribed C1\n")
    code, out = await cli("digest", "unsubscribe", "C1")
    assert code == 1


@pytest.mark.usefixtures("cli_env")
async def test_cli_send_due_leaves_failures_due_and_exits_0(fake: FakeSlack) -> None:
    await cli("digest", "subscribe", "C1")
    fake.fail_next("chat.postMessage", status=502)
    code, out = await cli("digest", "send-due", "--now", "2025-03-03T08:00:00Z")
    assert code == 0 and "0 posted" in out and "C1: HTTP 502 fatal_error (still due)" in out
    code, out = await cli("digest", "send-due", "--now", "2025-03-03T08:00:30Z")
    assert code == 0 and out.startswith("digest send-due: 1 posted")


async def test_cli_send_due_without_a_token_is_one_line(
        db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    code, _ = await asyncio.to_thread(run_cli, ["digest", "send-due"])
    assert code == 2
    assert capsys.readouterr().err == "natobot: SLACK_BOT_TOKEN is not set (needed to post the digest)\n"


def test_cli_send_due_bad_now_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli(["digest", "send-due", "--now", "tomorrow"])
    assert exc.value.code == 2 and "bad time 'tomorrow'" in capsys.readouterr().err


async def test_report_unanswered(db_url: str, store: Store, monkeypatch: pytest.MonkeyPatch,
                                 tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    code, out = await asyncio.to_thread(run_cli, ["report", "unanswered"])
    assert (code, out) == (0, "no unanswered questions recorded\n")
    for q in ["Who runs the canteen?", "who runs the canteen", "What is the budget?", "Who runs the canteen?"]:
        await store.record_unanswered(q, status="fallback", entry=None)
    code, out = await asyncio.to_thread(run_cli, ["report", "unanswered", "--limit", "1"])
    assert code == 0
    assert out.splitlines() == ["3  who runs the canteen", "1 question(s), most asked first"]
