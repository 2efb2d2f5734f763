"""BasicPayments: the committed artifact matches the source, and the contract behaves."""

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract

from payment.chain.client import ARTIFACT
from tests.helpers import ROOT

CONTRACTS = ROOT / "contracts"


def test_committed_artifact_matches_the_source() -> None:
    assert shutil.which("node"), "node is needed to compile the contract"
    if not (CONTRACTS / "node_modules" / "solc").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CONTRACTS,
            check=True,
            capture_output=True,
        )
    compiled = subprocess.run(
        ["node", "compile.js"], cwd=CONTRACTS, check=True, capture_output=True, text=True
    )
    fresh = json.loads(compiled.stdout)
    assert fresh["abi"] == ARTIFACT["abi"]
    assert fresh["bytecode"] == ARTIFACT["bytecode"]
    assert fresh["evmVersion"] == ARTIFACT["evmVersion"] == "cancun"
    assert fresh["compiler"].startswith("solc 0.8.37")
    lock = json.loads((CONTRACTS / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/solc"]["version"] == "0.8.37"


@pytest.fixture(scope="module")
def w3() -> Iterator[Web3]:
    yield Web3(EthereumTesterProvider())


@pytest.fixture
def contract(w3: Web3) -> Contract:
    owner = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=ARTIFACT["abi"], bytecode=ARTIFACT["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": owner}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=ARTIFACT["abi"])


def events(contract: Contract, name: str, receipt: Any) -> list[Any]:
    return list(getattr(contract.events, name)().process_receipt(receipt))


def test_deposits_are_totalled_per_sender_and_logged(w3: Web3, contract: Contract) -> None:
    sender = w3.eth.accounts[1]
    tx = contract.functions.deposit().transact({"from": sender, "value": 3 * 10**18})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    [event] = events(contract, "DepositMade", receipt)
    assert event["args"] == {"sender": sender, "amount": 3 * 10**18}
    plain = w3.eth.send_transaction({"from": sender, "to": contract.address, "value": 10**14})
    w3.eth.wait_for_transaction_receipt(plain)  # receive() deposits too
    assert contract.functions.sentPayments(sender).call() == 3 * 10**18 + 10**14
    assert w3.eth.get_balance(contract.address) == 3 * 10**18 + 10**14


def test_owner_pays_out_and_only_the_owner(w3: Web3, contract: Contract) -> None:
    owner, payer, receiver = w3.eth.accounts[0], w3.eth.accounts[1], w3.eth.accounts[2]
    contract.functions.deposit().transact({"from": payer, "value": 10**18})
    before = w3.eth.get_balance(receiver)
    tx = contract.functions.sendPayment(receiver, 4 * 10**17).transact({"from": owner})
    [event] = events(contract, "PaymentMade", w3.eth.wait_for_transaction_receipt(tx))
    assert event["args"] == {"receiver": receiver, "amount": 4 * 10**17}
    assert w3.eth.get_balance(receiver) == before + 4 * 10**17
    assert contract.functions.owner().call() == owner
    for sender, amount, reason in (
        (payer, 1, "caller is not the owner"),
        (owner, 0, "cannot send 0 weis"),
        (owner, 6 * 10**17 + 1, "not enough balance"),
    ):
        with pytest.raises(TransactionFailed, match=reason):
            contract.functions.sendPayment(receiver, amount).transact({"from": sender})


def test_empty_deposit_reverts(w3: Web3, contract: Contract) -> None:
    with pytest.raises(TransactionFailed, match="did not send any value"):
        contract.functions.deposit().transact({"from": w3.eth.accounts[1], "value": 0})
