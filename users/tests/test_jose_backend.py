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
from jose.exceptions import JWTError

from tests.helpers import es256_key_pair

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
    private_pem, public_jwk = es256_key_pair("test-1")
    # What the token verifier does with each JWKS entry (users/tokens.py).
    key = jwk.construct(public_jwk)
    assert isinstance(key, backend)

    token = jwt.encode(
        {"role": "user", "id": 7, "iss": ISSUER},
        jwk.construct(private_pem, "ES256"),
        algorithm="ES256",
        headers={"kid": "test-1"},
    )
    claims = jwt.decode(token, key, algorithms=["ES256"], issuer=ISSUER)
    assert claims["id"] == 7
    assert calls == {"sign": 1, "verify": 1}

    header, payload, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    forged = f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"
    with pytest.raises(JWTError):
        jwt.decode(forged, key, algorithms=["ES256"], issuer=ISSUER)
    assert calls == {"sign": 1, "verify": 2}


def test_ecdsa_is_never_imported() -> None:
    """In a fresh interpreter: the service's token module plus an ES256 round trip."""
    code = """
import sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jwt
import users.tokens

pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()
).decode()
key = jwk.construct(pem, "ES256")
token = jwt.encode({"id": 1}, key, algorithm="ES256")
jwt.decode(token, jwk.construct(key.public_key().to_dict()), algorithms=["ES256"])
print(sorted(m for m in sys.modules if m.split(".")[0] == "ecdsa" or "ecdsa_backend" in m))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
