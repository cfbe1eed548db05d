"""What state the database is in, as the store last found it: ok, read-only, full or down.

The store reports every operation's outcome here; `/healthz` and the work queue read it. Answering never
depends on it: what needs a write (follow-up context, the durable queue, the unanswered log) is skipped while
the database refuses writes, and comes back by itself with the first write that succeeds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger("natobot.store")

State = Literal["ok", "read-only", "full", "down"]

# What each state costs, for /healthz and the log: the parts of natobot that need a database write or read.
DEGRADED: dict[State, str] = {
    "ok": "",
    "read-only": "no follow-up context saved, accepted work kept in memory, dedup in memory, no unanswered log",
    "full": "no follow-up context saved, accepted work kept in memory, dedup in memory, no unanswered log",
    "down": "no follow-up context, accepted work kept in memory, dedup in memory, no unanswered log, no digests",
}

_READ_ONLY = ("readonly database", "read-only transaction", "read only", "25006")
_FULL = ("database or disk is full", "no space left", "disk full", "53100", "could not extend file")


def classify(exc: BaseException) -> State | None:
    """The state an error says the database is in; None for an error that says nothing about it (a bug)."""
    text = f"{exc} {getattr(getattr(exc, 'orig', None), 'sqlstate', '')}".lower()
    if any(s in text for s in _READ_ONLY):
        return "read-only"
    if any(s in text for s in _FULL):
        return "full"
    if isinstance(exc, OperationalError | OSError | TimeoutError | ConnectionError):
        return "down"
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or "connect" in text or "closed" in text):
        return "down"
    return None


# A database that is slow rather than gone (a lock held elsewhere) flips between ok and down many times a
# second while the queued writes drain; the state follows every flip, the log says so at most this often.
LOG_EVERY_S = 30.0


@dataclass
class DbHealth:
    state: State = "ok"
    reason: str = ""
    since: float = 0.0  # time.monotonic() of the change
    _logged: dict[str, float] = field(default_factory=dict)

    def _log(self, what: str, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._logged.get(what, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged[what] = now
            log.warning(message, *args)

    def wrote(self) -> None:
        """A write succeeded: whatever was wrong is over."""
        if self.state != "ok":
            self._log("back", "database is back (was %s for %.0fs)", self.state, time.monotonic() - self.since)
            self.state, self.reason = "ok", ""

    def read(self) -> None:
        """A read succeeded: the database is up, though it may still refuse writes."""
        if self.state == "down":
            self.wrote()

    def failed(self, exc: BaseException) -> State | None:
        state = classify(exc)
        if state is not None and state != self.state:
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]
            self._log(state, "database %s: %s; answering goes on without it (%s)", state, reason, DEGRADED[state])
            self.state, self.reason, self.since = state, reason, time.monotonic()
        return state

    def describe(self) -> str:
        if self.state == "ok":
            return "ok"
        for_s = time.monotonic() - self.since
        return f"{self.state} for {for_s:.0f}s ({self.reason}); degraded: {DEGRADED[self.state]}"
