-- migrate:up
-- The progress log stays append-only, except for the erasure of one user's data (a deleted
-- account, DELETE /internal/users/{id}): the transaction that erases it names the user in the
-- transaction-local setting goals.erasing_user, and only that user's rows may then be deleted.
-- UPDATE is still refused to everyone. Compatible with the previous release's pods, which never
-- delete from the log.
CREATE OR REPLACE FUNCTION progress_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.user_id::text = current_setting('goals.erasing_user', true) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'progress_log is append-only';
END
$$;

-- migrate:down
CREATE OR REPLACE FUNCTION progress_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'progress_log is append-only';
END
$$;
