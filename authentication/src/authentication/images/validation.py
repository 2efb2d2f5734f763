"""Decoding and checking the base64 images that clients upload."""

import base64
import binascii
import re

from litestar.exceptions import ClientException

from authentication.errors import PayloadTooLarge

# Object names FiuFit uses: users/<id>/avatar, trainings/<id>/media, goals/<id>/image.
_SEGMENT = r"[A-Za-z0-9_-]{1,64}"
OBJECT_NAME = re.compile(rf"^{_SEGMENT}(/{_SEGMENT}){{0,3}}$")
# The name as the path carries it: slashes around it are ignored (the route strips them).
NAME_IN_PATH = rf"^/*{_SEGMENT}(/{_SEGMENT}){{0,3}}/*$"
_DATA_URL_PREFIX = re.compile(r"^data:image/[a-z+.-]+;base64,", re.IGNORECASE)


def content_type_of(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_object_name(name: str) -> str:
    if not OBJECT_NAME.fullmatch(name):
        raise ClientException("Invalid object name")
    return name


def decode_image(encoded: str, max_bytes: int) -> tuple[bytes, str]:
    """Returns the image bytes and their content type, or raises a 4xx that says why."""
    text = _DATA_URL_PREFIX.sub("", encoded.strip(), count=1)
    text = "".join(text.split())  # some encoders wrap lines
    if not text:
        raise ClientException("Empty image")
    # Reject before decoding what could not fit: base64 is 4 characters per 3 bytes.
    if len(text) > (max_bytes + 2) // 3 * 4:
        raise PayloadTooLarge(f"Image larger than {max_bytes} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ClientException("Incorrect image encoding: not base64") from error
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"Image larger than {max_bytes} bytes")
    content_type = content_type_of(data)
    if content_type is None:
        raise ClientException("Unsupported image: only JPEG, PNG and WebP are accepted")
    return data, content_type
