"""The figures `GET /metrics` shows, kept by prometheus_client.

Each `Metrics` owns its own registry (tests and benchmarks run several apps in one process), and the
counters keep the small keyword API the listeners use: `metrics.answers.inc(where="mention")`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import prometheus_client
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# Seconds; most replies take a few milliseconds, a 429 retry a second or more.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# The *_created series double every counter's lines and say nothing a restart count does not.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]


class Counter:
    """A counter with at most one fixed set of label names, given when it is made."""

    def __init__(self, registry: CollectorRegistry, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self._labels = labels
        self._counter = prometheus_client.Counter(name, help_text, labelnames=labels, registry=registry)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if self._labels:
            self._counter.labels(**labels).inc(amount)
        else:
            self._counter.inc(amount)

    def value(self, **labels: str) -> float:
        # Read through collect() so an unseen label set reads 0 instead of creating a child.
        for family in self._counter.collect():
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels == labels:
                    return float(sample.value)
        return 0.0


class Gauge:
    """A value read when /metrics is scraped (so it is never stale)."""

    def __init__(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.name = name
        self.help = help_text
        self.read = read


class _Gauges(Collector):
    """Collects the gauges added after start-up (the Socket Mode connection's, say) at scrape time."""

    def __init__(self, gauges: list[Gauge]) -> None:
        self._gauges = gauges

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for gauge in self._gauges:
            yield GaugeMetricFamily(gauge.name, gauge.help, value=gauge.read())


class Metrics:
    """natobot's counters, its reply latency histogram and any gauges owners add."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(r, "natobot_requests_total", "Slack requests received, by type.", ("type",))
        self.rejected = Counter(r, "natobot_rejected_requests_total", "HTTP requests refused (bad or stale signature).")
        self.answers = Counter(r, "natobot_answers_total", "Replies posted, by where they were asked.", ("where",))
        self.fallbacks = Counter(r, "natobot_fallbacks_total", "Replies that did not answer the question.",
                                 ("status",))
        self.errors = Counter(r, "natobot_errors_total", "Failures, by kind (handler, post).", ("kind",))
        self.duplicates = Counter(r, "natobot_duplicate_events_total", "Event deliveries dropped as already handled.")
        self.shed = Counter(r, "natobot_shed_total", "Requests answered 'busy' because the backlog was full, by kind.",
                            ("kind",))
        self.recovered = Counter(r, "natobot_jobs_resumed_total",
                                 "Jobs taken over after their lease ran out (a replica died) or put off, by kind.",
                                 ("kind",))
        self.latency = prometheus_client.Histogram("natobot_reply_latency_seconds",
                                                   "Time from receiving a request to the reply.",
                                                   buckets=DEFAULT_BUCKETS, registry=r)
        # Added by whoever owns the value (the Socket Mode connection's, say).
        self.gauges: list[Gauge] = []
        r.register(_Gauges(self.gauges))

    def render(self) -> str:
        return prometheus_client.generate_latest(self.registry).decode("utf-8")
