-- migrate:up
-- A transfer or withdrawal whose payout fails after its deposit was mined leaves the money in
-- the contract's pool: a `refund` row (linked to the failed one, at most one per row) pays it
-- back to the sender's wallet.
ALTER TABLE ledger DROP CONSTRAINT ledger_kind_check;
ALTER TABLE ledger ADD CONSTRAINT ledger_kind_check
    CHECK (kind IN ('transfer', 'withdrawal', 'top_up', 'gas_grant', 'refund'));
ALTER TABLE ledger ADD COLUMN refund_of bigint UNIQUE REFERENCES ledger (id);

-- migrate:down
ALTER TABLE ledger DROP COLUMN refund_of;
DELETE FROM ledger WHERE kind = 'refund';
ALTER TABLE ledger DROP CONSTRAINT ledger_kind_check;
ALTER TABLE ledger ADD CONSTRAINT ledger_kind_check
    CHECK (kind IN ('transfer', 'withdrawal', 'top_up', 'gas_grant'));
