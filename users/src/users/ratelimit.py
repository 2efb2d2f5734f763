"""Fixed-window attempt counters in Redis, per client address and per account, for the routes
that need no token: logins, sign-ups (e-mail and Google) and password recovery."""

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from users.errors import TooManyRequests

log = logging.getLogger(__name__)

PREFIX = "fiufit:users"


@dataclass(frozen=True)
class Limit:
    per_client: int
    per_account: int
    window_seconds: int
    message: str


class RateLimiter:
    def __init__(self, redis: Redis, limits: dict[str, Limit]) -> None:
        self._redis = redis
        self._limits = limits

    async def hit(self, action: str, client: str, account: str | None) -> None:
        """Counts one `action` attempt; 429 (with Retry-After, the seconds left in the window)
        once either counter is past its limit. Fails open on Redis errors: a Redis outage must
        not stop logins and sign-ups (Firebase keeps its own brute-force protection)."""
        limit = self._limits[action]
        keys = {"client": (client, limit.per_client)}
        if account and account.strip():
            keys["account"] = (account.strip().lower(), limit.per_account)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for kind, (value, _) in keys.items():
                    key = f"{PREFIX}:{action}-attempts:{kind}:{value}"
                    pipe.incr(key)
                    pipe.expire(key, limit.window_seconds, nx=True)
                    pipe.ttl(key)
                replies = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("%s rate limiter unavailable: %s", action, error)
            return
        for (_, allowed), count, ttl in zip(
            keys.values(), replies[::3], replies[2::3], strict=True
        ):
            if int(count) > allowed:
                retry_after = int(ttl) if int(ttl) > 0 else limit.window_seconds
                raise TooManyRequests(limit.message, headers={"Retry-After": str(retry_after)})
