"""The durable half of the work queue: acknowledged work as rows of the `jobs` table.

A job is written before Slack gets its ack, keyed by the request's dedup key, so the insert is also the
"seen before?" check. The replica that wrote it holds it under a lease (owner + expiry) which it renews while
the job waits or runs; a replica that dies stops renewing, and once the lease has run out any replica may
claim the job and run it again. Every rule is one atomic statement, as in bot.store.state.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, and_, bindparam, delete, or_, select, update

from bot.store.schema import MAX_ID, MAX_KEY, jobs
from bot.store.state import Store

Status = Literal["queued", "done", "shed", "dropped"]
# Finished rows are kept this long: long enough to recognise Slack's retries (minutes) and a replayed slash
# command (its signature is only valid for five minutes), short enough that the table stays small.
KEEP_FINISHED = timedelta(hours=24)


@dataclass
class Job:
    """One piece of acknowledged work, as the worker running it sees it."""

    key: str
    kind: str
    body: dict[str, Any]
    attempts: int = 1  # runs started, this one included; above 1 an earlier run may already have replied
    reply_channel: str | None = None  # where an apology went, so the answer can replace it
    reply_ts: str | None = None
    durable: bool = True  # False when the database refused it: kept in memory only
    accepted_at: float = 0.0  # time.monotonic() when this process took it
    # Set while it runs:
    retry_later: bool = False  # Slack could not be reached within the budget, or the answer failed
    outcome: dict[str, Any] = field(default_factory=dict)
    # Best-effort writes to make with the job's finish, in its transaction (bot.store.write groups them).
    settle_with: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    @property
    def channel(self) -> str:
        """The channel the work came from: an event's, a slash command's or a button's."""
        event, channel = self.body.get("event"), self.body.get("channel")
        if isinstance(event, dict) and event.get("channel"):
            return str(event["channel"])
        if isinstance(channel, dict) and channel.get("id"):
            return str(channel["id"])
        return str(self.body.get("channel_id") or "")

    @property
    def where(self) -> str:
        """For log lines: which work, from which channel."""
        return f"{self.kind} {self.key} in {self.channel or 'an unknown channel'}"


# The job the current task is running, for code deep below the listener (bot.slack.poster, bot.slack.replies).
current_job: ContextVar[Job | None] = ContextVar("natobot_job", default=None)


def _row_job(row: Any) -> Job:
    try:
        body = json.loads(row.body)
    except ValueError:
        body = {}
    return Job(key=row.key, kind=row.kind, body=body if isinstance(body, dict) else {}, attempts=int(row.attempts),
               reply_channel=row.reply_channel, reply_ts=row.reply_ts)


