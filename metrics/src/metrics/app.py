"""The application factory: settings in, a Litestar app with its clients opened in the lifespan."""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar, MediaType, Request, Response
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from prometheus_client import start_http_server
from pymongo.errors import PyMongoError
from redis.asyncio import Redis

from metrics import __version__
from metrics.counters.routes import CountersController
from metrics.db import collection, ensure_indexes, mongo_client
from metrics.health import HealthController
from metrics.logs import configure_logging
from metrics.settings import Settings, get_settings
from metrics.tokens import TokenVerifier

log = logging.getLogger(__name__)


def _internal_error(request: Request[Any, Any, Any], error: Exception) -> Response[object]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response(
        {"detail": "Internal server error"},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


def _http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[object]:
    body: dict[str, object] = {"detail": error.detail}
    if error.extra:
        body["errors"] = error.extra
    return Response(body, status_code=error.status_code, headers=error.headers)


def from_state(name: str) -> Provide:
    """The dependency `name` is the app state's attribute of that name (a sync provider)."""

    def provide(request: Request[Any, Any, Any]) -> Any:
        return getattr(request.app.state, name)

    return Provide(provide, sync_to_thread=False)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        http = httpx.AsyncClient(timeout=settings.upstream_timeout)
        redis = Redis.from_url(
            settings.redis_url.get_secret_value(), socket_timeout=5, socket_connect_timeout=5
        )
        mongo = mongo_client(settings)
        app.state.mongo, app.state.redis = mongo, redis
        app.state.events = collection(mongo, settings)
        app.state.verifier = TokenVerifier(http, settings.jwks_url, settings.jwt_issuer, redis)
        try:
            await ensure_indexes(app.state.events)
        except PyMongoError as error:  # the consumer creates them too; queries still answer
            log.warning("could not create the indexes at start-up: %s", error)
        if settings.prometheus_port:
            start_http_server(settings.prometheus_port)
        try:
            yield
        finally:
            await http.aclose()
            await redis.aclose()
            await mongo.close()

    prometheus = PrometheusConfig(app_name="fiufit_metrics", group_path=True)
    return Litestar(
        route_handlers=[HealthController, CountersController],
        lifespan=[lifespan],
        dependencies={"events": from_state("events")},
        state=State({"settings": settings, "started_at": time.monotonic()}),
        middleware=[prometheus.middleware],
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
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        logging_config=None,  # keep the JSON lines configured above
    )
