-- migrate:up
-- The chain a row's transactions live on: the tracker only follows rows of the chain it is
-- connected to, and a chain that was reset (a fresh anvil) fails its unfinished rows.
ALTER TABLE ledger ADD COLUMN chain_id numeric(78, 0);
DROP INDEX ledger_open;
CREATE INDEX ledger_open ON ledger (chain_id, updated_at) WHERE status IN ('pending', 'submitted');

-- migrate:down
DROP INDEX ledger_open;
CREATE INDEX ledger_open ON ledger (updated_at) WHERE status IN ('pending', 'submitted');
ALTER TABLE ledger DROP COLUMN chain_id;
