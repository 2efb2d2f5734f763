-- migrate:up
-- The delete trigger of 20261202100000 named `movements` unqualified beside the subquery's own
-- `movements`: every DELETE FROM ledger failed ("column reference is ambiguous"). The service
-- never deletes ledger rows, but a down migration or an operator's clean-up does.
CREATE OR REPLACE FUNCTION ledger_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_counts SET movements = ledger_counts.movements - removed.movements
    FROM (SELECT kind, count(*) AS movements FROM deleted GROUP BY kind) AS removed
    WHERE ledger_counts.kind = removed.kind;
    RETURN NULL;
END
$$;

-- migrate:down
CREATE OR REPLACE FUNCTION ledger_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_counts SET movements = movements - removed.movements
    FROM (SELECT kind, count(*) AS movements FROM deleted GROUP BY kind) AS removed
    WHERE ledger_counts.kind = removed.kind;
    RETURN NULL;
END
$$;
