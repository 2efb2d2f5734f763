"""Everything the routes use, opened in the lifespan and reached through `request.app.state`."""

from dataclasses import dataclass

import anyio

from authentication.accounts.firebase import FirebaseAuth
from authentication.images.storage import ImageStore
from authentication.settings import Settings
from authentication.tokens.keys import SigningKey


@dataclass(frozen=True)
class Services:
    settings: Settings
    # The key that signs tokens, and the public keys the JWKS publishes.
    signing_key: SigningKey
    # The credential FiuFit services present in X-Service-Token (security.py checks it).
    service_token: str
    firebase_auth: FirebaseAuth
    images: ImageStore
    # Decoding an upload holds its pixels in memory (up to AUTH_MAX_IMAGE_PIXELS x 4 bytes):
    # this many at a time per process bounds what a burst of uploads can take.
    image_decoders: anyio.CapacityLimiter
