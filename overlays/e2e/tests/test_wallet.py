"""F7: wallet, admin top-up, athlete-to-trainer payment and withdrawal, balances polled until
they change (the mobile app polls once a second); the back office's transactions table."""

from __future__ import annotations

from decimal import Decimal

from fiufit_e2e.api import Account, Gateway, poll


def changed_balance(gw: Gateway, account: Account, before: Decimal, what: str) -> Decimal:
    """The account's balance once it differs from `before` (the app polls it the same way)."""
    return Decimal(
        poll(
            lambda: gw.balance(account.id, account.token),
            lambda value: Decimal(value) != before,
            timeout=60,
            what=what,
        )
    )


def test_f7_top_up_pay_a_trainer_and_withdraw(
    gw: Gateway, admin_auth: dict[str, str], admin_token: str, trainer: Account
) -> None:
    athlete = gw.new_account(is_athlete=True, prefix="pay_")
    # 1. The wallet card.
    wallet = gw.get(f"/users/{athlete.id}/wallet", headers=athlete.auth)
    assert wallet.status_code == 200, wallet.text
    address = wallet.json()["address"]
    assert address.startswith("0x")
    assert len(address) == 42
    assert "private_key" not in wallet.json()
    start = Decimal(gw.balance(athlete.id, athlete.token))
    # 2. The back office adds funds (and reads the balance as admin first).
    assert Decimal(gw.balance(athlete.id, admin_token)) == start
    top_up = gw.patch(
        f"/users/{athlete.id}/wallet/balance", headers=admin_auth, json={"amount": 0.01}
    )
    assert 200 <= top_up.status_code < 300, top_up.text
    top_up.json()
    funded = changed_balance(gw, athlete, start, "the top-up to show in the balance")
    assert funded == start + Decimal("0.01")
    # 3. Pay the trainer, found by username, while polling both balances.
    receiver = gw.get("/users", params={"username": trainer.username}, headers=athlete.auth)
    receiver_id = receiver.json()["id"]
    trainer_before = Decimal(gw.balance(trainer.id, trainer.token))
    paid = gw.post(
        "/users/deposit",
        headers=athlete.auth,
        json={"receiver_id": receiver_id, "sender_id": athlete.id, "amount": 0.001},
    )
    assert 200 <= paid.status_code < 300, paid.text
    after_payment = changed_balance(gw, athlete, funded, "the payment to leave the balance")
    assert after_payment <= funded - Decimal("0.001")  # the amount plus the deposit's gas
    trainer_after = changed_balance(gw, trainer, trainer_before, "the payment to reach the trainer")
    assert trainer_after == trainer_before + Decimal("0.001")
    # 5. Withdraw to an external address.
    external = "0x" + "5a" * 20
    withdrawn = gw.post(
        "/users/extraction",
        headers=athlete.auth,
        json={"receiver_address": external, "sender_id": athlete.id, "amount": "0.002"},
    )
    assert 200 <= withdrawn.status_code < 300, withdrawn.text
    after_withdrawal = changed_balance(gw, athlete, after_payment, "the withdrawal")
    assert after_withdrawal <= after_payment - Decimal("0.002")
    # F9.10: the back office's transactions table lists the payment by wallet addresses.
    trainer_address = gw.get(f"/users/{trainer.id}/wallet", headers=trainer.auth).json()["address"]

    def listed() -> list[dict[str, object]]:
        response = gw.get(
            "/users/transactions",
            params={"offset": 0, "limit": 10, "wallet_address": address},
            headers=admin_auth,
        )
        assert response.status_code == 200, response.text
        assert set(response.json()) >= {"items", "total"}
        items: list[dict[str, object]] = response.json()["items"]
        return items

    items = poll(listed, lambda rows: len(rows) >= 2, timeout=30, what="the transactions")
    assert all(set(row) >= {"sender", "receiver", "date", "amount"} for row in items)
    payments = [
        row
        for row in items
        if str(row["sender"]).lower() == address.lower()
        and str(row["receiver"]).lower() == trainer_address.lower()
    ]
    assert payments, items
    assert Decimal(str(payments[0]["amount"])) == Decimal("0.001")
    page = gw.get("/users/transactions", params={"offset": 0, "limit": 10}, headers=admin_auth)
    assert page.status_code == 200
    assert page.json()["total"] >= 2


def test_f7_transfers_only_go_from_athlete_to_trainer(
    gw: Gateway,
    trainer: Account,
    other_trainer: Account,
    athlete: Account,
    other_athlete: Account,
) -> None:
    athlete_to_athlete = gw.post(
        "/users/deposit",
        headers=athlete.auth,
        json={"receiver_id": other_athlete.id, "sender_id": athlete.id, "amount": 0.001},
    )
    assert athlete_to_athlete.status_code == 403, athlete_to_athlete.text
    trainer_to_trainer = gw.post(
        "/users/deposit",
        headers=trainer.auth,
        json={"receiver_id": other_trainer.id, "sender_id": trainer.id, "amount": 0.001},
    )
    assert trainer_to_trainer.status_code == 403, trainer_to_trainer.text
    trainer_to_athlete = gw.post(
        "/users/deposit",
        headers=trainer.auth,
        json={"receiver_id": athlete.id, "sender_id": trainer.id, "amount": 0.001},
    )
    assert trainer_to_athlete.status_code == 403, trainer_to_athlete.text


def test_bad_amounts_are_400(gw: Gateway, trainer: Account, athlete: Account) -> None:
    for amount in (0, -1, "abc", 1001):
        response = gw.post(
            "/users/deposit",
            headers=athlete.auth,
            json={"receiver_id": trainer.id, "sender_id": athlete.id, "amount": amount},
        )
        assert response.status_code == 400, (amount, response.status_code, response.text)
