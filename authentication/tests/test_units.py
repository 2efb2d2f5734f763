"""Pure functions, no I/O: image decoding and object names, the Bearer header, what a token
request may claim, signing and verifying, the Google credential's post body, and what Firebase's
sign-in answers mean."""

import base64
from urllib.parse import parse_qs

import pytest
from litestar.exceptions import ClientException, HTTPException, NotAuthorizedException

from authentication.accounts.models import Account, GoogleAccount
from authentication.accounts.service import (
    error_code,
    google_signed_in,
    idp_post_body,
    password_signed_in,
)
from authentication.errors import PayloadTooLarge, ServiceUnavailable, TooManyRequests
from authentication.images.validation import check_object_name, content_type_of, decode_image
from authentication.tokens.keys import generate_private_pem, load_signing_key
from authentication.tokens.models import TokenCreate
from authentication.tokens.service import (
    InvalidToken,
    bearer_token,
    check_request,
    sign,
    verify,
)
from tests.helpers import JPEG, PNG, WEBP


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp"), (b"GIF89a", None)],
)
def test_content_types_come_from_the_magic_bytes(data: bytes, content_type: str | None) -> None:
    assert content_type_of(data) == content_type


def test_a_data_url_prefix_and_wrapped_lines_are_accepted() -> None:
    text = base64.b64encode(PNG).decode()
    wrapped = "data:image/png;base64," + "\n".join(
        text[i : i + 20] for i in range(0, len(text), 20)
    )
    assert decode_image(wrapped, 1024) == (PNG, "image/png")


@pytest.mark.parametrize(
    ("encoded", "error", "detail"),
    [
        ("  ", ClientException, "Empty image"),
        ("not base64!", ClientException, "not base64"),
        (base64.b64encode(b"GIF89a....").decode(), ClientException, "Unsupported image"),
        (base64.b64encode(PNG + b"x" * 1024).decode(), PayloadTooLarge, "larger than 1024"),
    ],
)
def test_bad_images_say_why(encoded: str, error: type[Exception], detail: str) -> None:
    with pytest.raises(error, match=detail):
        decode_image(encoded, 1024)


def test_the_size_limit_is_on_the_decoded_bytes() -> None:
    assert decode_image(base64.b64encode(PNG).decode(), len(PNG))[0] == PNG
    with pytest.raises(PayloadTooLarge):
        decode_image(base64.b64encode(PNG).decode(), len(PNG) - 1)


@pytest.mark.parametrize("name", ["users/7/avatar", "trainings/12/media", "goals/3/image", "a"])
def test_fiufit_object_names_are_accepted(name: str) -> None:
    assert check_object_name(name) == name


@pytest.mark.parametrize("name", ["", "../etc/passwd", "a//b", "a/b/c/d/e", "x" * 65, "a b"])
def test_other_object_names_are_refused(name: str) -> None:
    with pytest.raises(ClientException, match="Invalid object name"):
        check_object_name(name)


def test_a_bearer_header_yields_its_token() -> None:
    assert bearer_token("Bearer abc.def.ghi ") == "abc.def.ghi"
    assert bearer_token("bearer t") == "t"


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [(None, "No token"), ("", "No token"), ("Basic abc", "must be"), ("Bearer  ", "must be")],
)
def test_other_authorization_headers_are_401(authorization: str | None, detail: str) -> None:
    with pytest.raises(NotAuthorizedException, match=detail):
        bearer_token(authorization)


def test_a_google_id_token_and_an_access_token_are_told_apart() -> None:
    assert parse_qs(idp_post_body(" a.b.c ")) == {
        "id_token": ["a.b.c"],
        "providerId": ["google.com"],
    }
    assert parse_qs(idp_post_body("ya29.token")) == {
        "access_token": ["ya29.token"],
        "providerId": ["google.com"],
    }


def test_a_credential_cannot_smuggle_other_parameters() -> None:
    body = parse_qs(idp_post_body("ya29&providerId=evil.com&id_token=x"))
    assert body == {
        "access_token": ["ya29&providerId=evil.com&id_token=x"],
        "providerId": ["google.com"],
    }


KEY = load_signing_key(generate_private_pem("ES256"), "ES256", "unit-1", [])
ISSUER = "fiufit-unit"


@pytest.mark.parametrize(
    "body",
    [
        {"role": "user", "id": 1, "is_athlete": True},
        {"role": "user", "id": 1, "is_athlete": False},
        {"role": "admin", "id": 1},
    ],
)
def test_users_say_whether_they_are_athletes_and_admins_do_not(body: dict[str, object]) -> None:
    check_request(TokenCreate.model_validate(body))


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"role": "user", "id": 1}, "is_athlete is required for users"),
        ({"role": "admin", "id": 1, "is_athlete": False}, "Admins have no is_athlete"),
    ],
)
def test_other_token_requests_are_400(body: dict[str, object], detail: str) -> None:
    with pytest.raises(ClientException, match=detail):
        check_request(TokenCreate.model_validate(body))


