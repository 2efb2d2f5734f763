"""``metrics-consumer``: run the stream consumer until SIGTERM, then exit 0."""

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import start_http_server
from redis.asyncio import Redis

from metrics.base_settings import load_settings
from metrics.consumer.health import serve_health
from metrics.consumer.services import ConsumerServices
from metrics.consumer.status import ConsumerStatus
from metrics.consumer.worker import Consumer
from metrics.db import close_bounded, legacy_events, mongo_client, rollups
from metrics.logs import configure_logging
from metrics.settings import Settings

log = logging.getLogger("metrics.consumer")


def redis_client(settings: Settings) -> Redis:
    # The socket must outlive a blocking XREADGROUP.
    return Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=settings.consumer_block_ms / 1000 + 10,
        socket_connect_timeout=5,
        health_check_interval=30,
    )


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[ConsumerServices]:
    """The consumer's clients and its health listener, each closed bounded at the end."""
    status = ConsumerStatus(settings.consumer_name, settings.consumer_liveness_seconds)
    redis = redis_client(settings)
    mongo = mongo_client(settings)
    health = None
    try:
        if settings.consumer_health_port:
            health = await serve_health(status, settings.host, settings.consumer_health_port)
        yield ConsumerServices(
            settings, redis, rollups(mongo, settings), legacy_events(mongo, settings), status
        )
    finally:
        if health is not None:
            health.close()
            await close_bounded(health.wait_closed(), "health listener")
        await close_bounded(redis.aclose(), "Redis client")
        await close_bounded(mongo.close(), "MongoDB client")


@asynccontextmanager
async def open_consumer(settings: Settings) -> AsyncIterator[Consumer]:
    """The consumer over its services."""
    async with _services(settings) as services:
        yield Consumer(services)


async def consume(settings: Settings) -> None:
    async with open_consumer(settings) as consumer:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, consumer.stop)
        log.info(
            "consuming %s as %s/%s",
            settings.events_stream,
            settings.consumer_group,
            settings.consumer_name,
        )
        await consumer.run()


def main() -> None:
    settings = load_settings(Settings, "metrics-consumer")
    configure_logging(settings.log_level)
    if settings.consumer_prometheus_port:
        start_http_server(settings.consumer_prometheus_port)
    asyncio.run(consume(settings))


if __name__ == "__main__":
    main()
