"""Digest subscriptions and deliveries: who gets the daily digest when, and the claims that post it exactly once
per channel and local day (a unique insert, or an UPDATE whose WHERE holds the condition)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Integer, and_, bindparam, delete, func, or_, select, update

from bot.store.base import StoreBase
from bot.store.schema import MAX_ID, MAX_TEXT, UTCDateTime, deliveries, subscriptions
from bot.timeofday import parse_time

CADENCES = ("daily", "weekdays", "weekly")
# Deliveries are only needed to stop a second post on the same local day; keep a
# few weeks for `last_sent_date` and for looking into what happened.
DELIVERY_KEEP = timedelta(days=60)


@dataclass(frozen=True)
class Subscription:
    channel: str
    team: str
    time: str  # "HH:MM", local to tz
    tz: str  # IANA name
    weekdays: bool  # Monday to Friday only
    error: str | None  # the last channel error (channel_not_found...), None when fine
    created_at: datetime
    last_sent_date: date | None  # local date of the last digest posted
    cadence: str = "daily"  # "daily", "weekdays" or "weekly"
    weekday: int | None = None  # weekly: 0 = Monday ... 6 = Sunday
    include_management: bool = True  # the management objectives in the rotation, or mission ones only
    subscriber: str | None = None  # Slack user id of whoever set it up
    next_due: datetime | None = field(default=None, compare=False)  # the scheduler's hint (subscriptions.next_due)



def check_cadence(cadence: str, weekday: int | None) -> None:
    if cadence not in CADENCES:
        raise ValueError(f"unknown cadence {cadence!r}: use daily, weekdays or weekly")
    if cadence == "weekly" and (weekday is None or not 0 <= weekday <= 6):
        raise ValueError("a weekly digest needs a day of the week")


def check_schedule(time: str, tz: str) -> None:
    """Raise ValueError with a message fit for a user when a digest time or zone is wrong."""
    # Stored times are parse_time's canonical form: "9:00" is parsed on the way in, never stored as typed.
    canonical = parse_time(time)  # raises for anything that is not a time at all
    if canonical != time:
        raise ValueError(f"bad time {time!r}: use HH:MM on the 24-hour clock, like {canonical}")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}: use an IANA name like Europe/Brussels") from exc


# subscriptions.next_due for "the scheduler's next pass works out when this is due" (a new or changed
# subscription): before any `now` a pass is run with, `digest send-due --now` in the past included.
LOOK_AGAIN = datetime(2000, 1, 1, tzinfo=UTC)
# A subscription's next_due, set only while its schedule is still the one it was worked out from: a change made
# meanwhile wrote its own next_due (now: "look again"), which a value from the old schedule must not overwrite.
_RESCHEDULE = (update(subscriptions)
               .where(subscriptions.c.channel == bindparam("b_channel"), subscriptions.c.time == bindparam("b_time"),
                      subscriptions.c.tz == bindparam("b_tz"), subscriptions.c.cadence == bindparam("b_cadence"),
                      subscriptions.c.weekday.is_not_distinct_from(bindparam("b_weekday", type_=Integer)))
               .values(next_due=bindparam("b_next_due", type_=UTCDateTime)))


def _reschedule_values(sub: Subscription, at: datetime) -> dict[str, Any]:
    return {"b_channel": sub.channel, "b_time": sub.time, "b_tz": sub.tz, "b_cadence": sub.cadence,
            "b_weekday": sub.weekday, "b_next_due": at}



class DigestState(StoreBase):
    """The digest subscriptions and deliveries repository."""

    def _subscription_query(self) -> Any:
        last_sent = (select(func.max(deliveries.c.local_date))
                     .where(deliveries.c.channel == subscriptions.c.channel, deliveries.c.status == "sent")
                     .scalar_subquery())
        return select(subscriptions, last_sent.label("last_sent_date"))

    @staticmethod
    def _subscription(row: Any) -> Subscription:
        return Subscription(channel=row.channel, team=row.team, time=row.time, tz=row.tz,
                            weekdays=bool(row.weekdays), error=row.error, created_at=row.created_at,
                            last_sent_date=row.last_sent_date, cadence=row.cadence, weekday=row.weekday,
                            include_management=bool(row.include_management), subscriber=row.subscriber,
                            next_due=row.next_due)

    async def subscribe(self, *, channel: str, team: str, time: str, tz: str, weekdays: bool,
                        cadence: str | None = None, weekday: int | None = None, include_management: bool = True,
                        subscriber: str | None = None) -> Subscription:
        """Create or change a channel's subscription; clears any recorded channel error.

        `cadence` defaults to "weekdays" or "daily" after `weekdays`; a `subscriber` given replaces the
        one on record. Raises ValueError for a bad HH:MM time, an unknown IANA zone or a bad cadence.
        """
        cadence = cadence or ("weekdays" if weekdays else "daily")
        check_schedule(time, tz)
        check_cadence(cadence, weekday)
        now = self._now()
        changed: dict[str, Any] = {
            "team": team[:MAX_ID], "time": time, "tz": tz, "weekdays": cadence == "weekdays", "error": None,
            "updated_at": now, "cadence": cadence, "weekday": weekday if cadence == "weekly" else None,
            "include_management": include_management, "next_due": LOOK_AGAIN}  # the next pass works it out
        if subscriber:
            changed["subscriber"] = subscriber[:MAX_ID]
        stmt = self._insert(subscriptions).values(channel=channel[:MAX_ID], created_at=now, **changed)
        query = self._subscription_query().where(subscriptions.c.channel == channel[:MAX_ID])

        def op(conn: Connection) -> Subscription:
            conn.execute(stmt.on_conflict_do_update(index_elements=[subscriptions.c.channel], set_=changed))
            return self._subscription(conn.execute(query).one())

        return await self._write(op)

    async def unsubscribe(self, channel: str) -> bool:
        """False when the channel had no subscription."""
        stmt = delete(subscriptions).where(subscriptions.c.channel == channel[:MAX_ID])
        return await self._write(lambda conn: conn.execute(stmt).rowcount > 0)

    async def subscription(self, channel: str) -> Subscription | None:
        query = self._subscription_query().where(subscriptions.c.channel == channel[:MAX_ID])
        row = await self._read(lambda conn: conn.execute(query).first())
        return self._subscription(row) if row else None

    async def subscriptions(self, team: str | None = None) -> list[Subscription]:
        query = self._subscription_query().order_by(subscriptions.c.channel)
        if team is not None:
            query = query.where(subscriptions.c.team == team)
        rows = await self._read(lambda conn: conn.execute(query).all())
        return [self._subscription(r) for r in rows]

    async def due_subscriptions(self, now: datetime, *, after: tuple[datetime, str] | None = None,
                                limit: int = 1000) -> list[Subscription]:
        """Up to `limit` subscriptions with next_due at or before `now`, in (next_due, channel) order from just
        past `after`: a scheduler pass pages through the due rows on the index, never the whole table."""
        query = self._subscription_query().where(subscriptions.c.next_due <= now)
        if after is not None:
            query = query.where(or_(subscriptions.c.next_due > after[0],
                                    and_(subscriptions.c.next_due == after[0], subscriptions.c.channel > after[1])))
        query = query.order_by(subscriptions.c.next_due, subscriptions.c.channel).limit(limit)
        rows = await self._read(lambda conn: conn.execute(query).all())
        return [self._subscription(r) for r in rows]

    async def reschedule(self, due: list[tuple[Subscription, datetime]]) -> None:
        """Set each subscription's next_due, in one write; see _RESCHEDULE for when one is left alone."""
        values = [_reschedule_values(sub, at) for sub, at in due]
        if values:
            await self._write(lambda conn: conn.execute(_RESCHEDULE, values))

    async def mark_channel_error(self, channel: str, error: str | None) -> None:
        stmt = (update(subscriptions).where(subscriptions.c.channel == channel[:MAX_ID])
                .values(error=error[:MAX_TEXT] if error else None, updated_at=self._now()))
        await self._write(lambda conn: conn.execute(stmt))

    # -- digest deliveries -----------------------------------------------------------------
    async def claim_delivery(self, channel: str, local_date: date, *,
                             lease: timedelta = timedelta(minutes=5)) -> Literal["new", "expired", ""]:
        """Truthy for exactly one caller per (channel, local day) until it is released or the lease runs out.

        A claim whose holder crashed before mark_sent can be claimed again once its
        lease has expired ("expired": that holder may have posted before it died, so the
        caller looks in the channel first); a delivery marked sent can never be claimed again.
        """
        now = self._now()
        channel = channel[:MAX_ID]
        claim = {"status": "claimed", "owner": self._owner, "lease_until": now + lease}
        purge = self._purge_due("deliveries", now)

        def op(conn: Connection) -> Literal["new", "expired", ""]:
            if purge:
                conn.execute(delete(deliveries).where(deliveries.c.local_date < (now - DELIVERY_KEEP).date()))
            inserted = conn.execute(
                self._insert(deliveries).values(channel=channel, local_date=local_date, **claim)
                .on_conflict_do_nothing())
            if inserted.rowcount == 1:
                return "new"
            # The WHERE is re-checked under the row lock, so only one taker of a stale claim wins.
            taken = conn.execute(update(deliveries).where(
                deliveries.c.channel == channel, deliveries.c.local_date == local_date,
                deliveries.c.status == "claimed", deliveries.c.lease_until < now).values(**claim))
            return "expired" if taken.rowcount == 1 else ""

        return await self._write(op)

    async def claim_deliveries(self, wanted: list[tuple[str, date]], *, lease: timedelta = timedelta(minutes=5)
                               ) -> dict[tuple[str, date], Literal["new", "expired", ""]]:
        """`claim_delivery` for many (channel, local day) in one transaction: a multi-row insert, then one
        update per day for the stale claims among the rest. The rows go in channel order, so two processes
        claiming overlapping sets take their row locks in the same order; on PostgreSQL it is a transaction of
        its own (not batched with other writes, whose locks could come in another order)."""
        now = self._now()
        keys = sorted({(channel[:MAX_ID], day) for channel, day in wanted})
        claim = {"status": "claimed", "owner": self._owner, "lease_until": now + lease}
        purge = self._purge_due("deliveries", now)

        def op(conn: Connection) -> dict[tuple[str, date], Literal["new", "expired", ""]]:
            if purge:
                conn.execute(delete(deliveries).where(deliveries.c.local_date < (now - DELIVERY_KEEP).date()))
            rows = [{"channel": channel, "local_date": day, **claim} for channel, day in keys]
            inserted = conn.execute(self._insert(deliveries).values(rows).on_conflict_do_nothing()
                                    .returning(deliveries.c.channel, deliveries.c.local_date))
            new = {(row.channel, row.local_date) for row in inserted}
            expired: set[tuple[str, date]] = set()
            for day in sorted({day for key in keys if key not in new for day in (key[1],)}):
                channels = [channel for channel, d in keys if d == day and (channel, d) not in new]
                # As in claim_delivery, the WHERE is re-checked under each row's lock: one taker wins.
                taken = conn.execute(update(deliveries).where(
                    deliveries.c.channel.in_(channels), deliveries.c.local_date == day,
                    deliveries.c.status == "claimed", deliveries.c.lease_until < now).values(**claim)
                    .returning(deliveries.c.channel))
                expired |= {(row.channel, day) for row in taken}
            return {key: "new" if key in new else "expired" if key in expired else "" for key in keys}

        return await self._write(op, alone=True) if keys else {}

    async def mark_sent(self, channel: str, local_date: date, ts: str | None, *,
                        reschedule: tuple[Subscription, datetime] | None = None) -> None:
        """Record the digest as posted (`ts` is the Slack message's); it is never claimable again. With
        `reschedule`, the subscription's next_due is set in the same transaction (as by `reschedule`)."""
        await self.mark_sent_many([(channel, local_date, ts, reschedule)])

    async def mark_sent_many(self, posted: list[tuple[str, date, str | None, tuple[Subscription, datetime] | None]]
                             ) -> None:
        """`mark_sent` for many deliveries in one transaction (two statements, each run for every row)."""
        now = self._now()
        rows = [{"channel": channel[:MAX_ID], "local_date": day, "owner": self._owner, "lease_until": now,
                 "status": "sent", "ts": ts[:MAX_ID] if ts else None, "sent_at": now}
                for channel, day, ts, _ in posted]
        later = [_reschedule_values(*again) for *_, again in posted if again]
        stmt = self._insert(deliveries)
        upsert = stmt.on_conflict_do_update(index_elements=[deliveries.c.channel, deliveries.c.local_date],
                                            set_={"status": stmt.excluded.status, "ts": stmt.excluded.ts,
                                                  "sent_at": stmt.excluded.sent_at})

        def op(conn: Connection) -> None:
            conn.execute(upsert, rows)
            if later:
                conn.execute(_RESCHEDULE, later)

        if rows:
            await self._write(op)

    async def release_delivery(self, channel: str, local_date: date, *, maybe_posted: bool = False) -> None:
        """The post failed: drop this instance's claim so the digest stays due.

        Only our own unsent claim goes; if our lease ran out and another process took
        the claim over, its claim stays, or two processes could end up posting. When the
        post `maybe_posted` (a timeout, a 5xx), the claim is kept but expired instead, so
        the next taker is told "expired" and looks in the channel before posting.
        """
        mine = and_(deliveries.c.channel == channel[:MAX_ID], deliveries.c.local_date == local_date,
                    deliveries.c.status == "claimed", deliveries.c.owner == self._owner)
        if maybe_posted:
            stmt: Any = update(deliveries).where(mine).values(lease_until=self._now() - timedelta(microseconds=1))
        else:
            stmt = delete(deliveries).where(mine)
        await self._write(lambda conn: conn.execute(stmt))
