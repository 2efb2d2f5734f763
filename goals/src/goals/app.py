"""The application factory: settings (and a clock) in, a Litestar app whose pools, clients and
outbox relay open and close in the lifespan."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from prometheus_client import start_http_server
from redis.asyncio import Redis

from goals import __version__, access, contract, openapi, protocol
from goals.catalogue.routes import CatalogueController
from goals.clock import Clock, system_clock
from goals.db import OUTAGES, UNSTORABLE, open_pool
from goals.errors import exception_handlers
from goals.goals.routes import GoalController
from goals.goals.service import IMAGE_WORDING
from goals.health import HealthController
from goals.internal.routes import InternalController
from goals.logs import configure_logging
from goals.outbox import OutboxRelay
from goals.progress.routes import ProgressController
from goals.prometheus import RequestMetrics
from goals.security import ApiRequest, authenticate
from goals.services import Services
from goals.settings import Settings, get_settings
from goals.storage import Storage
from goals.tokens import TokenVerifier

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 10.0  # seconds each client may take to close at shutdown


@asynccontextmanager
async def _services(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    pool = await open_pool(
        settings.database_url.get_secret_value(),
        settings.database_pool_min,
        settings.database_pool_max,
    )
    http = httpx.AsyncClient(
        timeout=settings.upstream_timeout, event_hooks={"request": [access.propagate]}
    )
    redis = Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=settings.upstream_timeout,
        socket_connect_timeout=2,
    )
    try:
        yield Services(
            settings=settings,
            pool=pool,
            redis=redis,
            http=http,
            storage=Storage(
                http,
                settings.auth_url,
                settings.service_token.get_secret_value(),
                IMAGE_WORDING,
                concurrency=settings.image_fetch_concurrency,
            ),
            relay=OutboxRelay(
                pool,
                redis,
                settings.events_stream,
                settings.outbox_batch_size,
                settings.outbox_poll_interval,
                settings.outbox_retention_days,
            ),
            verifier=TokenVerifier(
                http,
                f"{settings.auth_url}/auth/.well-known/jwks.json",
                settings.jwt_issuer,
                redis,
                jwks_max_age=settings.jwks_max_age,
                blocked_max_age=settings.blocked_users_max_age,
            ),
            clock=clock,
        )
    finally:
        # Bounded: a connection or client stuck in a dependency must not keep the process from
        # exiting (the pool then closes its connections without waiting for them).
        await _bounded(redis.aclose(), "Redis client")
        try:
            await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("database pool still busy after %s s: terminating it", CLOSE_TIMEOUT)
            pool.terminate()
        await _bounded(http.aclose(), "HTTP client")


async def _bounded(closing: Awaitable[object], what: str) -> None:
    try:
        await asyncio.wait_for(closing, CLOSE_TIMEOUT)
    except TimeoutError:
        log.warning("%s did not close within %s s; leaving it", what, CLOSE_TIMEOUT)


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    # One line per outbound call is noise at INFO; failures are logged where they are handled.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with _services(settings, clock) as services:
            app.state.services = services
            tasks: list[asyncio.Task[None]] = []
            if settings.outbox_relay_enabled:
                tasks.append(asyncio.create_task(services.relay.run(), name="outbox-relay"))
            if settings.prometheus_port:
                start_http_server(settings.prometheus_port)
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                # A cancelled task ends at its next await; none may hold the shutdown for ever.
                if tasks:
                    done, stuck = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
                    for task in done:
                        if not task.cancelled():
                            task.exception()  # retrieved: the relay logs its own failures
                    for task in stuck:
                        log.warning("background task %s did not stop at shutdown", task.get_name())

    app = Litestar(
        route_handlers=[
            HealthController,
            CatalogueController,
            GoalController,
            ProgressController,
            InternalController,
        ],
        lifespan=[lifespan],
        before_request=authenticate,
        state=State({"settings": settings, "started_at": time.monotonic()}),
        cors_config=CORSConfig(
            allow_origins=settings.cors_allowed_origins,
            allow_origin_regex=settings.cors_allowed_origin_regex,
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=True,
        ),
        openapi_config=OpenAPIConfig(
            title="FiuFit goals",
            version=__version__,
            path="/goals/documentation",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
        request_class=ApiRequest,
        exception_handlers=exception_handlers(
            OUTAGES, summarise_validation=True, unstorable=UNSTORABLE
        ),
        logging_config=None,  # keep the JSON logging configured above
        # base64 inflates by a third; authentication checks the decoded size on its own.
        request_max_body_size=settings.max_image_bytes * 4 // 3 + 64 * 1024,
    )
    openapi.document(app, openapi.BEARER, extra=contract.EXTRA)
    contract.complete(app)
    protocol.install(app)  # CORS only with an Origin; OPTIONS answers completed
    # Outermost: every request gets its line, 404s too, and the routed ones their metrics.
    access.install(app, RequestMetrics("fiufit_goals"))
    return app
