"""Every request and response body of the image endpoints."""

from pydantic import BaseModel, Field

# The smallest PNG (one pixel), the contract's example of an upload.
EXAMPLE_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
    "AAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class ImageCreate(BaseModel):
    image: str = Field(
        min_length=1,
        description=(
            "A JPEG, PNG or WebP image in base64 (a data:image/…;base64, prefix and line breaks "
            "are tolerated), at most AUTH_MAX_IMAGE_BYTES once decoded (413 beyond)"
        ),
        examples=[EXAMPLE_PNG],
    )


class Image(BaseModel):
    name: str
    content_type: str = Field(description="image/jpeg, image/png or image/webp")
    size: int = Field(description="Bytes stored (the image is normalised, see the README)")


class ImageData(BaseModel):
    image: str = Field(description="The stored image, in base64")
