"""The application factory: settings in, a Litestar app with its clients opened in the lifespan."""

import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import firebase_admin
import httpx
from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import start_http_server

from authentication import __version__
from authentication.accounts.routes import AccountController
from authentication.accounts.service import FirebaseAccounts
from authentication.errors import exception_handlers
from authentication.firebase_app import init_firebase
from authentication.health import HealthController
from authentication.images.routes import ImageController
from authentication.images.storage import ImageStore
from authentication.logs import configure_logging
from authentication.settings import Settings, check_environment, get_settings
from authentication.tokens.keys import generate_private_pem, load_signing_key
from authentication.tokens.routes import TokenController
from authentication.tokens.service import TokenService

log = logging.getLogger(__name__)


def from_state(name: str) -> Provide:
    """The dependency `name` is the app state's attribute of that name (a sync provider)."""

    def provide(request: Request[Any, Any, Any]) -> Any:
        return getattr(request.app.state, name)

    return Provide(provide, sync_to_thread=False)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    check_environment(settings)
    configure_logging(settings.log_level)

    private_pem = settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None
    key_id = settings.jwt_key_id
    if private_pem is None:  # the settings only allow this in local mode
        log.warning("AUTH_LOCAL_MODE: signing with a key generated at start-up")
        private_pem = generate_private_pem(settings.jwt_algorithm)
        # A fresh kid per generated key: verifiers that cached the previous key refetch the JWKS.
        key_id = f"{key_id}-{secrets.token_hex(4)}"
    key = load_signing_key(
        private_pem, settings.jwt_algorithm, key_id, settings.jwt_previous_public_keys
    )
    tokens = TokenService(key, settings.jwt_issuer, settings.jwt_expiration_hours * 3600)
    service_token = (
        settings.service_token.get_secret_value()
        if settings.service_token
        else secrets.token_urlsafe(32)  # local mode without a token: nobody can call in
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        firebase = init_firebase(settings)
        http = httpx.AsyncClient(timeout=settings.upstream_timeout)
        app.state.accounts = FirebaseAccounts(firebase, http, settings.firebase_web_api_key)
        app.state.images = ImageStore(firebase, settings.upstream_timeout)
        # Decoding an upload holds its pixels in memory (up to AUTH_MAX_IMAGE_PIXELS x 4 bytes):
        # two at a time per process bounds what a burst of uploads can take.
        app.state.image_decoders = anyio.CapacityLimiter(2)
        if settings.prometheus_port:
            start_http_server(settings.prometheus_port)
        try:
            yield
        finally:
            await http.aclose()
            firebase_admin.delete_app(firebase)

    prometheus = PrometheusConfig(app_name="fiufit_authentication", group_path=True)
    return Litestar(
        route_handlers=[HealthController, TokenController, AccountController, ImageController],
        lifespan=[lifespan],
        dependencies={name: from_state(name) for name in ("tokens", "accounts", "images")},
        state=State(
            {
                "settings": settings,
                "tokens": tokens,
                "jwks": key.jwks,
                "service_token": service_token,
                "started_at": time.monotonic(),
            }
        ),
        middleware=[prometheus.middleware],
        cors_config=CORSConfig(allow_origins=settings.cors_allowed_origins),
        openapi_config=OpenAPIConfig(
            title="FiuFit authentication",
            version=__version__,
            path="/auth/documentation",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
        exception_handlers=exception_handlers(),
        # base64 inflates by a third; the decoded size limit is checked on its own.
        request_max_body_size=settings.max_image_bytes * 4 // 3 + 64 * 1024,
        # Our JSON logging (logs.py) stays in charge; Litestar would install its own format.
        logging_config=None,
    )
