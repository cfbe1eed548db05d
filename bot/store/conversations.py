"""Conversation context: what a follow-up question refers to (entities, intent, facet), kept a week."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, delete

from bot.store.base import StoreBase
from bot.store.schema import MAX_KEY, contexts
from knowledge.models import Facet

CONTEXT_TTL = timedelta(days=7)

_FACETS: frozenset[str] = frozenset(typing.get_args(Facet))


class StoredContext(typing.Protocol):
    """A conversation's subject as stored: the answering Context has this shape (the store does not import
    the engine; the caller turns what it loads back into one)."""

    @property
    def entities(self) -> typing.Sequence[str]: ...
    @property
    def intent(self) -> str | None: ...
    @property
    def facet(self) -> str | None: ...


@dataclass(frozen=True)
class LoadedContext:
    entities: list[str]
    intent: str | None
    facet: str | None


class ConversationState(StoreBase):
    """The conversation context repository."""

    async def load_context(self, key: str) -> StoredContext | None:
        query, params = self._prepared.load_context, {"b_key": key[:MAX_KEY], "b_since": self._now() - CONTEXT_TTL}
        row = await self._read(lambda conn: conn.execute(query, params).first())
        if row is None:
            return None
        entities = [str(e) for e in row.entities] if isinstance(row.entities, list) else []
        # A facet stored by an older release may no longer exist; drop it rather than fail.
        facet = typing.cast(Facet, row.facet) if row.facet in _FACETS else None
        return LoadedContext(entities=entities, intent=row.intent, facet=facet)

    async def save_context(self, key: str, ctx: StoredContext) -> None:
        now = self._now()
        stmt = self._prepared.save_context
        values = {"key": key[:MAX_KEY], "entities": list(ctx.entities), "intent": ctx.intent, "facet": ctx.facet,
                  "updated_at": now}
        purge = self._purge_due("contexts", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(contexts).where(contexts.c.updated_at < now - CONTEXT_TTL))
            conn.execute(stmt, values)

        await self._write(op)
