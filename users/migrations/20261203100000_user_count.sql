-- migrate:up
-- The number of users, kept by triggers in the transaction that changes the table, so the
-- back office's `total` is one row read instead of a count(*) over every user on every page.
-- Statement-level triggers with transition tables: one update per statement however many rows
-- it writes (a bulk COPY included), and TRUNCATE resets it. Exact at every commit.
CREATE TABLE user_count (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    total bigint NOT NULL CHECK (total >= 0)
);

CREATE FUNCTION user_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint := (SELECT count(*) FROM changed);
BEGIN
    -- A statement that wrote no row leaves the counter's row unlocked.
    IF n > 0 THEN
        UPDATE user_count SET total = total + n;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION user_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint := (SELECT count(*) FROM changed);
BEGIN
    IF n > 0 THEN
        UPDATE user_count SET total = total - n;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION user_count_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_count SET total = 0;
    RETURN NULL;
END $$;

-- No write between the initial count and the triggers (the old version may be serving).
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER users_counted_on_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION user_count_added();
CREATE TRIGGER users_counted_on_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION user_count_removed();
CREATE TRIGGER users_counted_on_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION user_count_emptied();
INSERT INTO user_count (total) SELECT count(*) FROM users;

-- migrate:down
DROP TRIGGER users_counted_on_truncate ON users;
DROP TRIGGER users_counted_on_delete ON users;
DROP TRIGGER users_counted_on_insert ON users;
DROP FUNCTION user_count_emptied();
DROP FUNCTION user_count_removed();
DROP FUNCTION user_count_added();
DROP TABLE user_count;
