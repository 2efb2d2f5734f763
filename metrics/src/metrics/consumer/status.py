"""What the consumer reports about itself: Prometheus series and the liveness snapshot."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge

EVENTS = Counter(
    "fiufit_metrics_consumer_events", "Stream entries handled, by outcome", ["outcome"]
)
BATCHES = Counter("fiufit_metrics_consumer_batches", "Batches written and acknowledged")
RETRIES = Counter(
    "fiufit_metrics_consumer_retries", "Failed attempts retried after a back-off", ["step"]
)
LAG = Gauge("fiufit_metrics_consumer_lag", "Stream entries not yet delivered to the group")
PENDING = Gauge("fiufit_metrics_consumer_pending", "Entries delivered and not yet acknowledged")
LAST_BATCH = Gauge("fiufit_metrics_consumer_last_batch_timestamp_seconds", "Last batch, epoch s")


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


@dataclass
class ConsumerStatus:
    consumer: str
    liveness_seconds: float
    state: str = "starting"
    last_loop: float = field(default_factory=time.monotonic)
    last_batch_at: float | None = None
    lag: int | None = None
    pending: int | None = None
    stored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    last_error: str | None = None

    def tick(self, state: str) -> None:
        """The loop turned (reading, waiting for an entry, or backing off: all alive)."""
        self.state = state
        self.last_loop = time.monotonic()

    def batch_done(self, stored: int, duplicates: int, dead: int) -> None:
        self.stored += stored
        self.duplicates += duplicates
        self.dead_lettered += dead
        self.last_batch_at = time.time()
        EVENTS.labels("stored").inc(stored)
        EVENTS.labels("duplicate").inc(duplicates)
        EVENTS.labels("dead_lettered").inc(dead)
        BATCHES.inc()
        LAST_BATCH.set(self.last_batch_at)

    def group_info(self, lag: int | None, pending: int) -> None:
        self.lag, self.pending = lag, pending
        if lag is not None:
            LAG.set(lag)
        PENDING.set(pending)

    @property
    def alive(self) -> bool:
        return time.monotonic() - self.last_loop < self.liveness_seconds

    def snapshot(self) -> dict[str, Any]:
        return {
            "alive": self.alive,
            "state": self.state,
            "consumer": self.consumer,
            "seconds_since_loop": round(time.monotonic() - self.last_loop, 3),
            "last_batch_at": _iso(self.last_batch_at),
            "lag": self.lag,
            "pending": self.pending,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "dead_lettered": self.dead_lettered,
            "last_error": self.last_error,
        }
