-- migrate:up
-- Temporary blocks. A suspended user is blocked (is_blocked, so every token and login path is
-- refused exactly as for a block) until suspended_until, when the service lifts it by itself.
-- NULL with is_blocked: a block without an end.
ALTER TABLE users ADD COLUMN suspended_until timestamptz;
-- The lifter's scan: only the suspended rows, by when they run out.
CREATE INDEX users_suspended_until_idx ON users (suspended_until)
    WHERE suspended_until IS NOT NULL;

-- Reports: a suspension as an outcome, and trainings as targets (with block_training).
ALTER TABLE reports DROP CONSTRAINT reports_outcome_check,
    ADD CONSTRAINT reports_outcome_check CHECK (
        outcome IN ('dismiss', 'warn', 'suspend', 'block', 'block_training')
    );
ALTER TABLE reports DROP CONSTRAINT reports_target_type_check,
    ADD CONSTRAINT reports_target_type_check CHECK (target_type IN ('user', 'training'));

-- The audit log takes suspensions, their expiry and deletions. A suspension that runs out is
-- lifted by the platform, not by an admin: its entry has no actor (NULL).
ALTER TABLE admin_audit ALTER COLUMN actor_id DROP NOT NULL;
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_action_check,
    ADD CONSTRAINT admin_audit_action_check CHECK (
        action IN (
            'user_blocked', 'user_unblocked', 'admin_created', 'report_resolved',
            'user_suspended', 'suspension_expired', 'user_deleted'
        )
    );

-- migrate:down
-- The wider checks stay: the log is append-only, so its entries cannot go.
DROP INDEX users_suspended_until_idx;
ALTER TABLE users DROP COLUMN suspended_until;
