import base64
import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
from jose import jwk, jwt
from pydantic import ValidationError

from authentication.settings import Settings
from authentication.tokens import service as token_service
from authentication.tokens.keys import generate_private_pem
from tests.helpers import Client, make_settings, service_client


async def issue(client: Client, **body: Any) -> str:
    response = await client.post("/auth/token", json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["data"]
    return token


async def credentials(client: Client, authorization: str | None) -> Any:
    headers = {} if authorization is None else {"Authorization": authorization}
    return await client.get("/auth/credentials", headers=headers)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [
            b64url(json.dumps(header).encode()),
            b64url(json.dumps(claims).encode()),
            b64url(signature),
        ]
    )


async def test_user_token_verifies_against_the_published_jwks(client: Client) -> None:
    before = int(time.time())
    token = await issue(client, role="user", id=7, is_athlete=True)
    after = time.time()
    jwks = (await client.get("/auth/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(token)
    [key] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(token, key, algorithms=["ES256"], issuer="fiufit-authentication")
    assert claims["role"] == "user"
    assert claims["id"] == 7
    assert claims["is_athlete"] is True
    assert claims["exp"] - claims["iat"] == 24 * 3600
    assert before <= claims["iat"] <= after  # issued now, on this clock
    assert "d" not in key  # only the public half is published


async def test_admin_token_has_no_athlete_claim(client: Client) -> None:
    token = await issue(client, role="admin", id=1)
    response = await credentials(client, f"Bearer {token}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["role"] == "admin" and data["id"] == 1 and "is_athlete" not in data


async def test_credentials_round_trip(client: Client) -> None:
    token = await issue(client, role="user", id=42, is_athlete=False)
    response = await credentials(client, f"Bearer {token}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert {k: data[k] for k in ("role", "id", "is_athlete")} == {
        "role": "user",
        "id": 42,
        "is_athlete": False,
    }
    assert {"iat", "exp", "iss"} <= set(data)


@pytest.mark.parametrize(
    "body",
    [
        {"role": "owner", "id": 1, "is_athlete": True},
        {"role": "user", "id": "abc", "is_athlete": True},
        {"role": "user", "id": 0, "is_athlete": True},
        {"role": "user", "id": 3},
        {"role": "admin", "id": 3, "is_athlete": False},
        {"id": 3},
    ],
)
async def test_bad_token_requests_are_400(client: Client, body: dict[str, Any]) -> None:
    response = await client.post("/auth/token", json=body)
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"role": "user", "id": "5", "is_athlete": True},
        {"role": "user", "id": True, "is_athlete": True},
        {"role": "user", "id": 5, "is_athlete": 0},
        {"role": "user", "id": 5, "is_athlete": "true"},
        {"role": "admin", "id": 2**63},
        {"role": "admin", "id": 10**40},
    ],
)
async def test_token_requests_are_read_as_the_contract_types_them(
    client: Client, body: dict[str, Any]
) -> None:
    """A JSON integer below 2^63 (a bigint id) and a JSON boolean: numeric strings, 0/1 and
    bigger numbers are refused (an id beyond 2^63 used to be signed)."""
    response = await client.post("/auth/token", json=body)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(("sent", "claimed"), [(2**63 - 1, 2**63 - 1), (5.0, 5)])
async def test_a_whole_number_up_to_the_bigint_maximum_is_an_id(
    client: Client, sent: float, claimed: int
) -> None:
    """JSON Schema counts 5.0 as an integer, and so does the strict reading."""
    token = await issue(client, role="admin", id=sent)
    claims = (await credentials(client, f"Bearer {token}")).json()["data"]
    assert claims["id"] == claimed and isinstance(claims["id"], int)


