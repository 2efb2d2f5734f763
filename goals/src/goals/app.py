"""The application factory: settings (and a clock) in, a Litestar app whose pools, clients and
outbox relay open and close in the lifespan."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import start_http_server
from redis.asyncio import Redis

from goals import __version__
from goals.catalogue.routes import CatalogueController
from goals.clock import Clock, system_clock
from goals.db import OUTAGES, open_pool
from goals.errors import exception_handlers
from goals.goals.routes import GoalController
from goals.goals.service import IMAGE_WORDING, GoalService
from goals.health import HealthController
from goals.logs import configure_logging
from goals.outbox import OutboxRelay
from goals.progress.routes import ProgressController
from goals.security import provide_caller
from goals.settings import Settings, get_settings
from goals.storage import Storage
from goals.tokens import TokenVerifier

log = logging.getLogger(__name__)

Req = Request[Any, Any, Any]


def from_state(name: str) -> Provide:
    """The dependency `name` is the app state's attribute of that name (a sync provider)."""

    def provide(request: Req) -> Any:
        return getattr(request.app.state, name)

    return Provide(provide, sync_to_thread=False)


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    # One line per outbound call is noise at INFO; failures are logged where they are handled.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        http = httpx.AsyncClient(timeout=settings.upstream_timeout)
        redis = Redis.from_url(
            settings.redis_url.get_secret_value(),
            socket_timeout=settings.upstream_timeout,
            socket_connect_timeout=2,
        )
        db = await open_pool(
            settings.database_url.get_secret_value(),
            settings.database_pool_min,
            settings.database_pool_max,
        )
        relay = OutboxRelay(
            db,
            redis,
            settings.events_stream,
            settings.outbox_batch_size,
            settings.outbox_poll_interval,
            settings.outbox_retention_days,
        )
        service_token = settings.service_token.get_secret_value()
        app.state.update(
            http=http,
            redis=redis,
            db=db,
            relay=relay,
            verifier=TokenVerifier(
                http,
                f"{settings.auth_url}/auth/.well-known/jwks.json",
                settings.jwt_issuer,
                redis,
                jwks_max_age=settings.jwks_max_age,
                blocked_max_age=settings.blocked_users_max_age,
            ),
            goals=GoalService(
                db,
                Storage(
                    http,
                    settings.auth_url,
                    service_token,
                    IMAGE_WORDING,
                    concurrency=settings.image_fetch_concurrency,
                ),
                clock,
                relay.notify,
                settings.image_fetch_concurrency,
                image_budget=settings.list_image_budget_bytes,
                max_images=settings.list_max_images,
                max_image_bytes=settings.max_image_bytes,
            ),
        )
        relay_task = asyncio.create_task(relay.run()) if settings.outbox_relay_enabled else None
        if settings.prometheus_port:
            start_http_server(settings.prometheus_port)
        try:
            yield
        finally:
            if relay_task is not None:
                relay_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay_task
            await db.close()
            await redis.aclose()
            await http.aclose()

    prometheus = PrometheusConfig(app_name="fiufit_goals", group_path=True)
    return Litestar(
        route_handlers=[HealthController, CatalogueController, GoalController, ProgressController],
        lifespan=[lifespan],
        dependencies={
            "caller": Provide(provide_caller, sync_to_thread=False),
            "db": from_state("db"),
            "goals": from_state("goals"),
            "clock": from_state("clock"),
        },
        state=State({"settings": settings, "clock": clock, "started_at": time.monotonic()}),
        middleware=[prometheus.middleware],
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
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        exception_handlers=exception_handlers(OUTAGES, summarise_validation=True),
        logging_config=None,  # keep the JSON logging configured above
        # base64 inflates by a third; authentication checks the decoded size on its own.
        request_max_body_size=settings.max_image_bytes * 4 // 3 + 64 * 1024,
    )
