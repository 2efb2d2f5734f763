"""Issuing and decoding FiuFit JWTs."""

import time
from typing import Any

from jose import jwk, jwt
from jose.exceptions import JOSEError

from authentication.tokens.keys import SigningKey


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not signed by a key we publish."""


class TokenService:
    def __init__(self, key: SigningKey, issuer: str, lifetime_seconds: float) -> None:
        self._key = key
        self._issuer = issuer
        self._lifetime = int(lifetime_seconds)
        # Parsing the PEM once keeps signing cheap (python-jose otherwise re-parses per token).
        self._signing_key = jwk.construct(key.private_pem, key.algorithm)
        self._verifying_keys = {k["kid"]: (k["alg"], jwk.construct(k)) for k in key.jwks["keys"]}

    def issue(self, role: str, user_id: int, is_athlete: bool | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "role": role,
            "id": user_id,
            "iat": now,
            "exp": now + self._lifetime,
            "iss": self._issuer,
        }
        if is_athlete is not None:
            claims["is_athlete"] = is_athlete
        return str(
            jwt.encode(
                claims,
                self._signing_key,
                algorithm=self._key.algorithm,
                headers={"kid": self._key.key_id},
            )
        )

    def decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as error:
            raise InvalidToken("Malformed token") from error
        found = self._verifying_keys.get(str(header.get("kid")))
        if found is None:
            raise InvalidToken("Unknown signing key")
        algorithm, key = found
        try:
            # Pinning the algorithm to the key's own rejects "none" and HS256-with-public-key.
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[algorithm], issuer=self._issuer
            )
        except JOSEError as error:
            raise InvalidToken("Invalid token") from error
        if claims.get("role") not in ("user", "admin") or not isinstance(claims.get("id"), int):
            raise InvalidToken("Token format error")
        return claims
