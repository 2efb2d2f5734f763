"""The consumer loop: at-least-once delivery from the stream, idempotent writes, so every event
is counted exactly once whatever crashes.

Order of work for a batch: parse every entry, record the valid events in their seconds' rollup
documents (each refuses an id it holds: repository.py), then in one Redis transaction dead-letter
the malformed entries and XACK the whole batch. A crash before the ack leaves the entries
pending: this consumer re-reads them at start-up (same name), or another consumer claims them
once idle (XAUTOCLAIM). The write makes the replay harmless.

Every SETTLE_INTERVAL while batches keep coming, and whenever the stream is idle, the consumer
copies the new seconds' totals up to their minutes, hours, days and months (``settle``): one
pass for many batches. What a crash leaves uncopied stays marked, and the next pass copies it.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from pymongo.errors import PyMongoError
from redis.exceptions import RedisError, ResponseError

from metrics.consumer.backfill import backfill
from metrics.consumer.repository import record, settle
from metrics.consumer.services import ConsumerServices
from metrics.consumer.status import RETRIES, ConsumerStatus
from metrics.consumer.upgrade import upgrade
from metrics.db import ensure_indexes
from metrics.events import EVENT_FIELD, Event, Malformed, parse_entry

log = logging.getLogger(__name__)

T = TypeVar("T")
Entry = tuple[bytes, dict[bytes, bytes]]
DeadLetter = tuple[bytes, dict[bytes, bytes], str]  # entry id, fields, reason
STATS_INTERVAL = 5.0
SETTLE_INTERVAL = 1.0  # seconds between copies upwards while the stream is busy
FIRST_BACKOFF = 0.2


class Stopped(Exception):
    """SIGTERM arrived while a dependency was down: leave the batch pending and exit."""


def split(entries: list[Entry], now: datetime) -> tuple[list[Event], list[DeadLetter]]:
    """A batch's valid events, and its malformed entries with their reasons."""
    events: list[Event] = []
    dead: list[DeadLetter] = []
    for entry_id, fields in entries:
        try:
            events.append(parse_entry(fields, now))
        except Malformed as error:
            dead.append((entry_id, fields, str(error)))
    return events, dead


def dead_letter(dead: DeadLetter, consumer: str, failed_at: str) -> dict[str | bytes, bytes | str]:
    """The fields of a malformed entry's letter: the reason, where it came from, and the raw
    entry (``event`` as it was, any other fields as JSON) for a replay."""
    entry_id, fields, reason = dead
    letter: dict[str | bytes, bytes | str] = {
        "reason": reason,
        "stream_id": entry_id,
        "consumer": consumer,
        "failed_at": failed_at,
    }
    if EVENT_FIELD in fields:
        letter["event"] = fields[EVENT_FIELD]
    others = {
        k.decode(errors="replace"): v.decode(errors="replace")
        for k, v in fields.items()
        if k != EVENT_FIELD
    }
    if others:
        letter["fields"] = json.dumps(others)
    return letter


