"""Tests run the app in process against the real Firebase Auth emulator and fake-gcs-server
(`overlays/infra.sh start` starts both; `make test` does it for you)."""

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from authentication.app import create_app
from authentication.settings import Settings
from tests.helpers import (
    create_account,
    create_bucket,
    delete_accounts,
    make_settings,
    service_client,
    unique_email,
)


@pytest.fixture(scope="session", autouse=True)
def bucket() -> None:
    create_bucket()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with service_client(app) as client:
        yield client


@pytest.fixture(scope="session")
async def anonymous(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client without the internal service credential."""
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
async def accounts_to_delete() -> AsyncIterator[list[str]]:
    """Firebase uids created by a test; deleted afterwards so the emulator stays clean."""
    uids: list[str] = []
    yield uids
    await delete_accounts(uids)


@pytest.fixture
async def email(client: AsyncTestClient[Litestar], accounts_to_delete: list[str]) -> str:
    """The e-mail of an account just created with the password "secret-pass"."""
    address = unique_email()
    await create_account(client, accounts_to_delete, address, "secret-pass")
    return address
