-- migrate:up
-- Idempotency keys belong to the user whose money moves (the sender, or the receiver of a
-- top-up or gas grant): another user who learns a key can no longer claim it first and make
-- the owner's request fail with 409.
ALTER TABLE ledger
    ADD COLUMN key_owner bigint GENERATED ALWAYS AS (coalesce(sender_id, receiver_id, 0)) STORED;
ALTER TABLE ledger DROP CONSTRAINT ledger_kind_idempotency_key_key;
CREATE UNIQUE INDEX ledger_idempotency ON ledger (kind, key_owner, idempotency_key);

-- migrate:down
DROP INDEX ledger_idempotency;
ALTER TABLE ledger ADD CONSTRAINT ledger_kind_idempotency_key_key UNIQUE (kind, idempotency_key);
ALTER TABLE ledger DROP COLUMN key_owner;
