"""A thin async facade over web3: signing, broadcasting, receipts, balances, the contract.

Every node error becomes one of three outcomes: ``ChainUnavailable`` (the node cannot be
reached: a 503 for callers), ``Rejected`` (the node or the contract refuses the transaction:
a failed ledger row with the reason), or a value.
"""

import json
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any, TypeVar

import aiohttp
import rlp
from coincurve import PrivateKey
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    Web3RPCError,
)
from web3.providers.eth_tester import AsyncEthereumTesterProvider
from web3.types import RPCEndpoint, RPCResponse

from payment.chain.errors import ChainUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

ARTIFACT = json.loads(resources.files("payment.chain").joinpath("BasicPayments.json").read_text())
DEPOSIT_GAS = 80_000
# sendPayment to an account without code (our wallets) uses about 40 000.
PAYOUT_GAS = 80_000
# Fees are read from the latest block at most this often (max fee = 2 x base fee + tip).
FEES_MAX_AGE = 1.0
# A node that answered this recently counts as reachable without another call (`reachable`).
ANSWERED_RECENTLY = 1.0
TRANSFER_GAS = 21_000
DEPOSIT_DATA = "0x" + function_signature_to_4byte_selector("deposit()").hex()
SEND_PAYMENT = function_signature_to_4byte_selector("sendPayment(address,uint256)")
# eth-tester's first pre-funded account (private key 1), used as the owner when none is set.
TESTER_KEY = "0x" + "00" * 31 + "01"


