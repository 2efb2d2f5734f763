"""The published contract is true: schemathesis, every check (tests/fuzz.py), against the app's own
OpenAPI document, on the real emulators, as the FiuFit services call it (the service credential)
and as a caller without it. Exclusions, each with its reason, are in tests/schemathesis.toml.

Each run takes 15 to 35 s on this 2-core machine, at fuzz.EXAMPLES examples per operation."""

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from authentication.app import create_app
from tests.fuzz import fuzz, serve
from tests.helpers import (
    SERVICE_TOKEN,
    Client,
    create_bucket,
    delete_project_accounts,
    empty_bucket,
    make_settings,
)

SPEC = "/auth/documentation/openapi.json"
# A Firebase project and a bucket of its own: whatever the fuzzer creates there (accounts with
# odd e-mails, images under odd names) is wiped before and after, and nobody else's is touched.
# (Sign-ins and reset mails go to the emulator's default project, through the REST API; the
# fuzzer's credentials sign nobody in there.)
PROJECT = "demo-fiufit-contract"
BUCKET = "fiufit-authentication-contract"


def wipe() -> None:
    delete_project_accounts(PROJECT)
    empty_bucket(BUCKET)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    create_bucket(BUCKET)
    wipe()
    settings = make_settings(firebase_project_id=PROJECT, storage_bucket=BUCKET)
    try:
        with serve(create_app(settings)) as url:
            yield url
    finally:
        wipe()


def report(run: subprocess.CompletedProcess[str]) -> str:
    return f"schemathesis found contract failures:\n{run.stdout}\n{run.stderr}"


def test_the_contract_holds_for_the_services_that_call_it(base_url: str) -> None:
    # The users service presents the credential, and a user's JWT for /auth/credentials to
    # decode (elsewhere it is one more header, or the Google credential that does not verify).
    issued = httpx.post(
        f"{base_url}/auth/token",
        json={"role": "admin", "id": 1},
        headers={"X-Service-Token": SERVICE_TOKEN},
    )
    assert issued.status_code == 201, issued.text
    headers = {"X-Service-Token": SERVICE_TOKEN, "Authorization": f"Bearer {issued.json()['data']}"}
    run = fuzz(base_url, SPEC, headers)
    assert run.returncode == 0, report(run)


def test_the_contract_holds_for_a_caller_without_the_credential(base_url: str) -> None:
    run = fuzz(base_url, SPEC)
    assert run.returncode == 0, report(run)


async def test_the_document_declares_the_credential_and_what_is_public(client: Client) -> None:
    document = (await client.get(SPEC)).json()
    scheme = document["components"]["securitySchemes"]["ServiceToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Service-Token")
    public = {
        (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation["security"] == []
    }
    assert public == {
        ("/auth/healthcheck", "get"),
        ("/auth/readiness", "get"),
        ("/auth/.well-known/jwks.json", "get"),
    }


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/auth/storage/users/1/avatar", {"DELETE", "GET", "OPTIONS", "PUT"}),
        ("/auth/accounts/some-uid", {"DELETE", "OPTIONS", "PATCH"}),
        ("/auth/accounts/login", {"OPTIONS", "POST"}),
        ("/auth/token", {"OPTIONS", "POST"}),
    ],
)
async def test_options_and_405_list_every_method_of_the_path(
    client: Client, path: str, methods: set[str]
) -> None:
    """Litestar 2 answered OPTIONS /auth/storage/{name} with `Allow: GET, OPTIONS`."""
    options = await client.options(path)
    assert options.status_code == 204
    assert set(options.headers["allow"].split(", ")) == methods
    undeclared = await client.request("TRACE", path)
    assert undeclared.status_code == 405
    assert set(undeclared.headers["allow"].split(", ")) == methods
