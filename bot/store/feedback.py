"""Feedback: votes and notes on answers, the questions natobot could not answer, and the reports over them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import Connection, case, delete, func, select, text

from bot.store.base import StoreBase
from bot.store.schema import MAX_ID, MAX_KEY, MAX_NORMALISED, MAX_TEXT, feedback, feedback_notes, unanswered
from knowledge.text import normalise

# Curators read the unanswered report for what people ask now; a question nobody has asked for this long
# goes (asked again, it comes back with a fresh count). Votes are kept a year for looking back at quality.
UNANSWERED_KEEP = timedelta(days=90)
FEEDBACK_KEEP = timedelta(days=365)


@dataclass(frozen=True)
class FeedbackRow:
    """One answer's votes and notes, for `natobot report feedback`."""

    question: str
    entry: str | None
    up: int
    down: int
    reasons: dict[str, int]
    comments: list[str]



class FeedbackState(StoreBase):
    """The feedback and unanswered-questions repository."""

    async def record_feedback(self, *, team: str, channel: str, user: str, message_ts: str, question: str,
                              entry: str | None, vote: Literal["up", "down"]) -> None:
        """One vote per user and message: voting again replaces the earlier vote."""
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        now = self._now()
        changed = {"question": question[:MAX_TEXT], "entry": entry[:MAX_KEY] if entry else None,
                   "vote": vote, "updated_at": now}
        stmt = self._insert(feedback).values(
            team=team[:MAX_ID], channel=channel[:MAX_ID], message_ts=message_ts[:MAX_ID], user_id=user[:MAX_ID],
            created_at=now, **changed)
        upsert = stmt.on_conflict_do_update(
            index_elements=[feedback.c.team, feedback.c.channel, feedback.c.message_ts, feedback.c.user_id],
            set_=changed)
        purge = self._purge_due("feedback", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(feedback).where(feedback.c.updated_at < now - FEEDBACK_KEEP))
            conn.execute(upsert)

        await self._write(op)

    async def feedback_counts(self) -> dict[str, int]:
        query = select(feedback.c.vote, func.count()).group_by(feedback.c.vote)
        rows = await self._read(lambda conn: conn.execute(query).all())
        counts = {"up": 0, "down": 0}
        counts.update({str(vote): int(n) for vote, n in rows})
        return counts

    async def record_unanswered(self, question: str, *, status: str, entry: str | None) -> None:
        """Count a question the bot could not answer, grouped by its normalised text."""
        key = normalise(question[:MAX_TEXT])[:MAX_NORMALISED].strip()
        if not key:  # punctuation or emoji only: nothing a curator could act on
            return
        now = self._now()
        upsert = self._prepared.record_unanswered
        values = {"normalised": key, "question": question[:MAX_TEXT], "status": status[:32],
                  "entry": entry[:MAX_KEY] if entry else None, "count": 1, "first_asked": now, "last_asked": now}
        purge = self._purge_due("unanswered", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(unanswered).where(unanswered.c.last_asked < now - UNANSWERED_KEEP))
            conn.execute(upsert, values)

        await self._write(op, alone=True)  # the same few questions' counters, from every replica

    async def top_unanswered(self, limit: int = 20) -> list[tuple[str, int]]:
        """(normalised question, times asked), most asked first; ties go to the most recent."""
        query = (select(unanswered.c.normalised, unanswered.c.count)
                 .order_by(unanswered.c.count.desc(), unanswered.c.last_asked.desc(), unanswered.c.normalised)
                 .limit(max(limit, 0)))
        rows = await self._read(lambda conn: conn.execute(query).all())
        return [(str(q), int(n)) for q, n in rows]

    # -- feedback notes and the feedback report -----------------------------------------------
    async def record_feedback_note(self, *, team: str, channel: str, user: str, message_ts: str, question: str,
                                   entry: str | None, reasons: list[str], comment: str | None) -> None:
        """What was wrong with an answer (one note per person and message; a second replaces the first)."""
        now = self._now()
        changed = {"question": question[:MAX_TEXT], "entry": entry[:MAX_KEY] if entry else None,
                   "reasons": ",".join(r[:32] for r in reasons)[:MAX_KEY],
                   "comment": comment[:MAX_TEXT] if comment else None, "created_at": now}
        stmt = self._insert(feedback_notes).values(
            team=team[:MAX_ID], channel=channel[:MAX_ID], message_ts=message_ts[:MAX_ID], user_id=user[:MAX_ID],
            **changed)
        upsert = stmt.on_conflict_do_update(
            index_elements=[feedback_notes.c.team, feedback_notes.c.channel, feedback_notes.c.message_ts,
                            feedback_notes.c.user_id], set_=changed)
        await self._write(lambda conn: conn.execute(upsert))

    async def feedback_report(self, limit: int = 20) -> list[FeedbackRow]:
        """Answers people voted on, grouped by question: most "not helpful" first, with their notes."""
        key = func.lower(feedback.c.question)
        votes = (select(func.min(feedback.c.question).label("question"), func.min(feedback.c.entry).label("entry"),
                        func.sum(case((feedback.c.vote == "up", 1), else_=0)).label("up"),
                        func.sum(case((feedback.c.vote == "down", 1), else_=0)).label("down"))
                 .group_by(key).order_by(text("down DESC"), text("up"), text("question")).limit(max(limit, 0)))
        notes = select(feedback_notes.c.question, feedback_notes.c.reasons, feedback_notes.c.comment)

        def op(conn: Connection) -> tuple[list[Any], list[Any]]:
            return list(conn.execute(votes).all()), list(conn.execute(notes).all())

        vote_rows, note_rows = await self._read(op)
        by_question: dict[str, tuple[dict[str, int], list[str]]] = {}
        for question, reasons, comment in note_rows:
            counts, comments = by_question.setdefault(str(question).lower(), ({}, []))
            for reason in filter(None, str(reasons).split(",")):
                counts[reason] = counts.get(reason, 0) + 1
            if comment:
                comments.append(str(comment))
        out = []
        for row in vote_rows:
            counts, comments = by_question.get(str(row.question).lower(), ({}, []))
            out.append(FeedbackRow(question=str(row.question), entry=row.entry, up=int(row.up or 0),
                                   down=int(row.down or 0), reasons=counts, comments=comments))
        return out

    async def unanswered_rows(self, limit: int = 20) -> list[tuple[str, int, str]]:
        """(normalised question, times, last status) most asked first: `top_unanswered` with the status, which
        says whether natobot could not answer or answered and was voted not helpful."""
        query = (select(unanswered.c.normalised, unanswered.c.count, unanswered.c.status)
                 .order_by(unanswered.c.count.desc(), unanswered.c.last_asked.desc(), unanswered.c.normalised)
                 .limit(max(limit, 0)))
        rows = await self._read(lambda conn: conn.execute(query).all())
        return [(str(q), int(n), str(st)) for q, n, st in rows]