def test_a_signed_token_verifies_with_its_claims() -> None:
    claims = verify(KEY, ISSUER, sign(KEY, ISSUER, 60, "user", 3, False))
    assert {k: claims[k] for k in ("role", "id", "is_athlete", "iss")} == {
        "role": "user",
        "id": 3,
        "is_athlete": False,
        "iss": ISSUER,
    }
    assert claims["exp"] - claims["iat"] == 60
    assert "is_athlete" not in verify(KEY, ISSUER, sign(KEY, ISSUER, 60, "admin", 1, None))


def test_tokens_we_did_not_issue_as_such_are_invalid() -> None:
    other = load_signing_key(generate_private_pem("ES256"), "ES256", "elsewhere", [])
    cases = [
        ("not a token", "Malformed token"),
        (sign(other, ISSUER, 60, "admin", 1, None), "Unknown signing key"),
        (sign(KEY, "someone-else", 60, "admin", 1, None), "Invalid token"),
        (sign(KEY, ISSUER, 60, "owner", 1, None), "Token format error"),
    ]
    for token, detail in cases:
        with pytest.raises(InvalidToken, match=detail):
            verify(KEY, ISSUER, token)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"error": {"message": "WEAK_PASSWORD : Password should be at least 6 characters"}},
         "WEAK_PASSWORD"),
        ({"error": {"message": "USER_DISABLED"}}, "USER_DISABLED"),
        ({"error": {"message": "QUOTA_EXCEEDED:retry later"}}, "QUOTA_EXCEEDED"),
        ({}, ""),
    ],
)  # fmt: skip
def test_the_code_of_an_identity_toolkit_error(body: dict[str, object], code: str) -> None:
    assert error_code(body) == code


def failure(code: str) -> dict[str, object]:
    return {"error": {"code": 400, "message": code}}


def test_a_password_sign_in_answers_the_account() -> None:
    answer = {"localId": "uid-1", "email": "a@b.co", "registered": True}
    assert password_signed_in(200, answer) == Account(id="uid-1", email="a@b.co")


@pytest.mark.parametrize(
    ("code", "error", "status", "detail"),
    [
        ("USER_DISABLED", NotAuthorizedException, 401, "User is blocked"),
        ("EMAIL_NOT_FOUND", NotAuthorizedException, 401, "Invalid credentials"),
        ("INVALID_PASSWORD", NotAuthorizedException, 401, "Invalid credentials"),
        ("INVALID_LOGIN_CREDENTIALS", NotAuthorizedException, 401, "Invalid credentials"),
        ("INVALID_EMAIL", NotAuthorizedException, 401, "Invalid credentials"),
        ("MISSING_EMAIL", NotAuthorizedException, 401, "Invalid credentials"),
        ("MISSING_PASSWORD", NotAuthorizedException, 401, "Invalid credentials"),
        ("TOO_MANY_ATTEMPTS_TRY_LATER", TooManyRequests, 429, "Too many attempts"),
        ("OPERATION_NOT_ALLOWED", ServiceUnavailable, 503, "OPERATION_NOT_ALLOWED"),
    ],
)
def test_a_refused_password_sign_in_says_why(
    code: str, error: type[HTTPException], status: int, detail: str
) -> None:
    with pytest.raises(error, match=detail) as raised:
        password_signed_in(400, failure(code))
    assert raised.value.status_code == status


def test_a_google_sign_in_answers_the_verified_account() -> None:
    answer = {"localId": "uid-2", "email": "g@b.co", "emailVerified": True, "isNewUser": True}
    expected = GoogleAccount(id="uid-2", email="g@b.co", uid="uid-2", is_new_user=True)
    assert google_signed_in(200, answer, None) == expected
    assert google_signed_in(200, answer, "  G@B.CO ") == expected  # the same e-mail, any case
    returning = google_signed_in(200, {k: v for k, v in answer.items() if k != "isNewUser"}, None)
    assert returning.is_new_user is False


@pytest.mark.parametrize(
    ("status", "answer", "claimed", "detail"),
    [
        (400, failure("USER_DISABLED"), None, "User is blocked"),
        (400, failure("INVALID_IDP_RESPONSE"), None, "Invalid IDP Token"),
        (501, {}, None, "Invalid IDP Token"),
        (200, {"localId": "u"}, None, "Invalid IDP Token"),
        (200, {"localId": "u", "email": "g@b.co", "emailVerified": False}, None,
         "Invalid IDP Token"),
        (200, {"localId": "u", "email": "g@b.co"}, "other@b.co", "does not match"),
    ],
)  # fmt: skip
def test_a_refused_google_sign_in_is_401(
    status: int, answer: dict[str, object], claimed: str | None, detail: str
) -> None:
    with pytest.raises(NotAuthorizedException, match=detail):
        google_signed_in(status, answer, claimed)
