"""Issuing and decoding FiuFit JWTs, and the JWKS that publishes their public keys."""

import time
from typing import Any

from jose import jwt
from jose.exceptions import JOSEError
from litestar.exceptions import ClientException, NotAuthorizedException

from authentication.services import Services
from authentication.tokens.keys import SigningKey
from authentication.tokens.models import Credentials, Token, TokenCreate


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not signed by a key we publish."""


def check_request(data: TokenCreate) -> None:
    """Users are athletes or trainers; admins are neither."""
    if data.role == "user" and data.is_athlete is None:
        raise ClientException("is_athlete is required for users")
    if data.role == "admin" and data.is_athlete is not None:
        raise ClientException("Admins have no is_athlete")


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise NotAuthorizedException("No token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("Authorization header must be 'Bearer <token>'")
    return token.strip()


def sign(
    key: SigningKey,
    issuer: str,
    lifetime_seconds: int,
    role: str,
    user_id: int,
    is_athlete: bool | None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "role": role,
        "id": user_id,
        "iat": now,
        "exp": now + lifetime_seconds,
        "iss": issuer,
    }
    if is_athlete is not None:
        claims["is_athlete"] = is_athlete
    return str(jwt.encode(claims, key.signer, algorithm=key.algorithm, headers={"kid": key.key_id}))


def verify(key: SigningKey, issuer: str, token: str) -> dict[str, Any]:
    """The token's claims, or InvalidToken."""
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as error:
        raise InvalidToken("Malformed token") from error
    found = key.verifiers.get(str(header.get("kid")))
    if found is None:
        raise InvalidToken("Unknown signing key")
    algorithm, public = found
    try:
        # Pinning the algorithm to the key's own rejects "none" and HS256-with-public-key.
        claims: dict[str, Any] = jwt.decode(token, public, algorithms=[algorithm], issuer=issuer)
    except JOSEError as error:
        raise InvalidToken("Invalid token") from error
    if claims.get("role") not in ("user", "admin") or not isinstance(claims.get("id"), int):
        raise InvalidToken("Token format error")
    return claims


def issue(services: Services, data: TokenCreate) -> Token:
    check_request(data)
    settings = services.settings
    lifetime = int(settings.jwt_expiration_hours * 3600)
    return Token(
        data=sign(
            services.signing_key, settings.jwt_issuer, lifetime, data.role, data.id, data.is_athlete
        )
    )


def credentials(services: Services, authorization: str | None) -> Credentials:
    """The claims of the Bearer token in ``authorization``; 401 for anything invalid."""
    token = bearer_token(authorization)
    try:
        claims = verify(services.signing_key, services.settings.jwt_issuer, token)
    except InvalidToken as error:
        raise NotAuthorizedException(str(error)) from error
    return Credentials.model_validate({"data": claims})


def jwks(services: Services) -> dict[str, list[dict[str, Any]]]:
    """The current public key and the retired ones still published."""
    return services.signing_key.jwks