async def test_a_deeply_nested_body_is_400(client: Client) -> None:
    """It was a 500: the JSON decoder ran out of recursion."""
    nested = "[" * 5000 + "]" * 5000
    response = await client.post(
        "/auth/token",
        content=f'{{"role": "admin", "id": 1, "extra": {nested}}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON body is nested too deeply"}


async def test_issuing_and_decoding_need_the_service_credential(
    anonymous: Client, client: Client
) -> None:
    body = {"role": "admin", "id": 1}
    assert (await anonymous.post("/auth/token", json=body)).status_code == 401
    wrong = await anonymous.post("/auth/token", json=body, headers={"X-Service-Token": "nope"})
    assert wrong.status_code == 401
    token = await issue(client, **body)
    response = await anonymous.get(
        "/auth/credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


async def test_jwks_is_public_and_cacheable(anonymous: Client) -> None:
    response = await anonymous.get("/auth/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    [key] = response.json()["keys"]
    assert key["kty"] == "EC" and key["alg"] == "ES256" and key["kid"] == "fiufit-1"


async def test_missing_and_malformed_authorization_headers_are_401(client: Client) -> None:
    token = await issue(client, role="user", id=1, is_athlete=True)
    for authorization in (None, "", token, f"Token {token}", "Bearer", "Bearer ", "Bearer abc"):
        response = await credentials(client, authorization)
        assert response.status_code == 401, authorization
        assert response.json()["detail"]


async def test_alg_none_is_rejected(client: Client) -> None:
    claims = {"role": "admin", "id": 1, "iat": int(time.time()), "exp": int(time.time()) + 60}
    claims["iss"] = "fiufit-authentication"
    for alg in ("none", "None", "NONE"):
        token = forge({"alg": alg, "typ": "JWT", "kid": "fiufit-1"}, claims)
        assert (await credentials(client, f"Bearer {token}")).status_code == 401


async def test_hs256_signed_with_the_public_key_is_rejected(client: Client) -> None:
    jwks = (await client.get("/auth/.well-known/jwks.json")).json()
    public_pem = jwk.construct(jwks["keys"][0]).to_pem().decode()
    now = int(time.time())
    claims = {"role": "admin", "id": 1, "iat": now, "exp": now + 60, "iss": "fiufit-authentication"}
    import hashlib
    import hmac

    header = {"alg": "HS256", "typ": "JWT", "kid": "fiufit-1"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(signature)}"
    assert (await credentials(client, f"Bearer {token}")).status_code == 401


async def test_unknown_kid_and_foreign_key_are_rejected(client: Client) -> None:
    now = int(time.time())
    claims = {"role": "admin", "id": 1, "iat": now, "exp": now + 60, "iss": "fiufit-authentication"}
    other_key = generate_private_pem("ES256")
    for kid in ("fiufit-1", "someone-else"):
        token = jwt.encode(claims, other_key, algorithm="ES256", headers={"kid": kid})
        assert (await credentials(client, f"Bearer {token}")).status_code == 401


async def issued_ago(client: Client, monkeypatch: pytest.MonkeyPatch, seconds: float) -> str:
    """A token issued ``seconds`` ago: only the issuing clock is set back, verification keeps the
    real one, so expiry is checked without waiting for it."""
    issued_at = time.time() - seconds
    with monkeypatch.context() as patch:
        patch.setattr(token_service, "time", SimpleNamespace(time=lambda: issued_at))
        return await issue(client, role="user", id=5, is_athlete=True)


async def test_expired_tampered_and_foreign_issuer_tokens_are_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from authentication.app import create_app

    settings = make_settings(jwt_expiration_hours=1)
    async with service_client(create_app(settings)) as client:
        token = await issue(client, role="user", id=5, is_athlete=True)
        assert (await credentials(client, f"Bearer {token}")).status_code == 200
        header, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["id"] = 6
        tampered = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
        assert (await credentials(client, f"Bearer {tampered}")).status_code == 401

        pem = settings.jwt_private_key.get_secret_value()  # type: ignore[union-attr]
        foreign = jwt.encode(
            {**claims, "id": 5, "iss": "someone"},
            pem,
            algorithm="ES256",
            headers={"kid": "fiufit-1"},
        )
        assert (await credentials(client, f"Bearer {foreign}")).status_code == 401

        # A one-hour token issued two hours ago expired an hour ago; one issued half an hour
        # ago has half an hour left (margins no slow machine gets near).
        expired = await issued_ago(client, monkeypatch, 2 * 3600)
        live = await issued_ago(client, monkeypatch, 1800)
        assert (await credentials(client, f"Bearer {expired}")).status_code == 401
        assert (await credentials(client, f"Bearer {live}")).status_code == 200
    claims = jwt.get_unverified_claims(expired)
    assert claims["exp"] - claims["iat"] == 3600 and claims["exp"] < time.time()


async def test_the_lifetime_is_at_least_one_second() -> None:
    from authentication.app import create_app

    # 0.0001 h is 0.36 s: exp counts whole seconds and used to round it down to exp == iat.
    with pytest.raises(ValidationError, match="at least one second"):
        make_settings(jwt_expiration_hours=0.0001)
    async with service_client(create_app(make_settings(jwt_expiration_hours=1 / 3600))) as client:
        claims = jwt.get_unverified_claims(await issue(client, role="admin", id=1))
    assert claims["exp"] - claims["iat"] == 1


async def test_rs256_keys_and_retired_keys_verify() -> None:
    from authentication.app import create_app

    old_pem = generate_private_pem("RS256")
    old = create_app(make_settings(jwt_private_key=old_pem, jwt_algorithm="RS256"))
    async with service_client(old) as client:
        old_token = await issue(client, role="user", id=9, is_athlete=False)
        old_jwks = (await client.get("/auth/.well-known/jwks.json")).json()
    assert old_jwks["keys"][0]["kty"] == "RSA"

    # Rotation: a new ES256 key signs; the old public key stays published under its own kid.
    from cryptography.hazmat.primitives import serialization

    old_public = (
        serialization.load_pem_private_key(old_pem.encode(), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    rotated = create_app(
        make_settings(jwt_key_id="fiufit-2", jwt_previous_public_keys=[old_public])
    )
    async with service_client(rotated) as client:
        kids = [k["kid"] for k in (await client.get("/auth/.well-known/jwks.json")).json()["keys"]]
        assert kids == ["fiufit-2", "fiufit-2-previous-1"]
        # The old token named kid fiufit-1, which is no longer published.
        assert (await credentials(client, f"Bearer {old_token}")).status_code == 401
        new_token = await issue(client, role="user", id=9, is_athlete=False)
        assert (await credentials(client, f"Bearer {new_token}")).status_code == 200


def test_a_key_is_required_outside_local_mode() -> None:
    with pytest.raises(ValidationError, match="AUTH_JWT_PRIVATE_KEY"):
        Settings(local_mode=False, service_token="x", jwt_private_key=None)
    with pytest.raises(ValidationError, match="AUTH_SERVICE_TOKEN"):
        Settings(local_mode=False, jwt_private_key="x", service_token=None)
    assert Settings(local_mode=True).jwt_private_key is None


def test_a_key_of_the_wrong_type_is_refused() -> None:
    from authentication.app import create_app

    with pytest.raises(ValueError, match="not a key for ES256"):
        create_app(make_settings(jwt_private_key=generate_private_pem("RS256")))


async def test_a_one_line_pem_with_escaped_newlines_is_accepted() -> None:
    from authentication.app import create_app

    pem = generate_private_pem("ES256")
    app = create_app(make_settings(jwt_private_key=pem.replace("\n", "\\n")))
    async with service_client(app) as client:
        token = await issue(client, role="admin", id=2)
        assert (await credentials(client, f"Bearer {token}")).status_code == 200
