"""The work queue: a question accepted is a question answered, once.

    intake (Bolt middleware, before the ack)  ->  jobs table (bot.store.jobs)  ->  listener, one slot at a time
                                                        ^                         |
    recovery loop (every replica): renew own leases, claim expired ones, replay them through Bolt

- **Durable before the ack.** `intake` runs before Bolt acknowledges: it writes the job, keyed by the request's
  dedup key, and only then lets the request through. A key seen before (Slack's retry, a replayed slash
  command) is acknowledged and dropped there.
- **Any replica finishes it.** The replica that took a job holds it under a lease that it renews while the
  job waits or runs; if it dies, the lease runs out and the recovery loop of any replica claims the job and
  replays the stored payload through the same Bolt listeners. A replay whose earlier run may have replied
  looks for that reply in Slack first (bot.slack.replies), so a crash between posting and recording never doubles.
- **Bounded.** At most `workers` jobs run at once (`Deps.max_answering`); at most `backlog` wait in this
  process. Past that, new work is shed: recorded as shed (so Slack's retries stay dropped) and answered with
  BUSY at once. A job whose Slack calls ran out of their time budget goes back to the queue with a backoff and
  is tried again, by any replica, until it is MAX_AGE old; then it is given up with a log line naming it.
- **Degraded, not down.** When the database refuses the job (down, read-only, full) the job is kept in memory
  and still answered; dedup then falls back to a window of recent keys in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.metrics import Metrics
from bot.store.jobs import Job, JobStore, current_job
from bot.store.state import Store
from bot.store.write import deferred

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

log = logging.getLogger("natobot.work")

__all__ = ["BUSY", "CONTEXT_KEY", "WorkQueue", "current_job"]

CONTEXT_KEY = "natobot_job"  # where the intake leaves the job in Bolt's context for the listener

BUSY = "I'm busy right now; please ask again in a minute."
# Jobs waiting in one process beyond the ones running. At the measured ~190 answers/s of one process this is
# under 3 s of work: anything older would come too late to be useful, and Slack's own retries start at 3 s.
BACKLOG = 512
# A replica that stops renewing (killed, hung) loses its jobs to the others after this long.
LEASE = timedelta(seconds=60)
# Work older than this is given up: a reply a quarter of an hour late is worse than an honest silence, and
# Slack's response_url (slash commands, buttons) stops working after 30 minutes.
MAX_AGE = timedelta(minutes=15)
# Put-off delays after a run that could not reach Slack: 5, 10, 20, 40, 60, 60 ... seconds, jittered.
RETRY_FIRST_S = 5.0
RETRY_MAX_S = 60.0
# Writing the job is on the ack's path; a database slower than this is treated as down for that request.
ACCEPT_TIMEOUT_S = 1.5
# Keys remembered in memory, for dedup when the database cannot be asked: Slack retries within 5 minutes and
# a signed request can be replayed for 5, so 10 minutes covers both; the count bounds the memory (~4 MB).
RECENT_KEYS = 20_000
RECENT_TTL_S = 600.0
# Busy replies sent at once, and waiting: each is one short Slack call, and what waits is a few ids, not the
# request (a few hundred bytes each). Past BUSY_WAITING, shed work is only counted and logged.
BUSY_SENDERS = 8
BUSY_WAITING = 5000
BUSY_PER_S = 50  # busy replies per second at most (a token bucket): under overload each costs a Slack call
PRUNE_EVERY_S = 600.0
# How long a job's end may wait to be written with other writes (bot.store.write.deferred): at 200 events/s a
# process writes every few milliseconds, so it nearly always joins another batch; alone it is written after this.
SETTLE_WITHIN_S = 0.02
# A job no listener has taken up this long after it was accepted never will be (see _sweep).
UNTAKEN_S = 30.0

Classify = Callable[[dict[str, Any]], "tuple[str, str] | None"]
BusyReply = Callable[[str, dict[str, Any]], Awaitable[None]]
Dispatch = Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]


class WorkQueue:
    def __init__(self, store: Store, metrics: Metrics, *, classify: Classify, busy_reply: BusyReply | None = None,
                 lease: timedelta = LEASE, backlog: int = BACKLOG, max_age: timedelta = MAX_AGE) -> None:
        self.jobs = JobStore(store, lease=lease)
        self.store = store
        self.metrics = metrics
        self.classify = classify
        self.busy_reply = busy_reply
        self.lease = lease
        self.backlog = backlog
        self.max_age = max_age
        self.local: dict[str, Job] = {}  # accepted or claimed here, not finished
        self.retry_first = RETRY_FIRST_S
        self._recent: OrderedDict[str, float] = OrderedDict()
        self._busy_queue: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None
        self._busy: list[asyncio.Task[None]] = []
        self._busy_tokens, self._busy_at = float(BUSY_PER_S), time.monotonic()
        self._replays: set[asyncio.Task[Any]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._app: AsyncApp | None = None
        self._dispatch_request: Dispatch | None = None
        self._next_prune = 0.0

    # -- intake ------------------------------------------------------------------------------------------
    async def intake(self, body: dict[str, Any], context: dict[str, Any],
                     next: Callable[[], Awaitable[None]], raw: str | None = None) -> BoltResponse | None:
        """Bolt middleware: record answerable work before the ack; drop what was seen; shed past the backlog.

        `raw`: the request's JSON text as Slack sent it, when `body` was parsed from it; stored as it is
        rather than serialised again."""
        if context.get(CONTEXT_KEY) is not None:  # a replay of a job this replica claimed
            await next()
            return None
        found = self.classify(body)
        if found is None:
            await next()
            return None
        kind, key = found
        if self._seen(key):
            return self._duplicate(key)
        if len(self.local) >= self.backlog:
            return await self._shed(kind, key, body)
        job = Job(key=key, kind=kind, body=body, accepted_at=time.monotonic())
        try:
            async with asyncio.timeout(ACCEPT_TIMEOUT_S):
                fresh = await self.jobs.accept(key, kind, body, raw=raw)
        except Exception as exc:  # down, read-only, full or too slow: answer from memory, dedup from memory
            if isinstance(exc, TimeoutError):
                self.store.health.failed(TimeoutError(f"a write took over {ACCEPT_TIMEOUT_S:g}s (locked?)"))
            log.debug("job %s kept in memory only: %s", key, type(exc).__name__)
            self.metrics.errors.inc(kind="queue_db")
            job.durable, fresh = False, True
        self._remember(key)
        if not fresh:
            return self._duplicate(key)
        self.local[key] = job
        context[CONTEXT_KEY] = job
        await next()
        return None

    def _seen(self, key: str) -> bool:
        expiry = self._recent.get(key)
        return expiry is not None and expiry > time.monotonic()

    def _remember(self, key: str) -> None:
        now = time.monotonic()
        self._recent[key] = now + RECENT_TTL_S
        self._recent.move_to_end(key)
        # Oldest first: drop what has expired, and whatever is past the count.
        while self._recent and (len(self._recent) > RECENT_KEYS or next(iter(self._recent.values())) <= now):
            self._recent.popitem(last=False)

    def _duplicate(self, key: str) -> BoltResponse:
        self.metrics.duplicates.inc()
        log.info("%s already accepted; this delivery is acknowledged and dropped", key)
        return BoltResponse(status=200, body="")

    async def _shed(self, kind: str, key: str, body: dict[str, Any]) -> BoltResponse:
        """Past the backlog: a short BUSY reply now instead of a late answer and unbounded memory.

        Shedding must cost next to nothing, or it adds to the overload it answers: no database write (Slack's
        retries of shed work are dropped by the in-memory window). Busy replies go out at most BUSY_PER_S a
        second; past that the request is refused with 503, and Slack delivers it again later.
        """
        if kind == "command":  # the ack itself carries the reply: no Slack call at all
            self._remember(key)
            self.metrics.shed.inc(kind=kind)
            log.warning("backlog full (%d waiting): shed %s with a busy reply", len(self.local), key)
            return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": BUSY}),
                                headers={"content-type": ["application/json;charset=utf-8"]})
        if not self._queue_busy(kind, body):
            self.metrics.shed.inc(kind="refused")
            return BoltResponse(status=503, body="busy", headers={"retry-after": ["60"]})
        self._remember(key)
        self.metrics.shed.inc(kind=kind)
        log.warning("backlog full (%d waiting): shed %s in %s with a busy reply", len(self.local), key,
                    Job(key=key, kind=kind, body=body).channel or "an unknown channel")
        return BoltResponse(status=200, body="")

    def _queue_busy(self, kind: str, body: dict[str, Any]) -> bool:
        """Queue a busy reply if the rate allows; False when it does not (the caller refuses the request)."""
        if self.busy_reply is None:
            return True
        now = time.monotonic()
        self._busy_tokens = min(BUSY_PER_S, self._busy_tokens + (now - self._busy_at) * BUSY_PER_S)
        self._busy_at = now
        if self._busy_tokens < 1:
            return False
        self._busy_tokens -= 1
        if self._busy_queue is None:
            self._busy_queue = asyncio.Queue(BUSY_WAITING)
            self._busy = [asyncio.create_task(self._send_busy(self._busy_queue)) for _ in range(BUSY_SENDERS)]
        event = body.get("event")
        event = event if isinstance(event, dict) else {}
        slim = {"response_url": body.get("response_url"),
                "event": {k: event.get(k) for k in ("channel", "ts", "thread_ts", "channel_type")}}
        try:
            self._busy_queue.put_nowait((kind, slim))
        except asyncio.QueueFull:
            return False
        return True

    async def _send_busy(self, queue: asyncio.Queue[tuple[str, dict[str, Any]]]) -> None:
        assert self.busy_reply is not None
        while True:
            kind, body = await queue.get()
            try:
                await self.busy_reply(kind, body)
            except Exception:
                log.exception("a busy reply failed")

    # -- running -----------------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def running(self, job: Job, slots: asyncio.Semaphore) -> AsyncIterator[Job]:
        """Run one job in one of the `slots`: mark it current, then finish it or put it off for later."""
        token = current_job.set(job)
        job.outcome["started"] = True
        try:
            async with slots:
                if time.monotonic() - job.accepted_at > self.lease.total_seconds() / 2:
                    # It waited long enough that the lease could have lapsed had renewing failed: reply as a
                    # rerun would, looking in Slack before posting.
                    job.attempts += 1
                yield job
        finally:
            current_job.reset(token)
            self.local.pop(job.key, None)
            await self._settle(job)

    async def _settle(self, job: Job) -> None:
        """Record how the run ended: finished, or put off for another try (in the database, else in memory)."""
        age = time.monotonic() - job.accepted_at if job.accepted_at else 0.0
        retry = job.retry_later and not self._too_old(job, age)
        if job.retry_later and not retry:
            self._given_up(job)
        delay = min(RETRY_MAX_S, self.retry_first * 2 ** max(job.attempts - 1, 0)) * random.uniform(0.8, 1.2)
        recorded = False
        try:
            # Tried even for a job kept in memory: its row may have been written after the intake stopped
            # waiting, and a row left queued would be taken over and run again (harmlessly, but needlessly).
            end = self.jobs.put_off(job, timedelta(seconds=delay)) if retry else self.jobs.finish(job.key)
            # Submitted together, so the job's own end and the writes that wait for it share a transaction; the
            # answer is out, so they may wait a little to share the next one too (bot.store.write.deferred).
            with_it, job.settle_with = [write() for write in job.settle_with], []
            with deferred(SETTLE_WITHIN_S):
                ends = asyncio.gather(end, *with_it, return_exceptions=True)  # its tasks start in this context
            outcomes = await asyncio.shield(ends)
            for failed in outcomes[1:]:
                if isinstance(failed, BaseException):
                    log.warning("a write after %s failed: %s", job.where, type(failed).__name__)
            if isinstance(outcomes[0], BaseException):
                raise outcomes[0]
            recorded = bool(outcomes[0])
        except Exception as exc:  # the lease runs out instead; a rerun looks in Slack before replying
            level = logging.DEBUG if self.store.health.state != "ok" else logging.WARNING
            log.log(level, "could not record the end of %s: %s", job.where, type(exc).__name__)
        if retry:
            log.warning("%s put off for %.0fs (attempt %d)", job.where, delay, job.attempts)
            if not recorded:  # no row to hold it: this process tries again itself
                job.attempts += 1
                job.retry_later = False
                asyncio.get_running_loop().call_later(delay, self._replay, job)

    def _too_old(self, job: Job, age: float) -> bool:
        created = job.body.get("event_time")
        if isinstance(created, int | float) and created > 0:
            age = max(age, time.time() - float(created))
        return age >= self.max_age.total_seconds()

    def _given_up(self, job: Job) -> None:
        self.metrics.errors.inc(kind="given_up")
        log.error("gave up on %s after %d attempt(s): Slack could not be reached for %s", job.where, job.attempts,
                  self.max_age)

    # -- recovery ----------------------------------------------------------------------------------------
    def start(self, app: AsyncApp, dispatch: Dispatch | None = None) -> None:
        """Start the recovery loop; replays go through `dispatch` (default: the app's own async_dispatch)."""
        self._app = app
        self._dispatch_request = dispatch or app.async_dispatch
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        tick = max(self.lease.total_seconds() / 3, 0.2)
        while True:
            try:
                await self.tick()
            except Exception as exc:  # the database is away: the next tick tries again
                log.debug("work queue tick failed: %s", type(exc).__name__)
            await asyncio.sleep(tick * random.uniform(0.8, 1.2))

    async def tick(self) -> None:
        """Renew this replica's leases, take over expired jobs, and now and then prune and give up old ones."""
        self._sweep()
        await self.jobs.renew(list(self.local))
        free = self.backlog - len(self.local)
        if free > 0 and self._app is not None:
            for job in await self.jobs.claim_due(min(free, 64)):
                self._replay(job)
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_S
            for key in await self.jobs.prune(max_age=self.max_age):
                self._given_up(Job(key=key, kind="job", body={}))

    def _sweep(self) -> None:
        """Jobs no listener took up (the request matched none that runs it as a job): finished, not held."""
        stale = time.monotonic() - max(self.lease.total_seconds(), UNTAKEN_S)
        for job in [j for j in self.local.values() if not j.outcome.get("started") and j.accepted_at < stale]:
            self.local.pop(job.key, None)
            log.debug("%s was taken up by no listener; finished", job.where)
            if job.durable:
                task = asyncio.create_task(self.jobs.finish(job.key))
                self._replays.add(task)
                task.add_done_callback(self._replays.discard)

    def _replay(self, job: Job) -> None:
        if self._app is None or self._loop_task is None:  # stopped meanwhile
            return
        job.accepted_at = time.monotonic()
        job.outcome.pop("started", None)
        self.local[job.key] = job
        self._remember(job.key)
        self.metrics.recovered.inc(kind=job.kind)
        log.info("resuming %s (attempt %d)", job.where, job.attempts)
        task = asyncio.create_task(self._dispatch(job))
        self._replays.add(task)
        task.add_done_callback(self._replays.discard)

    async def _dispatch(self, job: Job) -> None:
        """Through the same Bolt listeners as the first time (as Socket Mode does: no signature to check)."""
        assert self._dispatch_request is not None
        request = AsyncBoltRequest(body=job.body, mode="socket_mode", context={CONTEXT_KEY: job})
        try:
            await self._dispatch_request(request)
        except Exception:
            log.exception("replaying %s failed", job.where)
        if job.key in self.local and not job.outcome.get("started"):
            # No listener took it (the payload no longer matches one): finish it rather than replay it forever.
            await asyncio.sleep(1.0)
            if job.key in self.local and not job.outcome.get("started"):
                self.local.pop(job.key, None)
                with contextlib.suppress(Exception):
                    await self.jobs.finish(job.key, "dropped")

    async def stop(self) -> None:
        """Stop taking over work; hand back what this replica still holds so another can run it at once."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        for task in self._busy:
            task.cancel()
        self._busy, self._busy_queue = [], None

    async def release(self) -> None:
        """Give every job this replica still holds back to the queue, claimable now (after the drain)."""
        held = [job for job in self.local.values() if job.durable]
        for job in held:
            with contextlib.suppress(Exception):
                await self.jobs.put_off(job, timedelta(0))
        if held:
            log.warning("handed back %d unfinished job(s) for another replica or the next start", len(held))

    def waiting(self) -> int:
        return len(self.local)
