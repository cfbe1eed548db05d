"""The digest scheduler's next_due: a pass reads only the subscriptions whose time has come, on a real SQLite
file and a real PostgreSQL server, posting to the fake Slack over HTTP; claims stay exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from db_fixtures import Clock
from fakeslack import FakeSlack
from slack_harness import posted_channels
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering.engine import Engine
from bot.digest import service as dg
from bot.store.digest import LOOK_AGAIN
from bot.store.state import Store

pytest_plugins = ["db_fixtures"]

MONDAY_9_BRUSSELS = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # db_fixtures' T0
MONDAY = date(2025, 3, 3)


async def subscribe(store: Store, channel: str, time: str = "09:00") -> None:
    await store.subscribe(channel=channel, team="T1", time=time, tz="Europe/Brussels", weekdays=False)


async def test_a_pass_looks_only_at_what_is_due(store: Store, client: AsyncWebClient, fake: FakeSlack,
                                                engine: Engine, clock: Clock) -> None:
    for n in range(6):
        await subscribe(store, f"CNINE{n}")
        await subscribe(store, f"CTEN{n}", time="10:00")
    first = await dg.send_due(store, client, engine, clock.now)  # 09:00: new ones are all looked at once
    assert (first.checked, first.due, len(first.posted)) == (12, 6, 6)

    clock.advance(timedelta(minutes=1))
    idle = await dg.send_due(store, client, engine, clock.now)
    assert (idle.checked, idle.due, idle.posted) == (0, 0, [])  # sent ones wait for tomorrow, 10:00 ones for 10:00

    clock.now = MONDAY_9_BRUSSELS + timedelta(hours=1)
    ten = await dg.send_due(store, client, engine, clock.now)
    assert (ten.checked, ten.posted) == (6, [f"CTEN{n}" for n in range(6)])

    clock.now = MONDAY_9_BRUSSELS + timedelta(days=1)  # Tuesday 09:00
    tuesday = await dg.send_due(store, client, engine, clock.now)
    assert (tuesday.checked, tuesday.posted) == (6, [f"CNINE{n}" for n in range(6)])
    # Once a day each: the nine o'clock ones twice by now, the ten o'clock ones once.
    assert posted_channels(fake) == Counter({**{f"CNINE{n}": 2 for n in range(6)}, **{f"CTEN{n}": 1 for n in range(6)}})


async def test_a_changed_schedule_is_looked_at_again(store: Store, client: AsyncWebClient, fake: FakeSlack,
                                                     engine: Engine, clock: Clock) -> None:
    await subscribe(store, "C1", time="10:00")
    assert (await dg.send_due(store, client, engine, clock.now)).posted == []
    stale = await store.subscription("C1")
    assert stale is not None and stale.next_due == MONDAY_9_BRUSSELS + timedelta(hours=1)

    await subscribe(store, "C1", time="09:30")  # earlier than the stored next_due
    changed = await store.subscription("C1")
    assert changed is not None and changed.next_due == LOOK_AGAIN
    # A next_due worked out from the old schedule (a pass that read it before the change) is not written.
    await store.reschedule([(stale, MONDAY_9_BRUSSELS + timedelta(hours=1))])
    again = await store.subscription("C1")
    assert again is not None and again.next_due == LOOK_AGAIN

    clock.advance(timedelta(minutes=30))
    assert (await dg.send_due(store, client, engine, clock.now)).posted == ["C1"]
    assert posted_channels(fake) == Counter({"C1": 1})


async def test_claim_deliveries_race_has_one_winner(open_store: Callable[[], Awaitable[Store]],
                                                    clock: Clock) -> None:
    a, b = await open_store(), await open_store()
    channels = [f"C{n:02d}" for n in range(20)]
    # Overlapping sets in opposite orders: each delivery goes to exactly one of the claimers.
    first, second, third = await asyncio.gather(
        a.claim_deliveries([(c, MONDAY) for c in channels[:15]]),
        b.claim_deliveries([(c, MONDAY) for c in reversed(channels[5:])]),
        a.claim_deliveries([(c, MONDAY) for c in channels]))
    for channel in channels:
        won = [r[(channel, MONDAY)] for r in (first, second, third) if (channel, MONDAY) in r]
        assert sorted(won) == sorted(["new"] + [""] * (len(won) - 1)), channel

    clock.advance(timedelta(minutes=6))  # every lease has run out: the stale claims are taken over once
    late = await asyncio.gather(b.claim_deliveries([(c, MONDAY) for c in channels]),
                                a.claim_deliveries([(c, MONDAY) for c in channels]))
    for channel in channels:
        assert sorted(r[(channel, MONDAY)] for r in late) == ["", "expired"], channel
    await a.mark_sent("C00", MONDAY, "1.1")
    clock.advance(timedelta(minutes=6))
    assert (await b.claim_deliveries([("C00", MONDAY)])) == {("C00", MONDAY): ""}  # sent: never again


async def test_racing_replicas_page_through_and_post_each_once(
        open_store: Callable[[], Awaitable[Store]], client: AsyncWebClient, fake: FakeSlack, engine: Engine,
        clock: Clock) -> None:
    replicas = [await open_store() for _ in range(3)]
    channels = [f"C{n:03d}" for n in range(45)]
    for channel in channels:
        await subscribe(replicas[0], channel)
    for channel in channels[:5]:
        await subscribe(replicas[0], channel, time="11:00")  # not due: rescheduled, not posted
    # Pages of 7 and chunks of 2 x 4: many pages and claims, interleaved across the replicas.
    reports = await asyncio.gather(*(dg.send_due(s, client, engine, clock.now, concurrency=2, page=7)
                                     for s in replicas))
    assert posted_channels(fake) == Counter({c: 1 for c in channels[5:]})
    assert sorted(c for r in reports for c in r.posted) == channels[5:]
    assert all(r.failed == {} for r in reports)
    clock.advance(timedelta(minutes=1))
    idle = await asyncio.gather(*(dg.send_due(s, client, engine, clock.now) for s in replicas))
    assert [r.checked for r in idle] == [0, 0, 0]
