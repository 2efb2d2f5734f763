"""Pure functions, no I/O: image decoding and object names, the Bearer header, the Google
credential's post body."""

import base64
from urllib.parse import parse_qs

import pytest
from litestar.exceptions import ClientException, NotAuthorizedException

from authentication.accounts.service import idp_post_body
from authentication.errors import PayloadTooLarge
from authentication.images.validation import check_object_name, content_type_of, decode_image
from authentication.tokens.service import bearer_token
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
