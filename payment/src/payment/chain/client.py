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
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.providers.eth_tester import AsyncEthereumTesterProvider

from payment.chain.errors import ChainUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

ARTIFACT = json.loads(resources.files("payment.chain").joinpath("BasicPayments.json").read_text())
DEPOSIT_GAS = 80_000
# sendPayment to an account without code (our wallets) uses about 40 000.
PAYOUT_GAS = 80_000
# Fees are read from the latest block at most this often (max fee = 2 x base fee + tip).
FEES_MAX_AGE = 1.0
TRANSFER_GAS = 21_000
# eth-tester's first pre-funded account (private key 1), used as the owner when none is set.
TESTER_KEY = "0x" + "00" * 31 + "01"


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


def _revert_reason(error: Exception) -> str:
    message = str(getattr(error, "message", None) or error)
    for prefix in ("execution reverted: ", "execution reverted:"):
        if prefix in message:
            return message.split(prefix, 1)[1].strip(" '\"")
    return message


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
        self.contract: AsyncContract = w3.eth.contract(abi=ARTIFACT["abi"])  # type: ignore[assignment]

    @classmethod
    def connect(cls, rpc_url: str | None, timeout: float, priority_fee_gwei: Decimal) -> "Chain":
        if rpc_url is None:
            return cls(AsyncWeb3(AsyncEthereumTesterProvider()), priority_fee_gwei)
        provider = AsyncHTTPProvider(
            rpc_url,
            request_kwargs={"timeout": aiohttp.ClientTimeout(total=timeout)},
            exception_retry_configuration=None,
        )
        w3 = AsyncWeb3(provider)
        # Every call here is signed locally and uses checksum addresses: the middleware that
        # resolves ENS names, fills gas for eth_sendTransaction or re-checks the chain id on
        # each call only adds round trips.
        for name in ("ens_name_to_address", "gas_price_strategy", "gas_estimate", "validation"):
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
            return await call
        except (aiohttp.ClientError, OSError, TimeoutError, ProviderConnectionError) as error:
            raise ChainUnavailable() from error

    def use_contract(self, address: str) -> None:
        self.contract = self.w3.eth.contract(
            address=self.w3.to_checksum_address(address), abi=ARTIFACT["abi"]
        )

    @property
    def contract_address(self) -> str:
        return str(self.contract.address)

    async def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = await self._node(self.w3.eth.chain_id)
        return self._chain_id

    async def block_number(self) -> int:
        return int(await self._node(self.w3.eth.block_number))

    async def balance(self, address: str) -> int:
        return int(await self._node(self.w3.eth.get_balance(self.w3.to_checksum_address(address))))

    async def has_code(self, address: str) -> bool:
        code = await self._node(self.w3.eth.get_code(self.w3.to_checksum_address(address)))
        return len(code) > 0

    async def pending_nonce(self, address: str) -> int:
        checksum = self.w3.to_checksum_address(address)
        return int(await self._node(self.w3.eth.get_transaction_count(checksum, "pending")))

    async def mined_nonce(self, address: str) -> int:
        """How many of the account's transactions are mined (its next nonce at ``latest``)."""
        checksum = self.w3.to_checksum_address(address)
        return int(await self._node(self.w3.eth.get_transaction_count(checksum, "latest")))

    async def fees(self) -> Fees:
        """EIP-1559 fees from the latest base fee (a fixed tip: no feedback from others' tips)."""
        now = time.monotonic()
        if self._fees is None or now - self._fees_at > FEES_MAX_AGE:
            block = await self._node(self.w3.eth.get_block("latest"))
            base = int(block.get("baseFeePerGas", 0))
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
        data = self.contract.encode_abi("deposit", args=[])
        return {"to": self.contract.address, "data": data, "gas": DEPOSIT_GAS}

    def send_payment_data(self, receiver: str, amount: int) -> str:
        checksum = self.w3.to_checksum_address(receiver)
        return str(self.contract.encode_abi("sendPayment", args=[checksum, amount]))

    async def sign(self, key: LocalAccount, tx: dict[str, Any]) -> SignedTx:
        signed = key.sign_transaction({**tx, "chainId": await self.chain_id()})
        return SignedTx(
            tx_hash="0x" + signed.hash.hex().removeprefix("0x"), raw=signed.raw_transaction
        )

    async def broadcast(self, raw: bytes) -> None:
        """Send signed bytes; a transaction the node already knows counts as sent."""
        try:
            await self._node(self.w3.eth.send_raw_transaction(raw))
        except Web3RPCError as error:
            reason = _revert_reason(error)
            if "already known" in reason.lower() or "already imported" in reason.lower():
                return
            raise Rejected(reason) from error
        except Exception as error:
            if _is_tester_failure(error) or isinstance(error, ValueError):
                raise Rejected(_revert_reason(error)) from error
            raise

    async def receipt(self, tx_hash: str, confirmations: int) -> Receipt | None:
        """The receipt once the transaction has ``confirmations`` blocks, else None."""
        try:
            found = await self._node(self.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        except (TransactionNotFound, TimeExhausted):
            return None
        block = int(found["blockNumber"])
        if confirmations > 1 and await self.block_number() < block + confirmations - 1:
            return None
        return Receipt(succeeded=found["status"] == 1, block_number=block)

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
