"""The application factory: settings in, a Litestar app whose pools, chain connection,
contract, tracker and outbox relay are set up in the lifespan."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
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

from payment import __version__, errors, events
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
from payment.settings import Settings, get_settings
from payment.wallets.routes import WalletController
from payment.wallets.service import Wallets

log = logging.getLogger(__name__)


def _from_state(name: str) -> Provide:
    def provide(request: Request[Any, Any, Any]) -> object:
        return getattr(request.app.state, name)

    return Provide(provide, sync_to_thread=False)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    keys = KeyBox(settings.wallet_encryption_key.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        chain = Chain.connect(settings.rpc_url, settings.rpc_timeout, settings.priority_fee_gwei)
        owner = owner_account(settings, chain)
        pool = await create_pool(
            settings.database_url.get_secret_value(), settings.database_pool_size
        )
        redis = Redis.from_url(settings.redis_url, socket_timeout=5)
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
            )
            app.state.update(
                pool=pool,
                redis=redis,
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
            tasks.append(
                asyncio.create_task(
                    track_forever(engine, pool, settings.tracker_interval, settings.tracker_grace)
                )
            )
            tasks.append(
                asyncio.create_task(
                    events.relay_forever(
                        pool, redis, settings.events_stream, settings.outbox_interval
                    )
                )
            )
            if settings.prometheus_port:
                start_http_server(settings.prometheus_port)
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Shutdown is bounded: a call stuck on the chain or a lock must not keep the process
            # alive. Whatever it left unfinished is a ledger row that start-up reconciles.
            if tasks:
                await asyncio.wait(tasks, timeout=settings.shutdown_timeout)
            await redis.aclose()
            try:
                await asyncio.wait_for(pool.close(), timeout=settings.shutdown_timeout)
            except TimeoutError:
                log.warning("database connections still busy at shutdown; terminating them")
                pool.terminate()
            await chain.close()

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
