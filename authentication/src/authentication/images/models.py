"""Every request and response body of the image endpoints."""

from pydantic import BaseModel


class ImageCreate(BaseModel):
    image: str  # base64


class Image(BaseModel):
    name: str
    content_type: str
    size: int


class ImageData(BaseModel):
    image: str  # base64
