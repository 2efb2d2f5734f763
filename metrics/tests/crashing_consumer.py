"""``metrics-consumer`` that SIGKILLs itself between the MongoDB write of its first batch and the
ack: the crash the exactly-once guarantee must survive, in a real process (the kill is real, the
write is the production one). Run as ``python -m tests.crashing_consumer`` from the project root,
with the same ``METRICS_*`` environment as the real consumer."""

import os
import signal
from unittest import mock

from metrics.consumer import __main__ as consumer_main
from metrics.consumer.worker import Consumer, DeadLetter


class CrashBeforeAck(Consumer):
    async def _ack(self, ids: list[bytes], dead: list[DeadLetter]) -> None:
        os.kill(os.getpid(), signal.SIGKILL)  # the batch is stored; Redis never hears of it


if __name__ == "__main__":
    with mock.patch.object(consumer_main, "Consumer", CrashBeforeAck):
        consumer_main.main()
