"""What payment's OpenAPI document says beyond what Litestar derives from the routes and what the
declared glue (openapi.py) adds to every service: applied once, in the app factory, after
`openapi.document`.

- Request bodies are described by pydantic's own JSON Schema of their models (inputs.py pairs
  each tolerant type with its schema; Litestar's rendering drops every `WithJsonSchema`), with
  the amounts' bounds of this configuration (PAYMENT_MAX_AMOUNT, PAYMENT_MIN_WITHDRAWAL).
- `Idempotency-Key` is required, 1 to 200 characters (the route reads it as optional to answer
  its absence with its own 400).
- A movement's 400 is an error, or "Insufficient funds" with the failed `entry`.
- Links: a wallet's answer leads to the wallet, its balance, its ledger, a top-up or a
  withdrawal of its user; a top-up's to the entry and to a transfer or withdrawal by the user
  it funded; a transfer's or withdrawal's to the entry. With the `Location` header of each 201,
  schemathesis' stateful runs follow them (create, read, move, read).
"""

from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    Link,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

from payment.ledger.models import TopUpIn, TransferIn, WithdrawalIn
from payment.settings import Settings
from payment.wallets.models import WalletIn

BODIES = (WalletIn, TransferIn, WithdrawalIn, TopUpIn)
TRANSFERS = "/payment/transfers"
WITHDRAWALS = "/payment/withdrawals"
TOP_UPS = "/payment/top-ups"
MOVEMENTS = (TRANSFERS, WITHDRAWALS, TOP_UPS)
LEDGER = "/payment/transactions"
WALLETS = "/payment/wallets"
WALLET = "/payment/wallets/{user_id}"
BALANCE = "/payment/wallets/{user_id}/balance"
ENTRY = "/payment/transactions/{entry_id}"

INSUFFICIENT_FUNDS = Schema(
    type=OpenAPIType.OBJECT,
    required=["detail", "entry"],
    properties={
        "detail": Schema(type=OpenAPIType.STRING, description='"Insufficient funds…"'),
        "entry": Reference("#/components/schemas/Entry"),
    },
    description="The movement was recorded and failed for lack of funds: the failed entry",
)
IDEMPOTENCY_KEY = Schema(type=OpenAPIType.STRING, min_length=1, max_length=200)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _body(model: type[Any], settings: Settings) -> dict[str, Any]:
    schema: dict[str, Any] = model.model_json_schema(
        mode="validation", ref_template="#/components/schemas/{model}"
    )
    amount = schema["properties"].get("amount")
    if amount is not None:
        number = amount["oneOf"][1]
        number["maximum"] = _number(settings.max_amount)
        bounds = f"at most {settings.max_amount} ETH (PAYMENT_MAX_AMOUNT)"
        if model is WithdrawalIn:
            number["minimum"] = _number(settings.min_withdrawal)
            bounds += f", at least {settings.min_withdrawal} ETH (PAYMENT_MIN_WITHDRAWAL)"
        amount["description"] = f"{amount['description']}; {bounds}"
    return schema


def _operation(paths: dict[str, Any], path: str, method: str) -> Operation:
    operation = getattr(paths[path], method)
    assert isinstance(operation, Operation)
    return operation


def _response(operation: Operation, status: int) -> OpenAPIResponse:
    response = (operation.responses or {})[str(status)]
    assert isinstance(response, OpenAPIResponse)
    return response


def complete(app: Litestar, settings: Settings) -> None:
    """Applies the above to `app`'s OpenAPI document (after openapi.document)."""
    doc = app.openapi_schema
    components = doc.components if isinstance(doc.components, Components) else Components()
    schemas: dict[str, Any] = dict(components.schemas or {})
    for model in BODIES:
        schemas[model.__name__] = _body(model, settings)
    schemas["InsufficientFunds"] = INSUFFICIENT_FUNDS
    components.schemas = schemas
    doc.components = components
    paths: dict[str, Any] = dict(doc.paths or {})

    def read(path: str, **parameters: str) -> Link:
        target = _operation(paths, path, "get")
        return Link(operation_id=target.operation_id, parameters=dict(parameters))

    def move(path: str, **body: str) -> Link:
        target = _operation(paths, path, "post")
        return Link(operation_id=target.operation_id, request_body=dict(body))

    user = "$response.body#/user_id"
    funded = "$response.body#/receiver_id"
    entry = read(ENTRY, entry_id="$response.body#/id")
    links = {
        WALLETS: {
            "wallet": read(WALLET, user_id=user),
            "balance": read(BALANCE, user_id=user),
            "ledger": read(LEDGER, user_id=user),
            "top_up": move(TOP_UPS, user_id=user),
            "withdrawal": move(WITHDRAWALS, user_id=user),
        },
        TOP_UPS: {
            "entry": entry,
            "transfer": move(TRANSFERS, sender_id=funded),
            "withdrawal": move(WITHDRAWALS, user_id=funded),
        },
        TRANSFERS: {"entry": entry},
        WITHDRAWALS: {"entry": entry},
    }
    for path, answers in links.items():
        for status in (200, 201):
            _response(_operation(paths, path, "post"), status).links = dict(answers)
        _response(_operation(paths, path, "post"), 201).headers = {
            "Location": OpenAPIHeader(
                schema=Schema(type=OpenAPIType.STRING),
                required=True,
                description="The entry's path" if path in MOVEMENTS else "The wallet's path",
            )
        }

    for path in MOVEMENTS:
        movement = _operation(paths, path, "post")
        for parameter in movement.parameters or []:
            if isinstance(parameter, Parameter) and parameter.name == "Idempotency-Key":
                parameter.required = True
                parameter.schema = IDEMPOTENCY_KEY
        assert movement.responses is not None
        _response(movement, 404).description = "No wallet for a user the body names"
        movement.responses["400"] = OpenAPIResponse(
            description="Bad request: the input failed validation or a rule (the sender is the "
            "receiver, the amount is above the maximum…), or Insufficient funds, with the "
            "failed entry",
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        any_of=[
                            Reference("#/components/schemas/Error"),
                            Reference("#/components/schemas/InsufficientFunds"),
                        ]
                    )
                )
            },
        )
