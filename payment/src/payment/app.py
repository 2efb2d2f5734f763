"""The application factory: settings in, a Litestar app whose pools, chain connection,
contract, tracker and outbox relay are set up in the lifespan."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager, suppress
from typing import Any

from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import start_http_server
from redis.asyncio import Redis

from payment import __version__, errors
from payment.amounts import to_wei
from payment.chain.client import Chain
from payment.chain.deploy import ensure_contract, fund_tester_owner, owner_account
from payment.chain.errors import ChainUnavailable
from payment.crypto import KeyBox
from payment.db import OUTAGES, create_pool
from payment.health import HealthController
from payment.ledger.engine import Engine
from payment.ledger.routes import MovementController
from payment.ledger.service import Limits, Movements
from payment.ledger.tracker import reconcile, track_forever
from payment.logs import configure_logging
from payment.outbox import OutboxRelay
from payment.settings import Settings, get_settings, warn_deprecated_env
from payment.wallets.routes import WalletController
from payment.wallets.service import Wallets

log = logging.getLogger(__name__)


def _from_state(name: str) -> Provide:
    def provide(request: Request[Any, Any, Any]) -> object:
        return getattr(request.app.state, name)

    return Provide(provide, sync_to_thread=False)


async def _bounded(closing: Awaitable[object], what: str, seconds: float) -> None:
    """Waits at most ``seconds`` for a client to close: a connection stuck in a dependency must
    not keep the process from exiting."""
    try:
        await asyncio.wait_for(closing, seconds)
    except TimeoutError:
        log.warning("%s did not close within %s s; leaving it", what, seconds)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    warn_deprecated_env()
    keys = KeyBox(settings.wallet_encryption_key.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        chain = Chain.connect(settings.rpc_url, settings.rpc_timeout, settings.priority_fee_gwei)
        owner = owner_account(settings, chain)
        pool = await create_pool(
            settings.database_url.get_secret_value(),
            settings.database_pool_min,
            settings.database_pool_max,
        )
        redis = Redis.from_url(settings.redis_url, socket_timeout=5)
        relay = OutboxRelay(
            pool,
            redis,
            settings.events_stream,
            settings.outbox_batch_size,
            settings.outbox_poll_interval,
            settings.outbox_retention_days,
        )
        tasks: list[asyncio.Task[None]] = []
        try:
            if chain.is_tester:
                await fund_tester_owner(chain, owner)
            await ensure_contract(pool, chain, owner, settings)
            engine = Engine(
                pool,
                chain,
                keys,
                owner,
                confirmations=settings.confirmations,
                receipt_poll=settings.receipt_poll,
                rebroadcast_after=settings.rebroadcast_after,
                owner_alert_wei=to_wei(settings.owner_balance_alert),
                notify=relay.notify,
            )
            app.state.update(
                pool=pool,
                redis=redis,
                relay=relay,
                chain=chain,
                engine=engine,
                wallets=Wallets(engine, to_wei(settings.wallet_gas_grant), settings.request_wait),
                movements=Movements(
                    engine,
                    settings.max_amount,
                    settings.request_wait,
                    Limits(to_wei(settings.min_withdrawal), settings.withdrawals_per_hour),
                ),
            )
            await reconcile(engine, pool)
            with suppress(ChainUnavailable):
                await engine.watch_owner()
            tracker = track_forever(engine, pool, settings.tracker_interval, settings.tracker_grace)
            tasks.append(asyncio.create_task(tracker, name="tracker"))
            if settings.outbox_relay_enabled:
                tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
            if settings.prometheus_port:
                start_http_server(settings.prometheus_port)
            yield
        finally:
            # Shutdown is bounded: a call stuck on the chain, a lock or a dependency must not
            # keep the process alive. Whatever it left unfinished is a ledger row that start-up
            # reconciles, or an outbox row the next relay publishes.
            timeout = settings.shutdown_timeout
            for task in tasks:
                task.cancel()
            if tasks:
                done, stuck = await asyncio.wait(tasks, timeout=timeout)
                for task in done:
                    if not task.cancelled():
                        task.exception()  # retrieved: a task that failed was logged by itself
                for task in stuck:
                    log.warning("background task %s did not stop at shutdown", task.get_name())
            await _bounded(redis.aclose(), "Redis client", timeout)
            try:
                await asyncio.wait_for(pool.close(), timeout)
            except TimeoutError:
                log.warning("database pool still busy after %s s: terminating it", timeout)
                pool.terminate()
            await _bounded(chain.close(), "chain client", timeout)

    prometheus = PrometheusConfig(app_name="fiufit_payment", group_path=True)
    return Litestar(
        route_handlers=[HealthController, WalletController, MovementController],
        lifespan=[lifespan],
        dependencies={
            "wallets": _from_state("wallets"),
            "movements": _from_state("movements"),
        },
        state=State(
            {
                "settings": settings,
                "started_at": time.monotonic(),
                "service_token": settings.service_token.get_secret_value(),
            }
        ),
        middleware=[prometheus.middleware],
        cors_config=CORSConfig(
            allow_origins=settings.cors_allowed_origins,
            allow_origin_regex=settings.cors_allowed_origin_regex,
        ),
        openapi_config=OpenAPIConfig(
            title="FiuFit payment",
            version=__version__,
            path="/payment/documentation",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
        exception_handlers=errors.exception_handlers(OUTAGES, "Database unavailable"),
        request_max_body_size=64 * 1024,
        logging_config=None,  # logs.py owns the handlers (JSON lines)
    )
