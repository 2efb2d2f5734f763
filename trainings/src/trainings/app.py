"""The application factory: settings in, a Litestar app with its pools opened in the lifespan."""

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

from trainings import __version__, access, contract, openapi, protocol
from trainings.catalogue.routes import CatalogueController
from trainings.catalogue.service import load_catalogue
from trainings.db import OUTAGES, UNSTORABLE, open_pool
from trainings.errors import exception_handlers
from trainings.favourites.routes import FavouriteController
from trainings.health import HealthController
from trainings.internal.routes import InternalController
from trainings.logs import configure_logging
from trainings.outbox import OutboxRelay
from trainings.prometheus import RequestMetrics
from trainings.security import ApiRequest, authenticate
from trainings.services import Services
from trainings.settings import Settings, get_settings, warn_deprecated_env
from trainings.storage import Storage
from trainings.tokens import TokenVerifier
from trainings.trainings.routes import TrainingController
from trainings.trainings.service import MEDIA_WORDING

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 10.0  # seconds each client may take to close at shutdown


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Services]:
    pool = await open_pool(
        settings.database_url.get_secret_value(),
        settings.database_pool_min,
        settings.database_pool_max,
    )
    redis = Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=2,
        socket_connect_timeout=2,
        decode_responses=True,
    )
    http = httpx.AsyncClient(
        timeout=settings.upstream_timeout,
        event_hooks={"request": [access.propagate]},
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
    try:
        async with pool.acquire() as conn:
            catalogue = await load_catalogue(conn)
        yield Services(
            settings=settings,
            pool=pool,
            redis=redis,
            storage=Storage(
                http,
                settings.auth_url,
                settings.service_token.get_secret_value(),
                MEDIA_WORDING,
                cache_bytes=settings.media_cache_bytes,
                concurrency=settings.media_fetch_concurrency,
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
                f"{settings.auth_url.rstrip('/')}/auth/.well-known/jwks.json",
                settings.jwt_issuer,
                redis,
                blocked_max_age=settings.blocked_users_max_age,
            ),
            catalogue=catalogue,
        )
    finally:
        # Bounded: a connection or client stuck in a dependency must not keep the process from
        # exiting (the pool then closes its connections without waiting for them).
        await _bounded(http.aclose(), "HTTP client")
        await _bounded(redis.aclose(), "Redis client")
        try:
            await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("database pool still busy after %s s: terminating it", CLOSE_TIMEOUT)
            pool.terminate()


async def _bounded(closing: Awaitable[object], what: str) -> None:
    try:
        await asyncio.wait_for(closing, CLOSE_TIMEOUT)
    except TimeoutError:
        log.warning("%s did not close within %s s; leaving it", what, CLOSE_TIMEOUT)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    warn_deprecated_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with _services(settings) as services:
            app.state.services = services
            contract.describe_catalogue(app, services.catalogue)
            if settings.outbox_relay_enabled:
                services.relay.start()
            if settings.prometheus_port:
                start_http_server(settings.prometheus_port)
            try:
                yield
            finally:
                # The relay ends at its next await; it may not hold the shutdown for ever.
                await _bounded(services.relay.stop(), "outbox relay")

    app = Litestar(
        route_handlers=[
            HealthController,
            CatalogueController,
            TrainingController,
            FavouriteController,
            InternalController,
        ],
        lifespan=[lifespan],
        before_request=authenticate,
        state=State({"settings": settings, "started_at": time.monotonic()}),
        logging_config=None,  # keep the JSON logs configured above
        cors_config=CORSConfig(
            allow_origins=settings.cors_allowed_origins,
            allow_origin_regex=settings.cors_allowed_origin_regex,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=True,
        ),
        openapi_config=OpenAPIConfig(
            title="FIUFIT Trainings",
            version=__version__,
            path="/trainings/documentation",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
        exception_handlers=exception_handlers(OUTAGES, unstorable=UNSTORABLE),
        request_class=ApiRequest,
        # base64 inflates by a third; the decoded size limit is checked by the storage.
        request_max_body_size=settings.max_image_bytes * 4 // 3 + 64 * 1024,
    )
    openapi.document(app, contract.SCHEMES)
    contract.complete(app)
    protocol.install(app)  # CORS only with an Origin; OPTIONS answers completed
    # Outermost: every request gets its line, 404s too, and the routed ones their metrics.
    access.install(app, RequestMetrics("fiufit_trainings"))
    return app
