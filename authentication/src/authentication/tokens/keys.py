"""The signing key and the JWKS that publishes its public half (plus retired keys)."""

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk
from jose.backends.base import Key


@dataclass(frozen=True)
class SigningKey:
    algorithm: str
    key_id: str
    jwks: dict[str, list[dict[str, Any]]]
    # Parsed once, which keeps signing cheap (python-jose otherwise re-parses the PEM per token).
    signer: Key = field(repr=False)
    # kid → (algorithm, public key) of every key the JWKS publishes.
    verifiers: dict[str, tuple[str, Key]] = field(repr=False)


def generate_private_pem(algorithm: str) -> str:
    """A fresh key for local runs and tests only."""
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(private_pem: str) -> str:
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _algorithm_of(public_pem: str) -> str:
    public = serialization.load_pem_public_key(public_pem.encode())
    return "ES256" if isinstance(public, ec.EllipticCurvePublicKey) else "RS256"


def _jwk(public_pem: str, algorithm: str, key_id: str) -> dict[str, Any]:
    data: dict[str, Any] = jwk.construct(public_pem, algorithm).to_dict()
    data.update({"kid": key_id, "use": "sig", "alg": algorithm})
    return data


def load_signing_key(
    private_pem: str, algorithm: str, key_id: str, previous_public_pems: list[str]
) -> SigningKey:
    if _algorithm_of(_public_pem(private_pem)) != algorithm:
        raise ValueError(f"AUTH_JWT_PRIVATE_KEY is not a key for {algorithm}")
    keys = [_jwk(_public_pem(private_pem), algorithm, key_id)]
    for index, pem in enumerate(previous_public_pems, start=1):
        keys.append(_jwk(pem, _algorithm_of(pem), f"{key_id}-previous-{index}"))
    return SigningKey(
        algorithm,
        key_id,
        {"keys": keys},
        signer=jwk.construct(private_pem, algorithm),
        verifiers={k["kid"]: (k["alg"], jwk.construct(k)) for k in keys},
    )
