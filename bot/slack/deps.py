"""What the listeners share: `Deps`, built once at start (engine, store, posting, the work queue), with the
plumbing every listener uses: tracking its task, an answering slot, draining at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from bot.answering.engine import Engine
from bot.answering.suggest import Related
from bot.settings import Settings
from bot.slack.identity import Identity
from bot.slack.metrics import Metrics
from bot.slack.poster import Poster
from bot.slack.work import CONTEXT_KEY, WorkQueue
from bot.store.jobs import Job
from bot.store.state import Store

# Answers worked on at once by one process (see Deps.max_answering).
MAX_ANSWERING = 64


@dataclass
class Deps:
    """What the handlers need; built once at start and shared by every request."""

    engine: Engine
    store: Store
    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    poster: Poster | None = None
    # Channel id -> name, for NATOBOT_AUTO_CHANNELS given by name; filled lazily via conversations.info.
    channel_names: dict[str, str] = field(default_factory=dict)
    ready: bool = True
    # Socket Mode only: whether the socket is connected (bot.slack.socket_mode.SocketHealth).
    socket_health: Any = None
    # Listener tasks still answering; shutdown waits for them so no reply is cut off mid-way.
    inflight: set[asyncio.Task[Any]] = field(default_factory=set)
    # How many answers are worked on at once. Past that, listeners wait their turn, parked where they cost
    # nothing: under a burst the event loop's queue stays short, so new requests are still acked within
    # Slack's 3 s (a late ack makes Slack send the event again, adding to the load).
    max_answering: int = MAX_ANSWERING
    _answering: asyncio.Semaphore | None = field(default=None, repr=False)
    # The durable work queue (bot.slack.work) and the bot's identity, made by build_app.
    work: WorkQueue | None = None
    identity: Identity | None = None
    _related: Related | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.poster is None:
            self.poster = Poster(self.metrics)

    def track(self) -> None:
        """Count the running listener task (Bolt starts it after the ack and keeps no handle) as in flight."""
        task = asyncio.current_task()
        if task is not None:
            self.adopt(task)

    def adopt(self, task: asyncio.Task[Any]) -> None:
        if task not in self.inflight and not task.done():
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every listener task started so far, and any task they started, has finished.

        Raises TimeoutError if work is still running after `timeout` seconds.
        """
        async with asyncio.timeout(timeout):
            while pending := {t for t in self.inflight if not t.done() and t is not asyncio.current_task()}:
                await asyncio.wait(pending)

    @contextlib.asynccontextmanager
    async def answering(self, context: MutableMapping[str, Any] | None = None) -> AsyncIterator[None]:
        """Hold one of the `max_answering` slots while working on an answer (after the ack).

        With the Bolt `context` of a request the work queue accepted, the job is run as such: finished when
        the block ends, or put off for another try when Slack could not be reached (bot.slack.work).
        """
        if self._answering is None:
            self._answering = asyncio.Semaphore(self.max_answering)
        job = context.get(CONTEXT_KEY) if context is not None else None
        if context is not None and self.identity is not None and not context.get("bot_user_id"):
            # Bolt authorized before auth.test answered; the listener needs the id to find its own mention.
            bot_user_id = await self.identity.wait()
            if bot_user_id:
                context["bot_user_id"] = bot_user_id
        if self.work is None or not isinstance(job, Job):
            async with self._answering:
                yield
            return
        async with self.work.running(job, self._answering):
            yield

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait (up to `timeout`) for the answers being worked on."""
        pending = {t for t in self.inflight if not t.done() and t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    @property
    def related(self) -> Related:
        """Related questions that never repeat the answer just given (memoised per engine)."""
        if self._related is None or self._related.engine is not self.engine:
            self._related = Related(self.engine)
        return self._related

    @property
    def post(self) -> Poster:
        assert self.poster is not None  # set in __post_init__
        return self.poster


# The longest log message kept whole; anything that found its way into one (a request body, a question) is cut.
