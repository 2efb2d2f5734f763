"""One firebase-admin app per process, pointed at Google or at the local emulators."""

import os
import uuid
from typing import Any

import firebase_admin
from firebase_admin import credentials
from google.auth.credentials import AnonymousCredentials

from authentication.settings import Settings


class _AnonymousCredential(credentials.Base):  # type: ignore[misc]
    """For the emulators: a service-account credential would make the SDK call Google."""

    def get_credential(self) -> Any:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]


def using_emulators() -> bool:
    return bool(os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"))


def init_firebase(settings: Settings) -> firebase_admin.App:
    credential: credentials.Base
    if settings.firebase_credentials_file:
        credential = credentials.Certificate(settings.firebase_credentials_file)
    elif using_emulators():
        credential = _AnonymousCredential()
    else:
        credential = credentials.ApplicationDefault()
    return firebase_admin.initialize_app(
        credential,
        options={
            "projectId": settings.firebase_project_id,
            "storageBucket": settings.storage_bucket,
        },
        name=f"fiufit-authentication-{uuid.uuid4().hex}",  # one per lifespan
    )
