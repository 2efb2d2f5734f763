"""Fixed-window login attempt counters in Redis, per client address and per account."""

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from users.errors import TooManyRequests

log = logging.getLogger(__name__)

PREFIX = "fiufit:users:login-attempts"


class LoginLimiter:
    def __init__(
        self, redis: Redis, per_client: int, per_account: int, window_seconds: int
    ) -> None:
        self._redis = redis
        self._limits = {"client": per_client, "account": per_account}
        self._window = window_seconds

    async def hit(self, client: str, account: str | None) -> None:
        """Counts one attempt; 429 once either counter is past its limit. Fails open on Redis
        errors (Firebase keeps its own brute-force protection)."""
        keys = {"client": client}
        if account:
            keys["account"] = account.strip().lower()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for kind, value in keys.items():
                    key = f"{PREFIX}:{kind}:{value}"
                    pipe.incr(key)
                    pipe.expire(key, self._window, nx=True)
                counts = (await pipe.execute())[::2]
        except (RedisError, OSError) as error:
            log.warning("login rate limiter unavailable: %s", error)
            return
        for kind, count in zip(keys, counts, strict=True):
            if int(count) > self._limits[kind]:
                raise TooManyRequests(
                    "Too many login attempts, try again later",
                    headers={"Retry-After": str(self._window)},
                )
