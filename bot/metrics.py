"""Counters and one latency histogram in the Prometheus text format, without a client library."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Sequence

# Seconds; most replies take a few milliseconds, a 429 retry a second or more.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]


def _fmt_labels(labels: Labels, extra: tuple[str, str] | None = None) -> str:
    items = [*labels, extra] if extra else list(labels)
    if not items:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in items)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        values = dict(self._values) or {(): 0.0}
        lines += [f"{self.name}{_fmt_labels(k)} {_num(v)}" for k, v in sorted(values.items())]
        return lines


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: Sequence[float] = DEFAULT_BUCKETS) -> None:
        self.name = name
        self.help = help_text
        self.buckets = tuple(sorted(buckets))
        self._counts = [0] * (len(self.buckets) + 1)  # the last is +Inf
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            self._counts[bisect.bisect_left(self.buckets, value)] += 1
            self._sum += value

    @property
    def count(self) -> int:
        return sum(self._counts)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        running = 0
        for bound, n in zip((*self.buckets, float("inf")), self._counts, strict=True):
            running += n
            le = "+Inf" if bound == float("inf") else _num(bound)
            lines.append(f'{self.name}_bucket{{le="{le}"}} {running}')
        lines += [f"{self.name}_sum {self._sum!r}", f"{self.name}_count {running}"]
        return lines


class Gauge:
    """A value read when /metrics is scraped (so it is never stale)."""

    def __init__(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.name = name
        self.help = help_text
        self.read = read

    def render(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} gauge", f"{self.name} {_num(self.read())}"]


class Metrics:
    """The figures `GET /metrics` shows."""

    def __init__(self) -> None:
        self.requests = Counter("natobot_requests_total", "Slack requests received, by type.")
        self.rejected = Counter("natobot_rejected_requests_total", "HTTP requests refused (bad or stale signature).")
        self.answers = Counter("natobot_answers_total", "Replies posted, by where they were asked.")
        self.fallbacks = Counter("natobot_fallbacks_total", "Replies that did not answer the question.")
        self.errors = Counter("natobot_errors_total", "Failures, by kind (handler, post).")
        self.duplicates = Counter("natobot_duplicate_events_total", "Event deliveries dropped as already handled.")
        self.shed = Counter("natobot_shed_total", "Requests answered 'busy' because the backlog was full, by kind.")
        self.recovered = Counter("natobot_jobs_resumed_total",
                                 "Jobs taken over after their lease ran out (a replica died) or put off, by kind.")
        self.latency = Histogram("natobot_reply_latency_seconds", "Time from receiving a request to the reply.")
        # Added by whoever owns the value (the Socket Mode connection's, say).
        self.gauges: list[Gauge] = []

    def render(self) -> str:
        lines: list[str] = []
        for metric in (self.requests, self.rejected, self.answers, self.fallbacks, self.errors, self.duplicates,
                       self.shed, self.recovered):
            lines += metric.render()
        lines += self.latency.render()
        for gauge in self.gauges:
            lines += gauge.render()
        return "\n".join(lines) + "\n"
