"""What the Slack side keeps: event ids seen (dedup, exactly once across replicas), which bot message answered
which question (for edits and deletions), and assistant threads' context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update

from bot.store.base import StoreBase
from bot.store.conversations import CONTEXT_TTL
from bot.store.schema import MAX_ID, MAX_KEY, assistant_threads, events, replies

# Slack lets people edit or delete a message at any time; after a month an edit re-answering an old question
# matters less than a table that never shrinks.
REPLY_KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Reply:
    """The bot message that answered a person's message."""

    team: str
    channel: str
    question_ts: str
    answer_channel: str
    answer_ts: str
    thread_ts: str | None
    context_key: str | None



class SlackState(StoreBase):
    """The Slack event dedup, replies and assistant threads repository."""

    async def claim_event(self, event_id: str, *, ttl: timedelta = timedelta(hours=24)) -> bool:
        """True for exactly one caller per event id, across every process on this database."""
        now = self._now()
        event_id = event_id[:MAX_KEY]
        purge = self._purge_due("events", now)

        def op(conn: Connection) -> bool:
            if purge:
                conn.execute(delete(events).where(events.c.expires_at < now))
            inserted = conn.execute(
                self._insert(events).values(event_id=event_id, expires_at=now + ttl).on_conflict_do_nothing())
            if inserted.rowcount == 1:
                return True
            # A record past its expiry, not yet purged, no longer counts as seen.
            revived = conn.execute(
                update(events).where(events.c.event_id == event_id, events.c.expires_at < now)
                .values(expires_at=now + ttl))
            return bool(revived.rowcount == 1)

        return await self._write(op)

    async def save_reply(self, *, team: str, channel: str, question_ts: str, answer_channel: str, answer_ts: str,
                         thread_ts: str | None, context_key: str | None) -> None:
        now = self._now()
        stmt = self._prepared.save_reply
        values = {"channel": channel[:MAX_ID], "question_ts": question_ts[:MAX_ID], "team": team[:MAX_ID],
                  "answer_channel": answer_channel[:MAX_ID], "answer_ts": answer_ts[:MAX_ID],
                  "thread_ts": thread_ts[:MAX_ID] if thread_ts else None,
                  "context_key": context_key[:MAX_KEY] if context_key else None, "created_at": now}
        purge = self._purge_due("replies", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(replies).where(replies.c.created_at < now - REPLY_KEEP))
            conn.execute(stmt, values)

        await self._write(op)

    async def reply_for(self, channel: str, question_ts: str) -> Reply | None:
        query = select(replies).where(replies.c.channel == channel[:MAX_ID],
                                      replies.c.question_ts == question_ts[:MAX_ID])
        row = await self._read(lambda conn: conn.execute(query).first())
        if row is None:
            return None
        return Reply(team=row.team, channel=row.channel, question_ts=row.question_ts,
                     answer_channel=row.answer_channel, answer_ts=row.answer_ts, thread_ts=row.thread_ts,
                     context_key=row.context_key)

    async def forget_reply(self, channel: str, question_ts: str) -> bool:
        """Drop the mapping (the question was deleted); False when there was none, or another replica took it."""
        stmt = delete(replies).where(replies.c.channel == channel[:MAX_ID],
                                     replies.c.question_ts == question_ts[:MAX_ID])
        return await self._write(lambda conn: conn.execute(stmt).rowcount > 0)

    async def save_thread_context(self, channel: str, thread_ts: str, context: dict[str, Any]) -> None:
        now = self._now()
        values = {"context": dict(context), "updated_at": now}
        stmt = self._insert(assistant_threads).values(channel=channel[:MAX_ID], thread_ts=thread_ts[:MAX_ID],
                                                      **values)
        purge = self._purge_due("assistant_threads", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(assistant_threads).where(assistant_threads.c.updated_at < now - CONTEXT_TTL))
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[assistant_threads.c.channel, assistant_threads.c.thread_ts], set_=values))

        await self._write(op)

    async def thread_context(self, channel: str, thread_ts: str) -> dict[str, Any] | None:
        query = select(assistant_threads.c.context).where(assistant_threads.c.channel == channel[:MAX_ID],
                                                          assistant_threads.c.thread_ts == thread_ts[:MAX_ID])
        value = await self._read(lambda conn: conn.execute(query).scalar())
        return dict(value) if isinstance(value, dict) else None