class Consumer:
    """The loop over the consumer's services (consumer/services.py); its own state is the stop
    request, when it last read the group's stats, and whether it wrote since it last settled."""

    def __init__(self, services: ConsumerServices) -> None:
        self.services = services
        self.stopping = asyncio.Event()
        self._stream = services.settings.events_stream
        self._group = services.settings.consumer_group
        self._name = services.settings.consumer_name
        self._stats_at = 0.0
        self._settled_at = 0.0
        self._unsettled = True  # what an earlier life (or another consumer) left, at start

    @property
    def status(self) -> ConsumerStatus:
        return self.services.status

    def stop(self) -> None:
        """SIGTERM: stop reading; the batch in hand is finished and acknowledged."""
        log.info("stop requested: finishing the batch in hand")
        self.stopping.set()

    async def run(self) -> None:
        try:
            await self._retry("start", self._prepare)
            await self._retry("backfill", self._backfill)
            await self._retry("upgrade", self._upgrade)
            await self._drain_own_pending()
            await self._loop()
            await self._settle(idle=True)
        except Stopped:
            log.warning("stopped during an outage: unacknowledged entries stay pending")
        self.status.tick("stopped")
        log.info("consumer stopped")

    async def _loop(self) -> None:
        clock = asyncio.get_running_loop().time
        next_claim = 0.0
        while not self.stopping.is_set():
            self.status.tick("running")
            if clock() >= next_claim:
                await self._claim_idle()
                await self._retry("backfill", self._backfill)  # a count, unless it changed
                await self._retry("upgrade", self._upgrade)  # a lookup, unless 1.3.0 wrote
                next_claim = clock() + self.services.settings.consumer_claim_interval_seconds
            entries = await self._retry("read", self._read_new)
            if entries:
                await self._handle(entries)
            await self._settle(idle=len(entries) < self.services.settings.consumer_batch_size)
            await self._refresh_stats()

    # --- reading ---------------------------------------------------------------------------

    async def _prepare(self) -> None:
        await self._create_group()
        await ensure_indexes(self.services.rollups)

    async def _backfill(self) -> None:
        """What the consumer stored before the rollups, counted once (backfill.py)."""
        await backfill(
            self.services.legacy,
            self.services.rollups,
            self.services.settings.consumer_batch_size,
            progress=lambda: self.status.tick("backfilling"),
        )

    async def _upgrade(self) -> None:
        """The rollups a consumer of 1.3.0 wrote, in the new layout (upgrade.py)."""
        converted = await upgrade(
            self.services.rollups,
            self.services.settings.consumer_batch_size,
            progress=lambda: self.status.tick("upgrading"),
        )
        self._unsettled = self._unsettled or converted > 0

    async def _create_group(self) -> None:
        try:
            # From the stream's start: events published before the first run count too.
            await self.services.redis.xgroup_create(
                self._stream, self._group, id="0", mkstream=True
            )
            log.info("created consumer group %s on %s", self._group, self._stream)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def _xreadgroup(self, start: str, block: int | None) -> list[Entry]:
        try:
            # RESP2 replies: [[stream, [(id, fields), …]]] (redis-py also types RESP3 dicts).
            response: Any = await self.services.redis.xreadgroup(
                self._group,
                self._name,
                {self._stream: start},
                count=self.services.settings.consumer_batch_size,
                block=block,
            )
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            await self._create_group()  # Redis lost the stream (restart without persistence)
            return []
        return list(response[0][1]) if response else []

    async def _read_new(self) -> list[Entry]:
        return await self._xreadgroup(">", self.services.settings.consumer_block_ms)

    async def _drain_own_pending(self) -> None:
        """Entries delivered to this consumer name and never acknowledged (we crashed)."""
        cursor = "0"
        while not self.stopping.is_set():
            entries = await self._retry("pending", partial(self._xreadgroup, cursor, None))
            if not entries:
                return
            log.info("re-reading %d pending entries", len(entries))
            await self._handle(entries)
            cursor = entries[-1][0].decode()

    async def _claim_idle(self) -> None:
        """Take over entries left pending too long by consumers that died."""
        cursor: bytes | str = "0-0"
        while not self.stopping.is_set():
            claim = partial(
                self.services.redis.xautoclaim,
                self._stream,
                self._group,
                self._name,
                min_idle_time=self.services.settings.consumer_claim_idle_ms,
                start_id=cursor,
                count=self.services.settings.consumer_batch_size,
            )
            response: list[Any] = await self._retry("claim", claim)
            cursor, entries = response[0], response[1]
            if entries:
                log.warning("claimed %d entries idle on a dead consumer", len(entries))
                await self._handle(entries)
            if cursor in (b"0-0", "0-0"):
                return

    # --- one batch ---------------------------------------------------------------------------

    async def _handle(self, entries: list[Entry]) -> None:
        events, dead = split(entries, datetime.now(UTC))
        result = await self._retry("write", lambda: record(self.services.rollups, events))
        self._unsettled = self._unsettled or result.stored > 0
        ids = [entry_id for entry_id, _ in entries]
        await self._retry("ack", lambda: self._ack(ids, dead))
        self.status.batch_done(result.stored, result.duplicates, len(dead))
        for entry_id, _, reason in dead:
            log.warning("dead-lettered entry %s: %s", entry_id.decode(), reason)

    async def _ack(self, ids: list[bytes], dead: list[DeadLetter]) -> None:
        """Dead letters and the ack in one MULTI/EXEC: never one without the other."""
        async with self.services.redis.pipeline(transaction=True) as pipe:
            failed_at = datetime.now(UTC).isoformat(timespec="milliseconds")
            for letter in dead:
                pipe.xadd(
                    self.services.settings.dead_letter_stream,
                    dead_letter(letter, self._name, failed_at),  # type: ignore[arg-type]
                    maxlen=self.services.settings.dead_letter_maxlen,
                    approximate=True,
                )
            pipe.xack(self._stream, self._group, *ids)
            await pipe.execute()

    async def _settle(self, idle: bool) -> None:
        """Copy the new seconds upwards, when the stream is idle or SETTLE_INTERVAL has passed."""
        clock = asyncio.get_running_loop().time
        if not self._unsettled or not (idle or clock() - self._settled_at >= SETTLE_INTERVAL):
            return
        progress = partial(self.status.tick, "running")
        await self._retry("settle", lambda: settle(self.services.rollups, progress))
        self._unsettled, self._settled_at = False, clock()

    # --- resilience and health ---------------------------------------------------------------

    async def _retry(self, step: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` until it succeeds, backing off on Redis or MongoDB failures.
        Nothing is skipped: the same batch is retried. SIGTERM during an outage → Stopped."""
        delay = FIRST_BACKOFF
        while True:
            try:
                result = await attempt()
                self.status.last_error = None
                return result
            except (RedisError, PyMongoError, OSError) as error:
                RETRIES.labels(step).inc()
                self.status.last_error = f"{step}: {type(error).__name__}: {error}"[:500]
                self.status.tick(f"backing off ({step})")
                log.warning("%s failed, retrying in %.1f s: %s", step, delay, error)
            if self.stopping.is_set():
                raise Stopped
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=delay)
            delay = min(delay * 2, self.services.settings.consumer_backoff_max_seconds)

    async def _refresh_stats(self) -> None:
        clock = asyncio.get_running_loop().time
        if clock() - self._stats_at < STATS_INTERVAL:
            return
        self._stats_at = clock()
        try:
            groups = await self.services.redis.xinfo_groups(self._stream)
        except RedisError as error:
            log.debug("xinfo groups failed: %s", error)
            return
        for group in groups:
            if group["name"] in (self._group, self._group.encode()):
                self.status.group_info(group.get("lag"), int(group["pending"]))
