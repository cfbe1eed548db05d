"""bot.store.state on a real SQLite file and, when NATOBOT_TEST_PG_URL is set, a real PostgreSQL server.

Start one with `eval "$(scripts/postgres.sh)"`. Every test runs on both backends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from db_fixtures import NO_PG, PG_URL, Clock, reset_postgres
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.answering.context import Context
from bot.store.base import PURGE_EVERY
from bot.store.conversations import CONTEXT_TTL
from bot.store.digest import Subscription
from bot.store.engine import async_url
from bot.store.feedback import FEEDBACK_KEEP, UNANSWERED_KEEP
from bot.store.migrations import head_revision
from bot.store.schema import contexts, events, feedback, unanswered
from bot.store.state import Store

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
DAY = date(2025, 3, 3)


def fields(ctx: object) -> tuple[object, ...] | None:
    """A context's subject as stored (the store hands back its own record, not the engine's Context)."""
    if ctx is None:
        return None
    return (list(ctx.entities), ctx.intent, ctx.facet)  # type: ignore[attr-defined]



async def _count(store: Store, table: Any) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


# -- URLs and opening -----------------------------------------------------------------------

@pytest.mark.parametrize(("given", "driver", "database"), [
    ("sqlite:///data/natobot.db", "sqlite+aiosqlite", "data/natobot.db"),
    ("sqlite+aiosqlite:///data/natobot.db", "sqlite+aiosqlite", "data/natobot.db"),
    ("sqlite:////abs/natobot.db", "sqlite+aiosqlite", "/abs/natobot.db"),
    ("postgresql://u:p@db:5432/natobot", "postgresql+asyncpg", "natobot"),
    ("postgresql+asyncpg://u:p@db:5432/natobot", "postgresql+asyncpg", "natobot"),
    ("postgres://u:p@db/natobot", "postgresql+asyncpg", "natobot"),
])
def test_async_url_accepts_the_documented_forms(given: str, driver: str, database: str) -> None:
    url = async_url(given)
    assert (url.drivername, url.database) == (driver, database)


@pytest.mark.parametrize("given", [
    "mysql://u:p@db/natobot", "postgresql+psycopg2://u@db/x", "sqlite://", "sqlite:///:memory:", "redis://db",
])
def test_async_url_rejects_other_forms(given: str) -> None:
    with pytest.raises(ValueError):
        async_url(given)


def _url_variants() -> list[Any]:
    variants: list[Any] = [("sqlite", "sqlite:///"), ("sqlite", "sqlite+aiosqlite:///")]
    for prefix in ("postgresql://", "postgres://", "postgresql+asyncpg://"):
        variants.append(pytest.param("postgresql", prefix, marks=pytest.mark.skipif(not PG_URL, reason=NO_PG)))
    return variants


@pytest.mark.parametrize(("backend", "prefix"), _url_variants())
async def test_open_every_url_form_for_real(backend: str, prefix: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        url = f"{prefix}{tmp_path / 'new-dir' / 'x.db'}"  # the directory is created on open
    else:
        assert PG_URL is not None
        await reset_postgres(PG_URL)
        url = prefix + PG_URL.split("://", 1)[1]
    store = await Store.open(url)
    try:
        assert await store.ping()
        assert store.schema_version == head_revision()
    finally:
        await store.close()


async def test_ping_is_false_when_the_database_is_unreachable() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody:x@127.0.0.1:1/none")
    store = Store(engine, clock=Clock(), schema_version="none")
    try:
        assert await store.ping() is False
    finally:
        await store.close()


async def test_open_fails_cleanly_when_the_database_is_unreachable() -> None:
    with pytest.raises((OSError, DBAPIError)):
        await Store.open("postgresql://nobody:x@127.0.0.1:1/none")


async def test_naive_clock_is_refused(db_url: str) -> None:
    store = await Store.open(db_url, clock=lambda: datetime(2025, 1, 1))
    try:
        with pytest.raises(ValueError, match="aware"):
            await store.claim_event("Ev1")
    finally:
        await store.close()


# -- event dedup --------------------------------------------------------------------------------

async def test_claim_event_once(open_store: Callable[[], Awaitable[Store]]) -> None:
    a, b = await open_store(), await open_store()
    assert await a.claim_event("Ev1")
    assert not await a.claim_event("Ev1")
    assert not await b.claim_event("Ev1")
    assert await b.claim_event("Ev2")


async def test_claim_event_expires_and_is_purged(store: Store, clock: Clock) -> None:
    assert await store.claim_event("Ev1", ttl=timedelta(hours=1))
    clock.advance(timedelta(minutes=59))
    assert not await store.claim_event("Ev1")
    clock.advance(timedelta(minutes=2))
    assert await store.claim_event("Ev1", ttl=timedelta(hours=1))  # expired: counts as new
    assert await store.claim_event("Ev2", ttl=timedelta(seconds=1))
    clock.advance(PURGE_EVERY + timedelta(hours=2))
    assert await store.claim_event("Ev3")  # this call purges Ev1 and Ev2
    assert await _count(store, events) == 1


async def test_claim_event_race_has_one_winner(open_store: Callable[[], Awaitable[Store]]) -> None:
    a, b = await open_store(), await open_store()
    instances = [a, b, a]  # 3 tasks over 2 Store instances
    for n in range(15):
        results = await asyncio.gather(*(s.claim_event(f"Ev{n}") for s in instances))
        assert sorted(results) == [False, False, True], n


async def test_long_event_ids_are_stored(store: Store) -> None:
    assert await store.claim_event("E" * 5000)
    assert not await store.claim_event("E" * 5000)


# -- conversation context ----------------------------------------------------------------------

@pytest.mark.parametrize("ctx", [
    Context(),
    Context(entities=["ims"], intent="head", facet="head"),
    Context(entities=["ims", "nmr", "acos"], intent=None, facet="location"),
    Context(entities=["ümlaut-ü", "x" * 300], intent="what", facet=None),
])
async def test_context_round_trip(store: Store, ctx: Context) -> None:
    await store.save_context("T1:C1:U1", ctx)
    assert fields(await store.load_context("T1:C1:U1")) == fields(ctx)


async def test_context_upsert_missing_and_expiry(store: Store, clock: Clock) -> None:
    assert await store.load_context("k") is None
    await store.save_context("k", Context(entities=["ims"], intent="head", facet="head"))
    await store.save_context("k", Context(entities=["nmr"], intent="where", facet="location"))
    assert fields(await store.load_context("k")) == fields(Context(entities=["nmr"], intent="where", facet="location"))
    await store.save_context("other", Context(entities=["ims"]))
    clock.advance(CONTEXT_TTL + timedelta(seconds=1))
    assert await store.load_context("k") is None
    await store.save_context("fresh", Context())  # purges the two stale rows
    assert await _count(store, contexts) == 1


async def test_context_with_a_facet_no_longer_known_loads_without_it(store: Store) -> None:
    await store.save_context("k", Context(entities=["ims"], facet=cast(Any, "retired-facet")))
    assert fields(await store.load_context("k")) == fields(Context(entities=["ims"], facet=None))


# -- feedback and unanswered -------------------------------------------------------------------

async def test_feedback_one_vote_per_user_and_message(store: Store) -> None:
    assert await store.feedback_counts() == {"up": 0, "down": 0}
    common = {"team": "T1", "channel": "C1", "question": "who heads the ims?", "entry": "ims"}
    await store.record_feedback(user="U1", message_ts="1.1", vote="up", **common)
    await store.record_feedback(user="U1", message_ts="1.1", vote="up", **common)
    assert await store.feedback_counts() == {"up": 1, "down": 0}
    await store.record_feedback(user="U1", message_ts="1.1", vote="down", **common)  # changed their mind
    assert await store.feedback_counts() == {"up": 0, "down": 1}
    await store.record_feedback(user="U2", message_ts="1.1", vote="up", **common)
    await store.record_feedback(user="U1", message_ts="2.2", vote="up", **common)
    await store.record_feedback(user="U1", message_ts="1.1", vote="down", team="T1", channel="C2",
                                question="q" * 60_000, entry=None)
    assert await store.feedback_counts() == {"up": 2, "down": 2}


async def test_feedback_rejects_other_votes(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.record_feedback(team="T", channel="C", user="U", message_ts="1", question="q", entry=None,
                                    vote=cast(Any, "meh"))


async def test_unanswered_grouped_by_normalised_text(store: Store, clock: Clock) -> None:
    asked = [
        ("What is the IMS's budget?", 3), ("what is the ims budget", 0), ("WHAT IS THE IMS BUDGET!!", 0),
        ("Who is the chef?", 0), ("who is the chef", 0), ("weather in Brussels", 0), ("???", 0), ("🙂", 0),
    ]
    for question, _ in asked:
        clock.advance(timedelta(seconds=1))
        await store.record_unanswered(question, status="no-data", entry=None)
    await store.record_unanswered("x" * 56_000, status="fallback", entry="ims")
    top = await store.top_unanswered()
    assert top[:3] == [("what is the ims budget", 3), ("who is the chef", 2), ("x" * 500, 1)]
    assert ("weather in brussels", 1) in top
    assert len(top) == 4  # punctuation and emoji alone are not recorded
    assert await store.top_unanswered(limit=1) == [("what is the ims budget", 3)]
    assert await store.top_unanswered(limit=0) == []


async def test_unanswered_and_feedback_are_pruned_by_age(store: Store, clock: Clock) -> None:
    await store.record_unanswered("what is the ims budget", status="fallback", entry=None)
    await store.record_feedback(team="T1", channel="C1", user="U1", message_ts="1.1", question="q", entry=None,
                                vote="up")
    clock.advance(UNANSWERED_KEEP + PURGE_EVERY)
    await store.record_unanswered("who is the chef", status="fallback", entry=None)  # purges the old question
    assert await store.top_unanswered() == [("who is the chef", 1)]
    assert await _count(store, feedback) == 1  # a vote is kept longer
    clock.advance(FEEDBACK_KEEP - UNANSWERED_KEEP)
    await store.record_feedback(team="T1", channel="C1", user="U2", message_ts="2.2", question="q", entry=None,
                                vote="down")
    assert await store.feedback_counts() == {"up": 0, "down": 1}
    assert await _count(store, unanswered) == 1


# -- subscriptions --------------------------------------------------------------------------------

async def test_subscribe_upsert_list_and_unsubscribe(store: Store, clock: Clock) -> None:
    sub = await store.subscribe(channel="C1", team="T1", time="09:00", tz="Europe/Brussels", weekdays=False)
    assert sub == Subscription(channel="C1", team="T1", time="09:00", tz="Europe/Brussels", weekdays=False,
                               error=None, created_at=T0, last_sent_date=None)
    await store.mark_channel_error("C1", "not_in_channel")
    clock.advance(timedelta(hours=1))
    changed = await store.subscribe(channel="C1", team="T1", time="07:30", tz="America/New_York", weekdays=True)
    assert changed == Subscription(channel="C1", team="T1", time="07:30", tz="America/New_York", weekdays=True,
                                   error=None, created_at=T0, last_sent_date=None, cadence="weekdays")
    await store.subscribe(channel="C0", team="T2", time="23:59", tz="UTC", weekdays=False)
    await store.subscribe(channel="C2", team="T1", time="00:00", tz="Asia/Tokyo", weekdays=False)
    assert [s.channel for s in await store.subscriptions()] == ["C0", "C1", "C2"]
    assert [s.channel for s in await store.subscriptions("T1")] == ["C1", "C2"]
    assert await store.subscriptions("T9") == []
    assert await store.subscription("C1") == changed
    assert await store.unsubscribe("C1")
    assert not await store.unsubscribe("C1")
    assert await store.subscription("C1") is None
    assert [s.channel for s in await store.subscriptions()] == ["C0", "C2"]


@pytest.mark.parametrize(("time", "tz", "message"), [
    ("9:00", "Europe/Brussels", "bad time"),
    ("24:00", "Europe/Brussels", "bad time"),
    ("09:60", "Europe/Brussels", "bad time"),
    ("0900", "Europe/Brussels", "bad time"),
    ("09:00", "Europe/Nowhere", "unknown time zone"),
    ("09:00", "", "unknown time zone"),
    ("09:00", "../../etc/passwd", "unknown time zone"),
])
async def test_subscribe_rejects_bad_time_or_zone(store: Store, time: str, tz: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await store.subscribe(channel="C1", team="T1", time=time, tz=tz, weekdays=False)
    assert await store.subscriptions() == []


async def test_channel_error_set_and_cleared(store: Store) -> None:
    await store.subscribe(channel="C1", team="T1", time="09:00", tz="UTC", weekdays=False)
    await store.subscribe(channel="C2", team="T1", time="09:00", tz="UTC", weekdays=False)
    await store.mark_channel_error("C1", "channel_not_found")
    await store.mark_channel_error("C-unknown", "is_archived")  # no subscription: nothing to mark
    assert [(s.channel, s.error) for s in await store.subscriptions()] == [("C1", "channel_not_found"), ("C2", None)]
    await store.mark_channel_error("C1", None)
    cleared = await store.subscription("C1")
    assert cleared is not None
    assert cleared.error is None


# -- deliveries -----------------------------------------------------------------------------------

async def test_delivery_claim_release_and_sent(store: Store) -> None:
    assert await store.claim_delivery("C1", DAY)
    assert not await store.claim_delivery("C1", DAY)
    assert await store.claim_delivery("C1", DAY + timedelta(days=1))  # another local day
    assert await store.claim_delivery("C2", DAY)  # another channel
    await store.release_delivery("C1", DAY)  # the post failed: still due
    assert await store.claim_delivery("C1", DAY)
    await store.mark_sent("C1", DAY, "1700000000.000100")
    assert not await store.claim_delivery("C1", DAY)


async def test_sent_is_final_even_after_the_lease(open_store: Callable[[], Awaitable[Store]], clock: Clock) -> None:
    a, b = await open_store(), await open_store()
    assert await a.claim_delivery("C1", DAY, lease=timedelta(minutes=5))
    await a.mark_sent("C1", DAY, None)
    clock.advance(timedelta(days=1))
    assert not await b.claim_delivery("C1", DAY)
    await b.release_delivery("C1", DAY)  # releasing never undoes a sent delivery
    await a.release_delivery("C1", DAY)
    assert not await a.claim_delivery("C1", DAY)


async def test_expired_lease_can_be_reclaimed(open_store: Callable[[], Awaitable[Store]], clock: Clock) -> None:
    crashed, other = await open_store(), await open_store()
    assert await crashed.claim_delivery("C1", DAY, lease=timedelta(minutes=5))
    clock.advance(timedelta(minutes=4, seconds=59))
    assert not await other.claim_delivery("C1", DAY)
    clock.advance(timedelta(seconds=2))
    assert await other.claim_delivery("C1", DAY)
    # The slow original wakes up, its post fails, it releases: the new holder's claim stays.
    await crashed.release_delivery("C1", DAY)
    assert not await crashed.claim_delivery("C1", DAY)
    await other.mark_sent("C1", DAY, "1.2")
    assert not await crashed.claim_delivery("C1", DAY)


async def test_last_sent_date(store: Store) -> None:
    await store.subscribe(channel="C1", team="T1", time="09:00", tz="UTC", weekdays=False)
    await store.subscribe(channel="C2", team="T1", time="09:00", tz="UTC", weekdays=False)
    for day in (DAY, DAY + timedelta(days=2), DAY + timedelta(days=1)):
        assert await store.claim_delivery("C1", day)
        await store.mark_sent("C1", day, "1.1")
    assert await store.claim_delivery("C2", DAY)  # claimed, never sent
    assert await store.claim_delivery("C1", DAY + timedelta(days=3))
    subs = {s.channel: s.last_sent_date for s in await store.subscriptions()}
    assert subs == {"C1": DAY + timedelta(days=2), "C2": None}


async def test_delivery_race_has_one_winner(open_store: Callable[[], Awaitable[Store]]) -> None:
    a, b = await open_store(), await open_store()
    instances = [a, b, b]  # 3 tasks over 2 Store instances
    for n in range(15):
        channel = f"C{n}"
        results = await asyncio.gather(*(s.claim_delivery(channel, DAY) for s in instances))
        assert sorted(map(bool, results)) == [False, False, True], channel


async def test_stale_claim_race_has_one_winner(open_store: Callable[[], Awaitable[Store]], clock: Clock) -> None:
    crashed, a, b = await open_store(), await open_store(), await open_store()
    for n in range(10):
        assert await crashed.claim_delivery(f"C{n}", DAY, lease=timedelta(minutes=1))
    clock.advance(timedelta(minutes=2))
    for n in range(10):
        results = await asyncio.gather(*(s.claim_delivery(f"C{n}", DAY) for s in (a, b, a)))
        assert sorted(results) == ["", "", "expired"]  # the taker is told: look in the channel first


async def test_full_send_cycle_by_racing_replicas(open_store: Callable[[], Awaitable[Store]]) -> None:
    """Three replicas run a send-due pass over the same channels at once: each channel is posted once."""
    replicas = [await open_store() for _ in range(3)]
    channels = [f"C{n:03d}" for n in range(40)]
    for channel in channels:
        await replicas[0].subscribe(channel=channel, team="T1", time="09:00", tz="UTC", weekdays=False)
    posted: list[str] = []

    async def send_due(store: Store) -> None:
        for sub in await store.subscriptions():
            if await store.claim_delivery(sub.channel, DAY):
                posted.append(sub.channel)
                await asyncio.sleep(0)  # the Slack call
                await store.mark_sent(sub.channel, DAY, "1.1")

    await asyncio.gather(*(send_due(s) for s in replicas))
    assert sorted(posted) == channels
    assert {s.last_sent_date for s in await replicas[1].subscriptions()} == {DAY}
