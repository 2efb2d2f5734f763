"""``metrics-consumer`` that SIGKILLs itself in the middle of its first batch, at the point
``CRASH_AT`` names: the crashes the exactly-once guarantee must survive, in a real process (the
kill is real, the write is the production one). Run as ``python -m tests.crashing_consumer`` from
the project root, with the same ``METRICS_*`` environment as the real consumer.

- ``ack``: the batch is in its seconds' documents, and Redis never hears of it;
- ``minute``, ``hour``, ``day``, ``month``: the batch is acknowledged, and the first pass copying
  the seconds' totals upwards has copied them into the levels below the one named;
- ``upgrade``: the upgrade of a 1.3.0 store (upgrade.py) has recorded and removed its first
  batch of 1.3.0 documents, and recorded its second batch's events without removing them.
"""

import os
import signal
from typing import Any
from unittest import mock

from metrics.consumer import __main__ as consumer_main
from metrics.consumer import repository, upgrade
from metrics.consumer.worker import Consumer, DeadLetter
from metrics.rollups import Key

CRASH_AT = os.environ["CRASH_AT"]
copy_totals = repository.copy_totals
remove = upgrade.remove
removals = 0


class CrashBeforeAck(Consumer):
    async def _ack(self, ids: list[bytes], dead: list[DeadLetter]) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


def crash_before_copying(key: Key, document: dict[str, Any]) -> Any:
    if key.level.name == CRASH_AT:
        os.kill(os.getpid(), signal.SIGKILL)
    return copy_totals(key, document)


async def crash_at_the_second_removal(rollups: Any, documents: list[dict[str, Any]]) -> int:
    global removals
    removals += 1
    if removals == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return await remove(rollups, documents)


if __name__ == "__main__":
    if CRASH_AT == "ack":
        crash = mock.patch.object(consumer_main, "Consumer", CrashBeforeAck)
    elif CRASH_AT == "upgrade":
        crash = mock.patch.object(upgrade, "remove", crash_at_the_second_removal)
    else:
        crash = mock.patch.object(repository, "copy_totals", crash_before_copying)
    with crash:
        consumer_main.main()
