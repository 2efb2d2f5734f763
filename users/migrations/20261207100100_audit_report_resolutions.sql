-- migrate:up
-- Resolving a report is an admin action: the audit log takes it (and names reports as targets).
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_action_check,
    ADD CONSTRAINT admin_audit_action_check CHECK (
        action IN ('user_blocked', 'user_unblocked', 'admin_created', 'report_resolved')
    );
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_target_type_check,
    ADD CONSTRAINT admin_audit_target_type_check CHECK (target_type IN ('user', 'admin', 'report'));

-- migrate:down
-- The wider checks stay: the log is append-only, so its report_resolved entries cannot go.
SELECT 1;