class JobStore:
    """The `jobs` table operations, over a Store's connections and clock."""

    def __init__(self, store: Store, *, lease: timedelta) -> None:
        self.store = store
        self.lease = lease
        self.owner = store._owner  # one identity per Store: a restarted process is a new owner
        # Built once (see bot.store.base._Prepared): accept and finish are on every answer's path.
        self._accept = store._insert(jobs).on_conflict_do_nothing()
        self._finish = (update(jobs).where(jobs.c.key == bindparam("b_key"), jobs.c.owner == bindparam("b_owner"))
                        .values(status=bindparam("b_status"), owner=None, lease_until=bindparam("b_now"),
                                updated_at=bindparam("b_updated")))

    def _now(self) -> datetime:
        return self.store._now()

    async def accept(self, key: str, kind: str, body: dict[str, Any], *, status: Status = "queued",
                     raw: str | None = None) -> bool:
        """Record new work, held by this replica; False when the key was seen before (a retry, a replay).

        `raw`: JSON text that `body` was parsed from, stored instead of serialising `body` again."""
        now = self._now()
        text = raw if raw is not None else json.dumps(body, ensure_ascii=False)
        values = {"key": key[:MAX_KEY], "kind": kind[:32], "body": text,
                  "status": status, "owner": self.owner if status == "queued" else None,
                  "lease_until": now + self.lease, "attempts": 1, "created_at": now, "updated_at": now}
        stmt = self._accept
        return await self.store._write(lambda conn: conn.execute(stmt, values).rowcount == 1)

    async def hold(self, key: str) -> bool:
        """Renew this replica's lease on one job before running it; False if another replica has taken it."""
        now = self._now()
        stmt = (update(jobs).where(jobs.c.key == key, jobs.c.status == "queued", jobs.c.owner == self.owner)
                .values(lease_until=now + self.lease, updated_at=now))
        return await self.store._write(lambda conn: conn.execute(stmt).rowcount == 1)

    async def renew(self, keys: list[str]) -> int:
        """Extend the lease of the jobs this replica is working on (waiting or running); how many.

        Only the keys it has in hand: a row it does not know of (written late, after the intake had given up
        waiting for the database) must run out of lease, so that some replica takes it over and finishes it.
        """
        now = self._now()

        def op(conn: Connection) -> int:
            renewed = 0
            for start in range(0, len(keys), 500):
                stmt = (update(jobs).where(jobs.c.owner == self.owner, jobs.c.status == "queued",
                                           jobs.c.key.in_(keys[start:start + 500]))
                        .values(lease_until=now + self.lease))
                renewed += int(conn.execute(stmt).rowcount)
            return renewed

        return await self.store._write(op)

    async def claim_due(self, limit: int) -> list[Job]:
        """Take up to `limit` queued jobs whose lease ran out (a dead replica's, or ones put off), oldest first."""
        if limit <= 0:
            return []
        now = self._now()
        lease_until = now + self.lease
        candidates = (select(jobs.c.key).where(jobs.c.status == "queued", jobs.c.lease_until < now)
                      .order_by(jobs.c.created_at).limit(limit))

        def op(conn: Connection) -> list[Job]:
            taken: list[Job] = []
            for key in conn.execute(candidates).scalars().all():
                # Re-checked under the row lock: of several replicas, one wins each job.
                won = conn.execute(update(jobs).where(
                    jobs.c.key == key, jobs.c.status == "queued", jobs.c.lease_until < now,
                ).values(owner=self.owner, lease_until=lease_until, attempts=jobs.c.attempts + 1, updated_at=now))
                if won.rowcount == 1:
                    row = conn.execute(select(jobs).where(jobs.c.key == key)).one()
                    taken.append(_row_job(row))
            return taken

        return await self.store._write(op)

    async def finish(self, key: str, status: Status = "done") -> bool:
        """Mark this replica's job finished; False if it holds no such row (kept in memory only)."""
        now = self._now()
        stmt, params = self._finish, {"b_key": key, "b_owner": self.owner, "b_status": status, "b_now": now,
                                      "b_updated": now}
        return await self.store._write(lambda conn: conn.execute(stmt, params).rowcount == 1)

    async def put_off(self, job: Job, delay: timedelta) -> bool:
        """Give the job back to the queue, to be run again (by any replica) after `delay`; False if no row."""
        now = self._now()
        stmt = (update(jobs).where(jobs.c.key == job.key, jobs.c.owner == self.owner)
                .values(owner=None, lease_until=now + delay, updated_at=now,
                        reply_channel=(job.reply_channel or "")[:MAX_ID] or None,
                        reply_ts=(job.reply_ts or "")[:MAX_ID] or None))
        return await self.store._write(lambda conn: conn.execute(stmt).rowcount == 1)

    async def prune(self, *, max_age: timedelta) -> list[str]:
        """Delete finished rows past KEEP_FINISHED; give up on queued work older than `max_age` (its keys)."""
        now = self._now()
        stale = and_(jobs.c.status == "queued", jobs.c.created_at < now - max_age,
                     or_(jobs.c.owner.is_(None), jobs.c.lease_until < now))

        def op(conn: Connection) -> list[str]:
            conn.execute(delete(jobs).where(jobs.c.status != "queued", jobs.c.updated_at < now - KEEP_FINISHED))
            given_up = [str(k) for k in conn.execute(select(jobs.c.key).where(stale)).scalars().all()]
            if given_up:
                conn.execute(update(jobs).where(stale).values(status="dropped", owner=None, updated_at=now))
            return given_up

        return await self.store._write(op)

    async def counts(self) -> dict[str, int]:
        """Rows by status, for /healthz and the tests."""
        from sqlalchemy import func

        query = select(jobs.c.status, func.count()).group_by(jobs.c.status)
        rows = await self.store._read(lambda conn: conn.execute(query).all())
        return {str(status): int(n) for status, n in rows}
