"""The application factory: settings in, a Litestar app with its clients opened in the lifespan."""

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import anyio
import firebase_admin
import httpx
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Link, OpenAPIResponse
from litestar.plugins.pydantic import PydanticPlugin
from prometheus_client import start_http_server

from authentication import __version__, access, openapi, protocol
from authentication.accounts import routes as accounts
from authentication.accounts.firebase import FirebaseAuth
from authentication.accounts.routes import AccountController
from authentication.errors import exception_handlers
from authentication.firebase_app import init_firebase
from authentication.health import HealthController
from authentication.images import routes as images
from authentication.images.routes import ImageController
from authentication.images.storage import ImageStore
from authentication.logs import configure_logging
from authentication.prometheus import RequestMetrics
from authentication.security import ApiRequest
from authentication.services import Services
from authentication.settings import Settings, check_environment, get_settings
from authentication.tokens.keys import SigningKey, generate_private_pem, load_signing_key
from authentication.tokens.routes import TokenController

log = logging.getLogger(__name__)

# Decoding an upload holds its pixels in memory: at most this many at a time per process.
IMAGE_DECODERS = 2


def _signing_key(settings: Settings) -> SigningKey:
    """Loaded by the factory, so that a key of the wrong kind stops the app before it serves."""
    private_pem = settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None
    key_id = settings.jwt_key_id
    if private_pem is None:  # the settings only allow this in local mode
        log.warning("AUTH_LOCAL_MODE: signing with a key generated at start-up")
        private_pem = generate_private_pem(settings.jwt_algorithm)
        # A fresh kid per generated key: verifiers that cached the previous key refetch the JWKS.
        key_id = f"{key_id}-{secrets.token_hex(4)}"
    return load_signing_key(
        private_pem, settings.jwt_algorithm, key_id, settings.jwt_previous_public_keys
    )


@asynccontextmanager
async def _services(settings: Settings, signing_key: SigningKey) -> AsyncIterator[Services]:
    firebase = init_firebase(settings)
    http = httpx.AsyncClient(
        timeout=settings.upstream_timeout, event_hooks={"request": [access.propagate]}
    )
    try:
        yield Services(
            settings=settings,
            signing_key=signing_key,
            service_token=(
                settings.service_token.get_secret_value()
                if settings.service_token
                else secrets.token_urlsafe(32)  # local mode without a token: nobody can call in
            ),
            firebase_auth=FirebaseAuth(firebase, http, settings.firebase_web_api_key),
            images=ImageStore(firebase, settings.upstream_timeout),
            image_decoders=anyio.CapacityLimiter(IMAGE_DECODERS),
        )
    finally:
        # Bounded: a client stuck in a dependency must not keep the process from exiting.
        await _bounded(http.aclose(), "HTTP client")
        # Closes the SDK's own sessions (accounts, bucket): local work, no call to Firebase.
        firebase_admin.delete_app(firebase)


CLOSE_TIMEOUT = 10.0  # seconds each client may take to close at shutdown


async def _bounded(closing: Awaitable[object], what: str) -> None:
    try:
        await asyncio.wait_for(closing, CLOSE_TIMEOUT)
    except TimeoutError:
        log.warning("%s did not close within %s s; leaving it", what, CLOSE_TIMEOUT)


Links = dict[tuple[str, str, int], dict[str, Link]]


def _add_links(app: Litestar, *links: Links) -> None:
    """Each area's OpenAPI links, {(path, method, status): {name: Link}}, on their responses."""
    paths = app.openapi_schema.paths or {}
    for declared in links:
        for (path, method, status), named in declared.items():
            response = getattr(paths[path], method).responses[str(status)]
            assert isinstance(response, OpenAPIResponse), (path, method, status)
            response.links = {**(response.links or {}), **named}


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    check_environment(settings)
    configure_logging(settings.log_level)
    signing_key = _signing_key(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with _services(settings, signing_key) as services:
            app.state.services = services
            if settings.prometheus_port:
                start_http_server(settings.prometheus_port)
            yield

    app = Litestar(
        route_handlers=[HealthController, TokenController, AccountController, ImageController],
        lifespan=[lifespan],
        state=State({"started_at": time.monotonic()}),
        cors_config=CORSConfig(allow_origins=settings.cors_allowed_origins),
        openapi_config=OpenAPIConfig(
            title="FiuFit authentication",
            version=__version__,
            path="/auth/documentation",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
        request_class=ApiRequest,
        exception_handlers=exception_handlers(),
        # Request bodies are read strictly, as the contract types them (a JSON integer, a JSON
        # boolean): authentication's callers are FiuFit services, which send nothing else.
        plugins=[PydanticPlugin(validate_strict=True)],
        # base64 inflates by a third; the decoded size limit is checked on its own.
        request_max_body_size=settings.max_image_bytes * 4 // 3 + 64 * 1024,
        # Our JSON logging (logs.py) stays in charge; Litestar would install its own format.
        logging_config=None,
    )
    # Internal service: every operation but the public ones (health, JWKS) needs X-Service-Token.
    openapi.document(app, openapi.SERVICE_TOKEN)
    _add_links(app, accounts.LINKS, images.LINKS)
    protocol.install(app)  # CORS only with an Origin; OPTIONS answers completed
    # Outermost: every request gets its line, 404s too, and the routed ones their metrics.
    access.install(app, RequestMetrics("fiufit_authentication"))
    return app
