"""The application factory: settings in, a Litestar app whose services (pool, Redis, the
node's client, the engine, the outbox relay) are opened in the lifespan, which then finds or
deploys the contract, reconciles and starts the tracker and the relay."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager, suppress

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from prometheus_client import start_http_server
from redis.asyncio import Redis

from payment import __version__, access, contract, errors, openapi, protocol
from payment.amounts import to_wei
from payment.audit.routes import AuditController
from payment.chain.client import Chain
from payment.chain.deploy import ensure_contract, fund_tester_owner, owner_account
from payment.chain.errors import ChainUnavailable
from payment.crypto import KeyBox
from payment.db import OUTAGES, UNSTORABLE, create_pool
from payment.health import HealthController
from payment.ledger.engine import Engine
from payment.ledger.routes import MovementController
from payment.ledger.tracker import reconcile, track_forever
from payment.logs import configure_logging
from payment.outbox import OutboxRelay
from payment.prometheus import RequestMetrics
from payment.security import ApiRequest
from payment.services import Services
from payment.settings import Settings, get_settings, warn_deprecated_env
from payment.wallets.routes import WalletController

log = logging.getLogger(__name__)


@asynccontextmanager
async def _services(settings: Settings, keys: KeyBox) -> AsyncIterator[Services]:
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
    try:
        yield Services(
            settings=settings,
            pool=pool,
            redis=redis,
            relay=relay,
            chain=chain,
            engine=Engine(
                pool,
                chain,
                keys,
                owner,
                confirmations=settings.confirmations,
                receipt_poll=settings.receipt_poll,
                rebroadcast_after=settings.rebroadcast_after,
                owner_alert_wei=to_wei(settings.owner_balance_alert),
                notify=relay.notify,
            ),
            service_token=settings.service_token.get_secret_value(),
        )
    finally:
        # Bounded: a call stuck on the chain, a lock or a dependency must not keep the process
        # alive (the pool then closes its connections without waiting for them). Whatever it
        # left unfinished is a ledger row that start-up reconciles, or an outbox row the next
        # relay publishes.
        timeout = settings.shutdown_timeout
        await _bounded(redis.aclose(), "Redis client", timeout)
        try:
            await asyncio.wait_for(pool.close(), timeout)
        except TimeoutError:
            log.warning("database pool still busy after %s s: terminating it", timeout)
            pool.terminate()
        await _bounded(chain.close(), "chain client", timeout)


async def _bounded(closing: Awaitable[object], what: str, seconds: float) -> None:
    """Waits at most ``seconds`` for a client to close: a connection stuck in a dependency must
    not keep the process from exiting."""
    try:
        await asyncio.wait_for(closing, seconds)
    except TimeoutError:
        log.warning("%s did not close within %s s; leaving it", what, seconds)


async def _start(services: Services) -> None:
    """Start-up work on the opened services: the owner funded (eth-tester), the contract found
    or deployed, what a crash left unfinished reconciled, the owner's balance published."""
    settings, chain, engine = services.settings, services.chain, services.engine
    if chain.is_tester:
        await fund_tester_owner(chain, engine.owner)
    await ensure_contract(services.pool, chain, engine.owner, settings)
    await reconcile(engine)
    with suppress(ChainUnavailable):
        await engine.watch_owner()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    warn_deprecated_env()
    keys = KeyBox(settings.wallet_encryption_key.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with _services(settings, keys) as services:
            app.state.services = services
            tasks: list[asyncio.Task[None]] = []
            try:
                await _start(services)
                tracker = track_forever(
                    services.engine, settings.tracker_interval, settings.tracker_grace
                )
                tasks.append(asyncio.create_task(tracker, name="tracker"))
                if settings.outbox_relay_enabled:
                    tasks.append(asyncio.create_task(services.relay.run(), name="outbox-relay"))
                if settings.prometheus_port:
                    start_http_server(settings.prometheus_port)
                yield
            finally:
                # Cancelled tasks end at their next await; none may hold the shutdown for ever.
                for task in tasks:
                    task.cancel()
                if tasks:
                    done, stuck = await asyncio.wait(tasks, timeout=settings.shutdown_timeout)
                    for task in done:
                        if not task.cancelled():
                            task.exception()  # retrieved: a task that failed was logged by itself
                    for task in stuck:
                        log.warning("background task %s did not stop at shutdown", task.get_name())

    app = Litestar(
        route_handlers=[HealthController, WalletController, MovementController, AuditController],
        lifespan=[lifespan],
        state=State({"settings": settings, "started_at": time.monotonic()}),
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
        exception_handlers=errors.exception_handlers(
            OUTAGES, "Database unavailable", unstorable=UNSTORABLE
        ),
        request_class=ApiRequest,  # a JSON body nests at most inputs.MAX_DEPTH levels
        request_max_body_size=64 * 1024,
        logging_config=None,  # logs.py owns the handlers (JSON lines)
    )
    # The one caller is the users service, with the shared X-Service-Token; health and
    # readiness are public.
    openapi.document(app, openapi.SERVICE_TOKEN)
    contract.complete(app, settings)
    protocol.install(app)  # CORS only with an Origin; OPTIONS answers completed
    # Outermost: every request gets its line, 404s too, and the routed ones their metrics.
    access.install(app, RequestMetrics("fiufit_payment"))
    return app
