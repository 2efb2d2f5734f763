-- migrate:up
-- The movements list's count, kept instead of counted: how many ledger rows there are of each
-- kind (a kind never changes). Statement triggers keep it exact as rows commit: inserts add
-- (ON CONFLICT DO NOTHING's skipped rows never reach an AFTER trigger), deletes (only a
-- migration's down deletes) subtract, and TRUNCATE empties it. The ledger is locked against
-- writes while the counts are taken, so none is missed; pods of 1.2 keep writing afterwards,
-- and the triggers count their rows too.
LOCK TABLE ledger IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE ledger_counts (
    kind text PRIMARY KEY,
    movements bigint NOT NULL CHECK (movements >= 0)
);
INSERT INTO ledger_counts (kind, movements) SELECT kind, count(*) FROM ledger GROUP BY kind;

CREATE FUNCTION ledger_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_counts (kind, movements)
    SELECT kind, count(*) FROM inserted GROUP BY kind
    ON CONFLICT (kind) DO UPDATE SET movements = ledger_counts.movements + EXCLUDED.movements;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_counts_add AFTER INSERT ON ledger
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_counts_add();

CREATE FUNCTION ledger_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_counts SET movements = movements - removed.movements
    FROM (SELECT kind, count(*) AS movements FROM deleted GROUP BY kind) AS removed
    WHERE ledger_counts.kind = removed.kind;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_counts_remove AFTER DELETE ON ledger
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION ledger_counts_remove();

CREATE FUNCTION ledger_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ledger_counts;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_counts_clear AFTER TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_counts_clear();

-- migrate:down
DROP TRIGGER ledger_counts_clear ON ledger;
DROP TRIGGER ledger_counts_remove ON ledger;
DROP TRIGGER ledger_counts_add ON ledger;
DROP FUNCTION ledger_counts_clear();
DROP FUNCTION ledger_counts_remove();
DROP FUNCTION ledger_counts_add();
DROP TABLE ledger_counts;
