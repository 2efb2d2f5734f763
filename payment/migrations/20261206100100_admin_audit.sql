-- migrate:up
-- Every admin action payment carries out (an admin's top-up), written in the transaction of
-- the action itself: the same table as the users service's (users' migration
-- 20261206100000_admin_audit), with payment's own actions and targets. Append-only at the
-- database level: triggers refuse UPDATE, DELETE and TRUNCATE for every role (they fire for
-- the table's owner and for superusers too), and the privileges are revoked as well. No
-- foreign keys: an entry outlives the wallet of the user it names (a deleted user's wallet is
-- unlinked, the entry keeps the id).
CREATE TABLE admin_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id bigint NOT NULL,
    action text NOT NULL CHECK (action IN ('wallet_topped_up')),
    target_type text NOT NULL CHECK (target_type IN ('user')),
    target_id bigint NOT NULL,
    before jsonb,
    after jsonb
);

-- GET /payment/audit reads newest first, filtered by any of these.
CREATE INDEX admin_audit_actor_idx ON admin_audit (actor_id, id);
CREATE INDEX admin_audit_target_idx ON admin_audit (target_type, target_id, id);
CREATE INDEX admin_audit_action_idx ON admin_audit (action, id);
-- A target looked up by its id alone.
CREATE INDEX admin_audit_target_id_idx ON admin_audit (target_id, id);

CREATE FUNCTION admin_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION admin_audit_refuse();
CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON admin_audit
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_refuse();
-- ALWAYS: they fire under session_replication_role = replica too.
ALTER TABLE admin_audit ENABLE ALWAYS TRIGGER admin_audit_append_only;
ALTER TABLE admin_audit ENABLE ALWAYS TRIGGER admin_audit_no_truncate;

REVOKE UPDATE, DELETE, TRUNCATE ON admin_audit FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON admin_audit FROM CURRENT_USER;

-- migrate:down
DROP TABLE admin_audit;
DROP FUNCTION admin_audit_refuse();