class _NodeProvider(AsyncHTTPProvider):
    """web3's HTTP provider over one aiohttp session that keeps its connections to the node
    open. web3's own session manager opens a new TCP connection for every call (force_close)
    and takes a threading lock through a thread pool on every call: together they were the
    largest part of the service's CPU per movement. A node call is never retried here: a
    broadcast that may have been received must not be repeated blindly (the tracker
    re-broadcasts stored bytes)."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(url, exception_retry_configuration=None)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._headers = self.get_request_headers()
        self._session: aiohttp.ClientSession | None = None

    async def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        if self._session is None:  # made in the running loop, on first use
            self._session = aiohttp.ClientSession(raise_for_status=True, timeout=self._timeout)
        async with self._session.post(
            str(self.endpoint_uri), data=request_data, headers=self._headers
        ) as response:
            return await response.read()

    async def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        """One HTTP request for many JSON-RPC calls (a JSON array), answered in their order."""
        raw = await self._make_request(
            RPCEndpoint("batch"), self.encode_batch_rpc_request(batch_requests)
        )
        response = self.decode_rpc_response(raw)
        if not isinstance(response, list):
            return response  # the node refused the batch as a whole
        by_id = {answer.get("id"): answer for answer in response}
        return [by_id.get(n, {}) for n in sorted(by_id)]  # ids are consecutive, in order

    async def disconnect(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class Rejected(Exception):
    """The node refused a transaction, or the contract would revert it."""


@dataclass(frozen=True)
class Receipt:
    succeeded: bool
    block_number: int


@dataclass(frozen=True)
class Fees:
    max_fee: int
    tip: int

    def fields(self) -> dict[str, int]:
        return {"maxFeePerGas": self.max_fee, "maxPriorityFeePerGas": self.tip, "type": 2}


@dataclass(frozen=True)
class SignedTx:
    tx_hash: str
    raw: bytes


DYNAMIC_FEE_FIELDS = {"chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to",
                      "value", "data", "type"}  # fmt: skip


def sign_dynamic_fee(private_key: bytes, tx: dict[str, Any]) -> SignedTx:
    """Signs an EIP-1559 (type 2) transaction without an access list: the same bytes as
    eth_account's `sign_transaction` (the same RLP, keccak and libsecp256k1's deterministic,
    low-s signature; tests/test_units.py holds them equal), at a tenth of its CPU, which
    goes to validating and formatting the fields of every transaction anew."""
    unknown = set(tx) - DYNAMIC_FEE_FIELDS
    if unknown or tx.get("type", 2) != 2:
        raise ValueError(f"not a plain dynamic-fee transaction: {sorted(unknown)}")
    to, data = tx.get("to"), tx.get("data") or b""
    fields = [
        tx["chainId"],
        tx["nonce"],
        tx["maxPriorityFeePerGas"],
        tx["maxFeePerGas"],
        tx["gas"],
        bytes.fromhex(to[2:]) if to else b"",  # none: a contract creation
        tx.get("value", 0),
        bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data),
        [],  # the access list
    ]
    unsigned = b"\x02" + rlp.encode(fields)
    signature = PrivateKey(private_key).sign_recoverable(keccak(unsigned), hasher=None)
    r, s, y_parity = signature[:32], signature[32:64], signature[64]
    raw = b"\x02" + rlp.encode([*fields, y_parity, int.from_bytes(r), int.from_bytes(s)])
    return SignedTx(tx_hash="0x" + keccak(raw).hex(), raw=raw)


def _quantity(value: int | str) -> int:
    """A JSON-RPC number: a hex string from a node, an int from eth-tester."""
    return value if isinstance(value, int) else int(value, 16)


def _checksum(address: str) -> str:
    return str(to_checksum_address(address))


def _revert_reason(error: Exception) -> str:
    return _reason(str(getattr(error, "message", None) or error))


def _reason(message: str) -> str:
    """The node's or the contract's own words in an error message."""
    for prefix in ("execution reverted: ", "execution reverted:"):
        if prefix in message:
            return message.split(prefix, 1)[1].strip(" '\"")
    return message


def _known(reason: str) -> bool:
    """The node already has this very transaction (a re-broadcast, or a lost answer)."""
    return "already known" in reason.lower() or "already imported" in reason.lower()


def _refusal(answer: RPCResponse) -> Rejected | None:
    """One answer of a batch of broadcasts: None when the node has the transaction, or when
    no answer came for it (as for a call left unanswered: its stored bytes go again later)."""
    error = answer.get("error")
    if error is None:
        return None
    reason = _reason(str(error.get("message", error) if isinstance(error, dict) else error))
    return None if _known(reason) else Rejected(reason)


def _is_tester_failure(error: Exception) -> bool:
    # eth-tester raises its own TransactionFailed, which is not a Web3Exception.
    return type(error).__name__ in {"TransactionFailed", "ValidationError"}


class Chain:
    def __init__(self, w3: AsyncWeb3[Any], priority_fee_gwei: Decimal) -> None:
        self.w3 = w3
        self._tip = int(priority_fee_gwei * 10**9)
        self._chain_id: int | None = None
        self._fees: Fees | None = None
        self._fees_at = 0.0
        self._answered_at = -ANSWERED_RECENTLY
        self.contract: AsyncContract = w3.eth.contract(abi=ARTIFACT["abi"])  # type: ignore[assignment]

    @classmethod
    def connect(cls, rpc_url: str | None, timeout: float, priority_fee_gwei: Decimal) -> "Chain":
        if rpc_url is None:
            return cls(AsyncWeb3(AsyncEthereumTesterProvider()), priority_fee_gwei)
        w3 = AsyncWeb3(_NodeProvider(rpc_url, timeout))
        # Every call here is signed locally and uses checksum addresses: the middleware that
        # resolves ENS names, fills gas for eth_sendTransaction or re-checks the chain id on
        # each call only adds round trips, and answers are read as plain dicts (no attrdict).
        for name in (
            "ens_name_to_address",
            "gas_price_strategy",
            "gas_estimate",
            "validation",
            "attrdict",
        ):
            w3.middleware_onion.remove(name)
        return cls(w3, priority_fee_gwei)

    @property
    def is_tester(self) -> bool:
        return isinstance(self.w3.provider, AsyncEthereumTesterProvider)

    async def close(self) -> None:
        if isinstance(self.w3.provider, AsyncHTTPProvider):
            await self.w3.provider.disconnect()

    async def _node(self, call: Awaitable[T]) -> T:
        try:
            value = await call
        except (aiohttp.ClientError, OSError, TimeoutError, ProviderConnectionError) as error:
            raise ChainUnavailable() from error
        except Exception:
            self._answered_at = time.monotonic()  # a refusal or "not found" is an answer too
            raise
        self._answered_at = time.monotonic()
        return value

    async def _request(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call's result, through web3's request manager (its middleware and the
        provider's, so both providers answer alike: numbers as ints or hex strings), without
        the formatters of web3's `eth` methods: those cost more CPU than the call itself."""
        return await self._node(self.w3.manager.coro_request(RPCEndpoint(method), list(params)))

    async def reachable(self) -> None:
        """Raises ChainUnavailable unless the node answers: at once when it answered a call
        within the last ANSWERED_RECENTLY seconds, else after a cheap call."""
        if time.monotonic() - self._answered_at > ANSWERED_RECENTLY:
            await self.block_number()

    def use_contract(self, address: str) -> None:
        self.contract = self.w3.eth.contract(
            address=self.w3.to_checksum_address(address), abi=ARTIFACT["abi"]
        )

    @property
    def contract_address(self) -> str:
        return str(self.contract.address)

    async def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = _quantity(await self._request("eth_chainId"))
        return self._chain_id

    async def block_number(self) -> int:
        return _quantity(await self._request("eth_blockNumber"))

    async def balance(self, address: str) -> int:
        return _quantity(await self._request("eth_getBalance", _checksum(address), "latest"))

    async def has_code(self, address: str) -> bool:
        code = await self._node(self.w3.eth.get_code(self.w3.to_checksum_address(address)))
        return len(code) > 0

    async def pending_nonce(self, address: str) -> int:
        count = await self._request("eth_getTransactionCount", _checksum(address), "pending")
        return _quantity(count)

    async def mined_nonce(self, address: str) -> int:
        """How many of the account's transactions are mined (its next nonce at ``latest``)."""
        count = await self._request("eth_getTransactionCount", _checksum(address), "latest")
        return _quantity(count)

    async def fees(self) -> Fees:
        """EIP-1559 fees from the latest base fee (a fixed tip: no feedback from others' tips)."""
        now = time.monotonic()
        if self._fees is None or now - self._fees_at > FEES_MAX_AGE:
            block = await self._request("eth_getBlockByNumber", "latest", False)
            base = _quantity(block.get("baseFeePerGas", 0))
            self._fees, self._fees_at = Fees(max_fee=2 * base + self._tip, tip=self._tip), now
        return self._fees

    async def estimate_gas(self, tx: dict[str, Any]) -> int:
        try:
            return int(await self._node(self.w3.eth.estimate_gas(tx)))  # type: ignore[arg-type]
        except (ContractLogicError, Web3RPCError) as error:
            raise Rejected(_revert_reason(error)) from error
        except Exception as error:
            if _is_tester_failure(error):
                raise Rejected(_revert_reason(error)) from error
            raise

    def deposit_call(self) -> dict[str, Any]:
        """To and data of ``deposit()`` (the value is the amount)."""
        return {"to": self.contract.address, "data": DEPOSIT_DATA, "gas": DEPOSIT_GAS}

    @staticmethod
    def send_payment_data(receiver: str, amount: int) -> str:
        """The call data of ``sendPayment(receiver, amount)`` (eth_abi directly: the
        contract object's encoder resolves the ABI anew on every call)."""
        return "0x" + (SEND_PAYMENT + abi_encode(["address", "uint256"], [receiver, amount])).hex()

    async def sign(self, key: LocalAccount, tx: dict[str, Any]) -> SignedTx:
        return sign_dynamic_fee(bytes(key.key), {**tx, "chainId": await self.chain_id()})

    async def broadcast(self, raw: bytes) -> None:
        """Send signed bytes; a transaction the node already knows counts as sent."""
        try:
            await self._request("eth_sendRawTransaction", "0x" + raw.hex())
        except Web3RPCError as error:
            reason = _revert_reason(error)
            if _known(reason):
                return
            raise Rejected(reason) from error
        except Exception as error:
            if _is_tester_failure(error) or isinstance(error, ValueError):
                raise Rejected(_revert_reason(error)) from error
            raise

    async def broadcast_all(self, raws: list[bytes]) -> list[Rejected | None]:
        """Sends signed transactions in this order, all in one JSON-RPC batch (one round trip);
        for each, None once the node has it, or the node's refusal. The node judges each on
        its own, so a refused one does not stop the ones after it. ChainUnavailable when the
        node could not be reached: any of them may have arrived. A node that refuses batches
        (or eth-tester) gets them one by one; after an unreachable one, the rest count as
        sent (their stored bytes are broadcast again later, as for an unanswered call)."""
        provider = self.w3.provider
        if len(raws) > 1 and isinstance(provider, _NodeProvider):
            calls = [(RPCEndpoint("eth_sendRawTransaction"), ["0x" + raw.hex()]) for raw in raws]
            answers = await self._node(provider.make_batch_request(calls))
            if isinstance(answers, list) and len(answers) == len(raws):
                return [_refusal(answer) for answer in answers]
            log.warning("the node refused a batch of %d transactions: one by one", len(raws))
        results: list[Rejected | None] = []
        for n, raw in enumerate(raws):
            try:
                await self.broadcast(raw)
            except Rejected as error:
                results.append(error)
                continue
            except ChainUnavailable:
                if n == 0:
                    raise
                return results + [None] * (len(raws) - n)
            results.append(None)
        return results

    async def receipt(self, tx_hash: str, confirmations: int) -> Receipt | None:
        """The receipt once the transaction has ``confirmations`` blocks, else None."""
        found = await self._request("eth_getTransactionReceipt", tx_hash)
        if found is None or found.get("blockNumber") is None:
            return None
        block = _quantity(found["blockNumber"])
        if confirmations > 1 and await self.block_number() < block + confirmations - 1:
            return None
        return Receipt(succeeded=_quantity(found["status"]) == 1, block_number=block)

    async def send_and_wait(self, signer: LocalAccount, tx: dict[str, Any]) -> dict[str, Any]:
        """Sign, send and wait for a transaction (start-up chores only: deploy, fund the pool)."""
        if "gas" not in tx:
            tx["gas"] = await self.estimate_gas({**tx, "from": signer.address}) * 3 // 2
        nonce = await self.pending_nonce(signer.address)
        fees = (await self.fees()).fields()
        signed = await self.sign(signer, {**tx, "nonce": nonce, **fees})
        await self.broadcast(signed.raw)
        receipt = await self._node(
            self.w3.eth.wait_for_transaction_receipt(signed.tx_hash, 60, 0.05)  # type: ignore[arg-type]
        )
        if receipt["status"] != 1:
            raise Rejected(f"transaction {signed.tx_hash} reverted")
        return dict(receipt)

    async def deploy(self, owner: LocalAccount) -> str:
        factory = self.w3.eth.contract(abi=ARTIFACT["abi"], bytecode=ARTIFACT["bytecode"])
        data = factory.constructor().data_in_transaction
        receipt = await self.send_and_wait(owner, {"data": data, "value": 0})
        return str(receipt["contractAddress"])

    async def pool_balance(self) -> int:
        return await self.balance(self.contract_address)

    @staticmethod
    def account(private_key: str | bytes) -> LocalAccount:
        account: LocalAccount = Account.from_key(private_key)
        return account

    @staticmethod
    def new_account() -> LocalAccount:
        account: LocalAccount = Account.create()
        return account
