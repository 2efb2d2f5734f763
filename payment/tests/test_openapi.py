"""The OpenAPI contract is true: schemathesis (`st run --checks all`, as a client would run it)
fuzzes the app, served by uvicorn on a free port, from its own
/payment/documentation/openapi.json, and finds nothing: every status, body and header an
operation answers is the one it declares, every request the spec allows is accepted (but for the
movements' rules no JSON Schema states: tests/schemathesis_hooks.py), every one it forbids is
refused, undeclared methods are 405 with `Allow`, and no input gives a 5xx.

The app runs on the suite's Postgres and Redis and on a private anvil (a chain id of its own)
with an owner of its own: the fuzzer's wallets, gas grants, top-ups, transfers and withdrawals
are real transactions, signed, broadcast and mined, on a chain nobody else uses (never the
shared anvil). Wallets 1 to 3 exist and hold some ETH first, so that movements between the ids
schemathesis draws first can succeed; the stateful phase follows the links (a wallet to its
top-up, a top-up to a transfer by the funded user, each entry read back).

Once with the service credential (the users service's calls) and once anonymous (every operation
but health and readiness is a 401, declared). Each run takes 9 to 15 s here (2 CPUs), so both
use fuzz.EXAMPLES."""

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator

import jsonschema_rs
import pytest
from litestar.testing import AsyncTestClient

from payment.app import create_app
from payment.settings import Settings
from tests.fuzz import fuzz, serve
from tests.helpers import (
    ROOT,
    SERVICE_TOKEN,
    database_refused,
    funded_owner,
    make_settings,
    private_anvil,
)

SPEC = "/payment/documentation/openapi.json"
CHAIN_ID = 31340  # neither the shared anvil's nor another test's
FUNDED_USERS = (1, 2, 3)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The app's settings on a private anvil with a fresh owner (its own contract)."""
    monkeypatch.chdir(ROOT)  # where tests/schemathesis.toml finds its hook
    with private_anvil(chain_id=CHAIN_ID) as node:
        owner = funded_owner(node)
        yield make_settings(rpc_url=node, owner_private_key=owner.key.hex())


@pytest.fixture
async def funded(settings: Settings) -> AsyncIterator[Settings]:
    """Wallets 1 to 3, each topped up with 1 ETH, before the fuzzer starts."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        client.headers["X-Service-Token"] = SERVICE_TOKEN
        for user_id in FUNDED_USERS:
            created = await client.post("/payment/wallets", json={"user_id": user_id})
            assert created.status_code == 201, created.text
            topped = await client.post(
                "/payment/top-ups",
                json={"user_id": user_id, "amount": "1", "actor_id": 1},
                headers={"Idempotency-Key": f"contract-test-{user_id}"},
            )
            assert topped.status_code == 201, topped.text
    yield settings


async def run_fuzzer(
    settings: Settings, headers: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    with serve(create_app(settings)) as base_url:
        return await asyncio.to_thread(fuzz, base_url, SPEC, headers)


def found_nothing(result: subprocess.CompletedProcess[str]) -> bool:
    print(result.stdout, result.stderr)  # shown by pytest when the test fails
    return result.returncode == 0


async def test_the_contract_holds_for_the_service_caller(funded: Settings) -> None:
    result = await run_fuzzer(funded, {"X-Service-Token": SERVICE_TOKEN})
    assert found_nothing(result), "schemathesis found failures (its report is printed above)"


async def test_the_contract_holds_for_an_anonymous_caller(settings: Settings) -> None:
    result = await run_fuzzer(settings, {})
    assert found_nothing(result), "schemathesis found failures (its report is printed above)"


async def test_answers_during_an_outage_are_the_declared_ones() -> None:
    """What the fuzzer never sees with Postgres up: readiness' 503 carries the readiness body,
    and an operation's 503 the Error body, each as the document declares for that status."""
    async with AsyncTestClient(app=create_app(make_settings())) as client:
        spec = (await client.get(SPEC)).json()
        answers = {
            ("/payment/readiness", "/payment/readiness/"): {},
            ("/payment/wallets/{user_id}", "/payment/wallets/1"): {
                "X-Service-Token": SERVICE_TOKEN
            },
        }
        with database_refused(client):
            for (path, url), headers in answers.items():
                response = await client.get(url, headers=headers)
                assert response.status_code == 503, response.text
                declared = spec["paths"][path]["get"]["responses"]["503"]
                schema = declared["content"]["application/json"]["schema"]
                validator = jsonschema_rs.validator_for(
                    {**schema, "components": spec["components"]}
                )
                assert validator.is_valid(response.json()), (path, response.json(), schema)
