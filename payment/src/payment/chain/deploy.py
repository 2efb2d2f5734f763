"""Start-up: make sure the owner has ETH (eth-tester) and the contract exists (deploy when no
address is configured, once per chain and owner; the address is kept in the database)."""

import logging

import asyncpg
from eth_account.signers.local import LocalAccount

from payment.amounts import to_wei
from payment.chain.client import TESTER_KEY, Chain
from payment.db import DEPLOY_LOCK, advisory_lock
from payment.ledger import repository as ledger
from payment.settings import Settings

log = logging.getLogger(__name__)
TESTER_OWNER_FUNDS = 10_000 * 10**18


def owner_account(settings: Settings, chain: Chain) -> LocalAccount:
    if settings.owner_private_key is not None:
        return chain.account(settings.owner_private_key.get_secret_value())
    if chain.is_tester:
        return chain.account(TESTER_KEY)
    raise ValueError("PAYMENT_OWNER_PRIVATE_KEY must be set when PAYMENT_RPC_URL is set")


async def fund_tester_owner(chain: Chain, owner: LocalAccount) -> None:
    """On eth-tester, a configured owner key starts with nothing: the tester's account pays."""
    funder = chain.account(TESTER_KEY)
    if owner.address != funder.address and await chain.balance(owner.address) == 0:
        await chain.send_and_wait(
            funder, {"to": owner.address, "value": TESTER_OWNER_FUNDS, "gas": 21_000}
        )


async def ensure_contract(
    pool: asyncpg.Pool, chain: Chain, owner: LocalAccount, settings: Settings
) -> str:
    if settings.contract_address:
        chain.use_contract(settings.contract_address)
        return chain.contract_address
    chain_id = await chain.chain_id()
    async with pool.acquire() as conn, advisory_lock(conn, DEPLOY_LOCK, str(chain_id)):
        known = await ledger.deployment(conn, chain_id, owner.address)
        if known and await chain.has_code(known):
            chain.use_contract(known)
            log.info("reusing BasicPayments at %s", known)
            return known
        if known:  # the chain lost our contract: it was reset (a fresh anvil or eth-tester)
            failed = await ledger.forget_chain(conn, chain_id)
            log.warning("chain %s was reset: %d unfinished movements failed", chain_id, failed)
        address = await chain.deploy(owner)
        chain.use_contract(address)
        if settings.initial_pool > 0:
            value = to_wei(settings.initial_pool)
            await chain.send_and_wait(owner, {**chain.deposit_call(), "value": value})
        await ledger.save_deployment(conn, chain_id, owner.address, address)
        log.info("deployed BasicPayments at %s (pool %s ETH)", address, settings.initial_pool)
        return address
