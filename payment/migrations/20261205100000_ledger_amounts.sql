-- migrate:up
-- The movements list's count under a minimum amount, kept instead of counted: how many ledger
-- rows there are of each amount and kind (neither ever changes). Counting the rows at or above
-- an amount then sums one row per distinct amount above it, which grows with the prices and
-- top-ups people choose, not with the movements. Statement triggers keep it exact as rows
-- commit, as ledger_counts' do: inserts add (ON CONFLICT DO NOTHING's skipped rows never reach an
-- AFTER trigger), deletes (a migration's down, an operator's clean-up) subtract, and TRUNCATE
-- empties it. The ledger is locked against writes while the counts are taken, so none is missed.
LOCK TABLE ledger IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE ledger_amounts (
    amount_wei numeric(78, 0) NOT NULL,
    kind text NOT NULL,
    movements bigint NOT NULL CHECK (movements >= 0),
    PRIMARY KEY (amount_wei, kind)
);
INSERT INTO ledger_amounts (amount_wei, kind, movements)
SELECT amount_wei, kind, count(*) FROM ledger GROUP BY amount_wei, kind;

CREATE FUNCTION ledger_amounts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- In key order: two statements adding the same amounts lock their rows in the same order.
    INSERT INTO ledger_amounts (amount_wei, kind, movements)
    SELECT amount_wei, kind, count(*) FROM inserted GROUP BY amount_wei, kind
    ORDER BY amount_wei, kind
    ON CONFLICT (amount_wei, kind)
        DO UPDATE SET movements = ledger_amounts.movements + EXCLUDED.movements;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_amounts_add AFTER INSERT ON ledger
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_amounts_add();

-- An amount whose movements all went is deleted, so a sum never walks amounts no row has.
CREATE FUNCTION ledger_amounts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_amounts SET movements = ledger_amounts.movements - removed.movements
    FROM (SELECT amount_wei, kind, count(*) AS movements FROM deleted GROUP BY amount_wei, kind)
        AS removed
    WHERE ledger_amounts.amount_wei = removed.amount_wei AND ledger_amounts.kind = removed.kind;
    DELETE FROM ledger_amounts USING (SELECT DISTINCT amount_wei, kind FROM deleted) AS removed
    WHERE ledger_amounts.amount_wei = removed.amount_wei AND ledger_amounts.kind = removed.kind
      AND ledger_amounts.movements = 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_amounts_remove AFTER DELETE ON ledger
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION ledger_amounts_remove();

CREATE FUNCTION ledger_amounts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ledger_amounts;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_amounts_clear AFTER TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_amounts_clear();

-- migrate:down
DROP TRIGGER ledger_amounts_clear ON ledger;
DROP TRIGGER ledger_amounts_remove ON ledger;
DROP TRIGGER ledger_amounts_add ON ledger;
DROP FUNCTION ledger_amounts_clear();
DROP FUNCTION ledger_amounts_remove();
DROP FUNCTION ledger_amounts_add();
DROP TABLE ledger_amounts;
