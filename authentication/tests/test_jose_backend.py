"""python-jose signs and verifies with its cryptography backend, never with pure-Python ecdsa.

python-jose depends on ecdsa, which has GHSA-wj6h-64fc-37mp (Minerva: a timing attack on P-256
signing in ecdsa's pure-Python code; no fix planned). overlays/pip-audit-ignore.txt ignores that
advisory only because this service depends on python-jose[cryptography], so jose uses its
cryptography backend (OpenSSL) for every key and never imports ecdsa. These tests fail when
that stops being true (cryptography missing from the lock, a jose release preferring another
backend); the advisory then applies again and must come out of the ignore list.
"""

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from jose import jwk, jwt
from jose.backends import cryptography_backend

from authentication.tokens import service as tokens
from authentication.tokens.keys import generate_private_pem, load_signing_key

ISSUER = "fiufit-test"


def test_jose_resolves_every_asymmetric_key_to_the_cryptography_backend() -> None:
    assert jwk.ECKey is cryptography_backend.CryptographyECKey
    assert jwk.get_key("ES256") is cryptography_backend.CryptographyECKey
    assert jwk.get_key("RS256") is cryptography_backend.CryptographyRSAKey


def test_es256_tokens_are_signed_and_verified_by_the_cryptography_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = cryptography_backend.CryptographyECKey
    calls = {"sign": 0, "verify": 0}
    real_sign: Callable[..., bytes] = backend.sign
    real_verify: Callable[..., bool] = backend.verify

    def sign(self: Any, msg: bytes) -> bytes:
        calls["sign"] += 1
        return real_sign(self, msg)

    def verify(self: Any, msg: bytes, sig: bytes) -> bool:
        calls["verify"] += 1
        return real_verify(self, msg, sig)

    monkeypatch.setattr(backend, "sign", sign)
    monkeypatch.setattr(backend, "verify", verify)
    # The service's own signing key, JWKS and token functions, as in production.
    key = load_signing_key(generate_private_pem("ES256"), "ES256", "test-1", [])
    assert isinstance(jwk.construct(key.jwks["keys"][0]), backend)

    token = tokens.sign(key, ISSUER, 3600, "user", 7, True)
    assert tokens.verify(key, ISSUER, token)["id"] == 7
    assert calls == {"sign": 1, "verify": 1}
    # What every other service does with the published JWKS entry.
    claims = jwt.decode(token, jwk.construct(key.jwks["keys"][0]), algorithms=["ES256"])
    assert claims["iss"] == ISSUER
    assert calls == {"sign": 1, "verify": 2}

    header, payload, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    forged = f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(key, ISSUER, forged)
    assert calls == {"sign": 1, "verify": 3}


def test_ecdsa_is_never_imported() -> None:
    """In a fresh interpreter: the service issues and decodes an ES256 token."""
    code = """
import sys
from authentication.tokens.keys import generate_private_pem, load_signing_key
from authentication.tokens.service import sign, verify

key = load_signing_key(generate_private_pem("ES256"), "ES256", "test-1", [])
verify(key, "fiufit-test", sign(key, "fiufit-test", 3600, "admin", 1, None))
print(sorted(m for m in sys.modules if m.split(".")[0] == "ecdsa" or "ecdsa_backend" in m))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
