"""HH:MM as people type it: bot.digest.schedule.parse_time is the one parser, and what it returns is the form the
store keeps. Every way of subscribing (the command line here; `/nato digest subscribe` and the App Home form in
their own tests) reads the time through it, so "9:00" means 09:00 everywhere."""

from __future__ import annotations

import argparse
import asyncio
import io

import pytest

from bot.cli import digest as digest_cli
from bot.digest import schedule
from bot.store.digest import check_schedule
from bot.store.state import Store

pytest_plugins = ["db_fixtures"]


@pytest.mark.parametrize(("typed", "kept"), [
    ("09:00", "09:00"),
    ("9:00", "09:00"),  # the hour may drop its leading zero
    ("0:00", "00:00"),
    ("00:00", "00:00"),
    ("23:59", "23:59"),
    ("19:05", "19:05"),
    (" 7:30 ", "07:30"),  # stray spaces around it, as a slash command leaves them
])
def test_parse_time_accepts_and_normalises(typed: str, kept: str) -> None:
    assert schedule.parse_time(typed) == kept
    check_schedule(kept, "UTC")  # the store takes what the parser returns


@pytest.mark.parametrize("typed", [
    "24:00", "25:00", "9:60", "9:5", "09:5", "009:00", "9", "900", "09.00", "9h00", "nine", "", ":", "-1:00",
    "09:00:00", "9:00 am", "٩:٠٠", "9:0٥", "١٩:05",  # other scripts' digits: int() reads them, clocks do not
])
def test_parse_time_refuses_with_a_message_fit_for_a_user(typed: str) -> None:
    with pytest.raises(ValueError, match=r"^bad time .*: use HH:MM on the 24-hour clock, like 09:00$"):
        schedule.parse_time(typed)


def test_the_store_keeps_only_the_parsed_form() -> None:
    # The store checks the stored form and does not parse: given "9:00" unparsed it refuses, so callers parse first.
    with pytest.raises(ValueError, match="bad time '9:00'"):
        check_schedule("9:00", "UTC")


async def test_the_command_line_subscribes_9_00_as_09_00(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    parser = argparse.ArgumentParser(prog="natobot")
    digest_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["digest", "subscribe", "C1", "--time", "9:00", "--tz", "UTC"])
    out = io.StringIO()
    assert await asyncio.to_thread(args.func, args, out) == 0  # the command runs its own event loop
    assert out.getvalue().startswith("subscribed C1: 09:00 UTC, every day; next ")
    store = await Store.open(db_url)
    try:
        sub = await store.subscription("C1")
        assert sub is not None and sub.time == "09:00"
    finally:
        await store.close()
