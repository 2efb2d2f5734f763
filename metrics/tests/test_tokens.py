"""The token verifier's blocked-users cache (metrics only lets admins in, but verifies user tokens
and refuses blocked users first, like every other service's copy of tokens.py)."""

import httpx
import pytest
from litestar.exceptions import NotAuthorizedException
from redis.asyncio import Redis

from metrics.tokens import BLOCKED_USERS_KEY, TokenVerifier
from tests.conftest import RUN, issue_token, make_settings

# An id of this run's own: other runs on this Redis never block or unblock it.
USER_ID = int(RUN, 16)


async def test_the_first_verification_sees_the_blocked_set_whatever_its_cache_age(
    redis: Redis,
) -> None:
    """A verifier that has not fetched the set yet holds a stale set, not a fresh one, even for
    a max age longer than the machine's uptime (monotonic time starts near zero)."""
    token = issue_token(role="user", id=USER_ID, is_athlete=True)
    settings = make_settings()
    await redis.sadd(BLOCKED_USERS_KEY, str(USER_ID))
    try:
        async with httpx.AsyncClient() as http:
            verifier = TokenVerifier(
                http, settings.jwks_url, settings.jwt_issuer, redis, blocked_max_age=1e9
            )
            with pytest.raises(NotAuthorizedException, match="User is blocked"):
                await verifier.verify(f"Bearer {token}")
            # Unblocked: the cached refusal is confirmed against Redis, so the user gets in.
            await redis.srem(BLOCKED_USERS_KEY, str(USER_ID))
            assert (await verifier.verify(f"Bearer {token}")).id == USER_ID
    finally:
        await redis.srem(BLOCKED_USERS_KEY, str(USER_ID))
