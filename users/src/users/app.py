"""The application factory: settings in, a Litestar app with its pools opened in the lifespan."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from prometheus_client import start_http_server
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from users import __version__, access, blocking, contract, openapi, protocol
from users.accounts.routes import AccountController
from users.admins.routes import AdminController, ModerationController
from users.admins.service import bootstrap_admin, keep_lifting_suspensions
from users.audit.routes import AuditController
from users.clients.auth import AuthClient
from users.clients.holders import DataHolder, TrainingsClient
from users.clients.payment import PaymentClient
from users.clients.upstream import Upstream
from users.db import OUTAGES, UNSTORABLE, Pool, open_pool
from users.deletions import service as deletions
from users.deletions.routes import DeletionStatusController
from users.deletions.worker import DeletionWorker
from users.errors import exception_handlers
from users.exports.routes import ExportController
from users.follows.routes import FollowController
from users.geo import Positions
from users.health import HealthController
from users.logs import configure_logging
from users.outbox import OutboxRelay
from users.profiles.avatar import AVATAR_WORDING
from users.profiles.routes import ProfileController
from users.prometheus import RequestMetrics
from users.ratelimit import Limit, RateLimiter
from users.reports.routes import (
    ModerationQueueController,
    ReportController,
    TrainingReportController,
)
from users.security import ApiRequest, authenticate
from users.services import Services
from users.settings import Settings, get_settings
from users.storage import Storage
from users.tokens import TokenVerifier
from users.wallets.routes import WalletController

log = logging.getLogger(__name__)


def _limits(settings: Settings) -> dict[str, Limit]:
    return {
        "login": Limit(
            settings.login_attempts_per_client,
            settings.login_attempts_per_account,
            settings.login_window_seconds,
            "Too many login attempts, try again later",
        ),
        "signup": Limit(
            settings.signup_attempts_per_client,
            settings.signup_attempts_per_email,
            settings.signup_window_seconds,
            "Too many sign-ups, try again later",
        ),
        "recovery": Limit(
            settings.recovery_attempts_per_client,
            settings.recovery_attempts_per_account,
            settings.recovery_window_seconds,
            "Too many password-recovery requests, try again later",
        ),
        "report": Limit(
            settings.report_attempts_per_client,
            settings.report_attempts_per_account,
            settings.report_window_seconds,
            "Too many reports, try again later",
        ),
    }


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Services]:
    http = httpx.AsyncClient(
        timeout=settings.upstream_timeout, event_hooks={"request": [access.propagate]}
    )
    pool = await open_pool(
        settings.database_url.get_secret_value(),
        settings.database_pool_min,
        settings.database_pool_max,
        # A request that opens a connection waits no longer than one that waits for a free one.
        connect_timeout=settings.database_pool_timeout,
    )
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    events_redis = (
        Redis.from_url(settings.events_redis_url, socket_timeout=5, socket_connect_timeout=2)
        if settings.events_redis_url
        else redis
    )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        connectTimeoutMS=settings.mongo_timeout_ms,
        tz_aware=True,
    )
    token = settings.service_token.get_secret_value()
    try:
        yield Services(
            settings=settings,
            pool=Pool(pool, settings.database_pool_timeout),
            redis=redis,
            auth=AuthClient(Upstream(http, settings.auth_url, token, "authentication")),
            storage=Storage(http, settings.auth_url, token, AVATAR_WORDING),
            payment=PaymentClient(Upstream(http, settings.payment_url, token, "payment")),
            trainings=TrainingsClient(Upstream(http, settings.trainings_url, token, "trainings")),
            goals=DataHolder(Upstream(http, settings.goals_url, token, "goals")),
            positions=Positions(mongo, settings.mongo_database),
            deleter=DeletionWorker(DELETION_IDLE),
            relay=OutboxRelay(
                pool,
                events_redis,
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
            ),
            limiter=RateLimiter(redis, _limits(settings)),
        )
    finally:
        # Bounded: a connection or client stuck in a dependency must not keep the process from
        # exiting (the pool then closes its connections without waiting for them).
        await _bounded(mongo.close(), "MongoDB client")
        if events_redis is not redis:
            await _bounded(events_redis.aclose(), "events Redis client")
        await _bounded(redis.aclose(), "Redis client")
        try:
            await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("database pool still busy after %s s: terminating it", CLOSE_TIMEOUT)
            pool.terminate()
        await _bounded(http.aclose(), "HTTP client")


DELETION_IDLE = 5.0  # seconds between the deletion worker's looks when nothing wakes it
CLOSE_TIMEOUT = 10.0  # seconds each client may take to close at shutdown


async def _bounded(closing: Awaitable[object], what: str) -> None:
    try:
        await asyncio.wait_for(closing, CLOSE_TIMEOUT)
    except TimeoutError:
        log.warning("%s did not close within %s s; leaving it", what, CLOSE_TIMEOUT)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with _services(settings) as services:
            app.state.services = services
            try:
                await services.positions.ensure_indexes()
            except HTTPException as error:
                log.warning("MongoDB indexes not created: %s", error.detail)
            tasks = [
                asyncio.create_task(
                    blocking.keep_in_sync(
                        services.pool.raw, services.redis, settings.blocked_sync_interval
                    ),
                    name="blocked-sync",
                ),
                asyncio.create_task(bootstrap_admin(services), name="bootstrap-admin"),
                asyncio.create_task(
                    services.deleter.run(partial(deletions.work, services)), name="deletions"
                ),
                asyncio.create_task(
                    keep_lifting_suspensions(services, settings.suspension_sweep_interval),
                    name="suspension-lifter",
                ),
            ]
            if settings.outbox_relay_enabled:
                tasks.append(asyncio.create_task(services.relay.run(), name="outbox-relay"))
            if settings.prometheus_port:
                start_http_server(settings.prometheus_port)
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                # Cancelled tasks end at their next await; none may hold the shutdown for ever.
                done, stuck = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
                for task in done:
                    if not task.cancelled():
                        task.exception()  # retrieved: a task that failed was logged by itself
                for task in stuck:
                    log.warning("background task %s did not stop at shutdown", task.get_name())

    app = Litestar(
        route_handlers=[
            HealthController,
            AccountController,
            ProfileController,
            FollowController,
            WalletController,
            AdminController,
            ModerationController,
            AuditController,
            ReportController,
            ModerationQueueController,
            TrainingReportController,
            DeletionStatusController,
            ExportController,
        ],
        lifespan=[lifespan],
        before_request=authenticate,
        state=State({"settings": settings, "started_at": time.monotonic()}),
        cors_config=CORSConfig(
            allow_origins=settings.cors_allowed_origins,
            allow_origin_regex=settings.cors_allowed_origin_regex,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            allow_credentials=True,
        ),
        openapi_config=OpenAPIConfig(
            title="FiuFit users",
            version=__version__,
            path="/users/documentation",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
        exception_handlers=exception_handlers(
            OUTAGES, "The database is unavailable", unstorable=UNSTORABLE
        ),
        request_class=ApiRequest,
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,  # keep the JSON lines configured above
    )
    openapi.document(app, openapi.BEARER)
    contract.complete(app)
    protocol.install(app)  # CORS only with an Origin; OPTIONS answers completed
    # Outermost: every request gets its line, 404s too, and the routed ones their metrics.
    access.install(app, RequestMetrics("fiufit_users"))
    return app
