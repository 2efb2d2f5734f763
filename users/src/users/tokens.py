"""Local verification of FiuFit JWTs against authentication's JWKS (no HTTP hop per request),
plus the Redis set of blocked users that every service honours.

A token verified once is remembered until its `exp` (a bounded map keyed by the token itself),
so a client's later requests skip the signature check, which is most of the cost of a cheap
read. What can change before `exp` is still checked on every request: the blocked set (at most
`blocked_max_age` seconds old, and a refusal is confirmed against Redis), and the signing key
(a token whose key left the JWKS is verified again, and refused).

Declared glue (ARCHITECTURE.md): this file is identical in users, trainings, goals and metrics,
and overlays/check_glue.py fails when one copy differs. Change every copy in one commit.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import httpx
from jose import jwk, jwt
from jose.exceptions import JOSEError
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from redis.asyncio import Redis
from redis.exceptions import RedisError

from . import access
from .errors import ServiceUnavailable

log = logging.getLogger(__name__)

BLOCKED_USERS_KEY = "fiufit:blocked_users"
# python-jose checks `exp`, `iat` and `iss` only when present unless they are required: a token
# without `exp` would never expire, whoever signed it.
_REQUIRED_CLAIMS = {"require_exp": True, "require_iat": True, "require_iss": True}
# Verified tokens remembered: enough for every client active within a token's lifetime on one
# replica; past it the oldest entry goes (a forgotten token is merely verified again).
VERIFIED_CAPACITY = 50_000


@dataclass(frozen=True)
class Caller:
    role: str  # "user" or "admin"
    id: int
    is_athlete: bool | None  # users only: True athlete, False trainer

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_trainer(self) -> bool:
        return self.role == "user" and self.is_athlete is False

    def is_user(self, user_id: int) -> bool:
        """The caller is this user (an admin with the same numeric id is not)."""
        return self.role == "user" and self.id == user_id

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDeniedException("Admin only")

    def require_self(self, user_id: int) -> None:
        if not self.is_user(user_id):
            raise PermissionDeniedException("Only the user may do this")

    def require_self_or_admin(self, user_id: int) -> None:
        if not (self.is_admin or self.is_user(user_id)):
            raise PermissionDeniedException("Only the user or an admin may do this")


class TokenVerifier:
    def __init__(
        self,
        http: httpx.AsyncClient,
        jwks_url: str,
        issuer: str,
        redis: Redis,
        jwks_max_age: float = 300.0,
        blocked_max_age: float = 2.0,
    ) -> None:
        self._http = http
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._redis = redis
        self._jwks_max_age = jwks_max_age
        self._blocked_max_age = blocked_max_age
        self._keys: dict[str, tuple[str, Any]] = {}
        # Never fetched: stale whatever the max age (monotonic time may start near zero).
        self._keys_fetched = -math.inf
        self._blocked: frozenset[int] = frozenset()
        self._blocked_fetched = -math.inf
        self._lock = asyncio.Lock()
        self._blocked_lock = asyncio.Lock()
        # token → (exp as a Unix time, kid, caller), in insertion order (oldest first)
        self._verified: dict[str, tuple[float, str, Caller]] = {}

    async def _refresh_keys(self, force: bool = False) -> None:
        async with self._lock:
            fresh = time.monotonic() - self._keys_fetched < (10 if force else self._jwks_max_age)
            if self._keys and fresh:
                return
            try:
                response = await self._http.get(self._jwks_url)
                response.raise_for_status()
                keys = response.json()["keys"]
            except (httpx.HTTPError, ValueError, KeyError) as error:
                if self._keys:  # keep verifying with what we have
                    log.warning("JWKS refresh failed: %s", error)
                    return
                raise ServiceUnavailable("Token keys are unavailable") from error
            self._keys = {k["kid"]: (k["alg"], jwk.construct(k)) for k in keys}
            self._keys_fetched = time.monotonic()

    def _blocked_stale(self) -> bool:
        return time.monotonic() - self._blocked_fetched > self._blocked_max_age

    async def _blocked_users(self) -> frozenset[int]:
        if self._blocked_stale():
            # One read per period, however many requests find the set stale at once: the
            # others wait for it rather than each sending its own SMEMBERS.
            async with self._blocked_lock:
                if self._blocked_stale():
                    try:
                        members = await self._redis.smembers(BLOCKED_USERS_KEY)
                        self._blocked = frozenset(int(m) for m in members)
                        self._blocked_fetched = time.monotonic()
                    except RedisError as error:
                        # Keep the last known set: a Redis blip must not log everybody out.
                        # Tried again a period later, so that requests do not queue here
                        # behind one failing read after another.
                        self._blocked_fetched = time.monotonic()
                        log.warning("blocked-users refresh failed: %s", error)
        return self._blocked

    async def _is_blocked(self, user_id: int) -> bool:
        if user_id not in await self._blocked_users():
            return False
        # The cached set may predate an unblock: confirm a refusal against Redis itself, so an
        # unblocked user is never turned away (blocked users are few; this costs them one call).
        try:
            return bool(await self._redis.sismember(BLOCKED_USERS_KEY, str(user_id)))
        except RedisError:
            return True

    async def verify(self, authorization: str | None) -> Caller:
        if not authorization:
            raise NotAuthorizedException("No token")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("Invalid token")
        caller = self._remembered(token) or await self._verify(token)
        if caller.role == "user" and await self._is_blocked(caller.id):
            raise NotAuthorizedException("User is blocked")
        access.note_caller(caller.role, caller.id)
        return caller

    def _remembered(self, token: str) -> Caller | None:
        """The caller of a token verified before, while it is unexpired, its key is still
        published and the published keys are fresh (else the full check runs, refreshing them)."""
        found = self._verified.get(token)
        if found is None:
            return None
        exp, kid, caller = found
        keys_fresh = time.monotonic() - self._keys_fetched < self._jwks_max_age
        if time.time() < exp and kid in self._keys and keys_fresh:
            return caller
        del self._verified[token]
        return None

    def _remember(self, token: str, exp: float, kid: str, caller: Caller) -> None:
        if len(self._verified) >= VERIFIED_CAPACITY:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (exp, kid, caller)

    async def _verify(self, token: str) -> Caller:
        try:
            kid = str(jwt.get_unverified_header(token).get("kid"))
        except JOSEError as error:
            raise NotAuthorizedException("Invalid token") from error
        await self._refresh_keys()
        if kid not in self._keys:
            await self._refresh_keys(force=True)  # a key rotation may have published it
        found = self._keys.get(kid)
        if found is None:
            raise NotAuthorizedException("Invalid token")
        algorithm, key = found
        try:
            claims = jwt.decode(
                token, key, algorithms=[algorithm], issuer=self._issuer, options=_REQUIRED_CLAIMS
            )
        except JOSEError as error:
            raise NotAuthorizedException("Invalid token") from error
        role, user_id = claims.get("role"), claims.get("id")
        if role not in ("user", "admin") or not isinstance(user_id, int):
            raise NotAuthorizedException("Invalid token")
        is_athlete = claims.get("is_athlete")
        caller = Caller(role=role, id=user_id, is_athlete=is_athlete if role == "user" else None)
        self._remember(token, float(claims["exp"]), kid, caller)
        return caller
