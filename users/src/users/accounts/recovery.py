"""Password recovery: the reset e-mail goes out in the background, whatever the outcome."""

import json
import logging

from litestar.exceptions import HTTPException

from users.events import outbox
from users.profiles import repository
from users.services import Services

log = logging.getLogger(__name__)


def username_from_body(body: bytes) -> str | None:
    """A bare JSON string (`"jorge"`), `{"username": …}`, or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, dict):
        value = value.get("username")
    if isinstance(value, str) and 0 < len(value.strip()) <= 100:
        return value.strip()
    return None


async def send_reset(services: Services, username: str) -> None:
    try:
        async with services.pool.acquire() as conn:
            await outbox.enqueue(conn, outbox.USER_PASSWORD_RECOVERY)
            found = await repository.get_by_username(conn, username)
        services.relay.notify()
        if found is not None:
            await services.auth.send_password_reset(found[0].email)
    except HTTPException as error:
        log.warning("password reset for %r not sent: %s", username, error.detail)
    except Exception:
        log.exception("password reset for %r failed", username)
