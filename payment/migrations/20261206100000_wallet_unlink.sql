-- migrate:up
-- A deleted user's wallet is unlinked, not deleted (DELETE /payment/wallets/{user_id}): its
-- row keeps the address and the sealed key (the platform can still sweep what is left in it:
-- dust and the gas grant's float), but no user id any more, and `unlinked_at` says since when.
-- So `user_id` becomes nullable: the primary key moves to the address (unique already) and the user id keeps a unique constraint, which the insert's
-- `ON CONFLICT (user_id)` of the previous release uses too (NULLs are distinct: any number of
-- unlinked wallets). A linked wallet has no `unlinked_at`, an unlinked one has one.
-- The ledger needs no change of its own: its rows have always been updated in place (steps and
-- statuses), no trigger refuses an UPDATE, and the unlink only nulls their user ids.
ALTER TABLE wallets DROP CONSTRAINT wallets_pkey;
ALTER TABLE wallets ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE wallets ADD CONSTRAINT wallets_user_id_key UNIQUE (user_id);
ALTER TABLE wallets DROP CONSTRAINT wallets_address_key, ADD PRIMARY KEY (address);
ALTER TABLE wallets ADD COLUMN unlinked_at timestamptz;
ALTER TABLE wallets ADD CONSTRAINT wallets_linked_or_unlinked
    CHECK ((user_id IS NULL) = (unlinked_at IS NOT NULL));

-- migrate:down
-- The previous release has nowhere to keep an unlinked wallet, whose sealed key may still
-- guard ether: the rollback stops rather than drop one.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM wallets WHERE user_id IS NULL) THEN
        RAISE EXCEPTION 'wallets of deleted users exist: sweep them and archive their keys first';
    END IF;
END
$$;
ALTER TABLE wallets DROP CONSTRAINT wallets_linked_or_unlinked;
ALTER TABLE wallets DROP COLUMN unlinked_at;
ALTER TABLE wallets DROP CONSTRAINT wallets_pkey;
ALTER TABLE wallets ADD CONSTRAINT wallets_address_key UNIQUE (address);
ALTER TABLE wallets DROP CONSTRAINT wallets_user_id_key;
ALTER TABLE wallets ADD CONSTRAINT wallets_pkey PRIMARY KEY (user_id);
