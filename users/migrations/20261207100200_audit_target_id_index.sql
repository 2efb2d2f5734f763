-- migrate:up
-- A target is looked up by its id, with or without its type: the index leads with the id.
DROP INDEX admin_audit_target_idx;
CREATE INDEX admin_audit_target_idx ON admin_audit (target_id, id);

-- migrate:down
DROP INDEX admin_audit_target_idx;
CREATE INDEX admin_audit_target_idx ON admin_audit (target_type, target_id, id);
