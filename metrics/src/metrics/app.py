"""The application factory: settings in, a Litestar app with its clients opened in the lifespan."""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from prometheus_client import start_http_server
from pymongo.errors import PyMongoError
from redis.asyncio import Redis

from metrics import __version__, access, contract, openapi, protocol
from metrics.counters.routes import CountersController
from metrics.db import close_bounded, ensure_indexes, mongo_client, rollups
from metrics.errors import exception_handlers
from metrics.health import HealthController
from metrics.logs import configure_logging
from metrics.prometheus import RequestMetrics
from metrics.security import ApiRequest
from metrics.services import Services
from metrics.settings import Settings, get_settings
from metrics.tokens import TokenVerifier

log = logging.getLogger(__name__)


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Services]:
    http = httpx.AsyncClient(
        timeout=settings.upstream_timeout, event_hooks={"request": [access.propagate]}
    )
    redis = Redis.from_url(
        settings.redis_url.get_secret_value(), socket_timeout=5, socket_connect_timeout=5
    )
    mongo = mongo_client(settings)
    try:
        yield Services(
            settings=settings,
            mongo=mongo,
            rollups=rollups(mongo, settings),
            redis=redis,
            verifier=TokenVerifier(http, settings.jwks_url, settings.jwt_issuer, redis),
        )
    finally:
        await close_bounded(mongo.close(), "MongoDB client")
        await close_bounded(redis.aclose(), "Redis client")
        await close_bounded(http.aclose(), "HTTP client")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with _services(settings) as services:
            app.state.services = services
            try:
                await ensure_indexes(services.rollups)
            except PyMongoError as error:  # the consumer creates them too; queries still answer
                log.warning("could not create the indexes at start-up: %s", error)
            if settings.prometheus_port:
                start_http_server(settings.prometheus_port)
            yield

    app = Litestar(
        route_handlers=[HealthController, CountersController],
        lifespan=[lifespan],
        state=State({"settings": settings, "started_at": time.monotonic()}),
        cors_config=CORSConfig(
            allow_origins=settings.cors_allowed_origins,
            allow_origin_regex=settings.cors_allowed_origin_regex,
            allow_credentials=True,
        ),
        openapi_config=OpenAPIConfig(
            title="FiuFit metrics",
            version=__version__,
            path="/metrics/documentation",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
        request_class=ApiRequest,
        exception_handlers=exception_handlers(),
        logging_config=None,  # keep the JSON lines configured above
    )
    # The callers are the back office's admins, with their JWT; health and readiness are public.
    openapi.document(app, openapi.BEARER)
    contract.complete(app)
    protocol.install(app)  # CORS only with an Origin; OPTIONS answers completed
    # Outermost: every request gets its line, 404s too, and the routed ones their metrics.
    access.install(app, RequestMetrics("fiufit_metrics"))
    return app
