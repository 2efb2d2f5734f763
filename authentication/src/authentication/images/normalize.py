"""Normalising uploaded images: real pictures only, bounded dimensions, no metadata.

Every image is decoded with Pillow (a file that does not decode is refused). One whose header
announces more than ``max_pixels`` is refused before its pixels are decoded (a decompression
bomb: a few KiB of PNG can announce gigabytes of pixels). An image that already holds nothing but
its pixels (a PNG or WebP without EXIF, XMP, text chunks, animation or anything after its end)
and fits in ``max_side`` is kept byte for byte. Anything else, and every JPEG, is re-encoded in
its own format (JPEG, PNG, WebP), oriented as its EXIF said, scaled down to fit ``max_side``
and without any metadata: GPS tags never reach storage.
"""

import io
import struct
import warnings

from litestar.exceptions import ClientException
from PIL import Image, ImageOps, UnidentifiedImageError

from authentication.errors import PayloadTooLarge

_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# PNG chunks that describe pixels only; anything else (eXIf, tEXt, zTXt, iTXt, tIME, APNG's
# acTL/fcTL/fdAT, private chunks) makes the image re-encoded.
_PNG_PIXEL_CHUNKS = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"bKGD", b"pHYs",
}  # fmt: skip
# WebP chunks of a still image (VP8X flags are checked on their own).
_WEBP_PIXEL_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP"}
_VP8X_EXIF, _VP8X_XMP, _VP8X_ANIMATION = 0x08, 0x04, 0x02


def _png_is_bare(data: bytes) -> bool:
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        length = int(length)
        if kind not in _PNG_PIXEL_CHUNKS:
            return False
        position += 12 + length
        if kind == b"IEND":
            return position == len(data)  # nothing after the end
    return False


def _webp_is_bare(data: bytes) -> bool:
    if struct.unpack("<I", data[4:8])[0] + 8 != len(data):
        return False  # something after the RIFF container
    position = 12
    while position + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[position : position + 8])
        if kind not in _WEBP_PIXEL_CHUNKS:
            return False
        if kind == b"VP8X" and data[position + 8] & (_VP8X_EXIF | _VP8X_XMP | _VP8X_ANIMATION):
            return False
        position += 8 + length + (length & 1)
    return position == len(data)


def _is_bare(image: Image.Image, data: bytes, content_type: str) -> bool:
    if image.info.get("exif") or image.info.get("xmp") or image.info.get("comment"):
        return False
    if int(getattr(image, "n_frames", 1)) != 1:
        return False
    if content_type == "image/png":
        return _png_is_bare(data)
    if content_type == "image/webp":
        return _webp_is_bare(data)
    # JPEG: what follows the end of the scan cannot be told apart reliably; always re-encoded.
    return False


def _encode(image: Image.Image, content_type: str) -> bytes:
    output = io.BytesIO()
    if content_type == "image/jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(output, "JPEG", quality=85, optimize=True)
    elif content_type == "image/png":
        params: dict[str, object] = {"optimize": True}
        if "transparency" in image.info:  # palette transparency is pixels, not metadata
            params["transparency"] = image.info["transparency"]
        image.save(output, "PNG", **params)
    else:
        if image.mode not in ("RGB", "RGBA"):
            has_alpha = "A" in image.getbands() or "transparency" in image.info
            image = image.convert("RGBA" if has_alpha else "RGB")
        image.save(output, "WEBP", quality=85)
    return output.getvalue()


def normalize_image(
    data: bytes, content_type: str, max_side: int, max_pixels: int
) -> tuple[bytes, str]:
    """The bytes to store and their content type, or a 4xx (400 not a picture, 413 too large).

    Blocking (decodes pixels): run it in a worker thread."""
    expected_format = _FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on images above its own limit; ours is lower.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=[expected_format])
            width, height = image.size
            if width * height > max_pixels:
                raise PayloadTooLarge(
                    f"Image of {width}x{height} pixels: at most {max_pixels} pixels are accepted"
                )
            if expected_format == "JPEG":
                # Decode at the smallest scale (1/2 … 1/8) that still covers max_side.
                image.draft("RGB", (max_side, max_side))
            image.load()
            if _is_bare(image, data, content_type) and max(width, height) <= max_side:
                return data, content_type
            image.seek(0)  # animations keep their first frame
            image = ImageOps.exif_transpose(image)
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            image.info.pop("exif", None)
            image.info.pop("xmp", None)
            return _encode(image, content_type), content_type
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError) as error:
        raise PayloadTooLarge("Image dimensions too large") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error) as error:
        raise ClientException("Corrupt or truncated image: not a decodable picture") from error
