-- migrate:up
-- Reports on users and the warnings their resolution gives. A reporter has at most one open
-- report per target (the partial unique index); resolving closes every open report on the
-- target at once. No foreign keys to users: a report outlives either account.
CREATE TABLE reports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id bigint NOT NULL,
    target_type text NOT NULL CHECK (target_type IN ('user')),
    target_id bigint NOT NULL,
    reason text NOT NULL CHECK (
        reason IN ('spam', 'harassment', 'inappropriate_content', 'impersonation', 'other')
    ),
    details text NOT NULL DEFAULT '' CHECK (length(details) <= 2000),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at timestamptz NOT NULL DEFAULT now(),
    outcome text CHECK (outcome IN ('dismiss', 'warn', 'block')),
    note text CHECK (length(note) <= 2000),
    resolved_by bigint,
    resolved_at timestamptz,
    CHECK ((status = 'open') = (outcome IS NULL AND resolved_by IS NULL AND resolved_at IS NULL))
);

CREATE UNIQUE INDEX reports_one_open_per_reporter ON reports (reporter_id, target_type, target_id)
    WHERE status = 'open';
-- The queue: oldest first within a status, optionally by target type and reason.
CREATE INDEX reports_queue_idx ON reports (status, id);
CREATE INDEX reports_reason_idx ON reports (status, reason, id);
-- A target's open reports (their count beside each queued report, and the resolution).
CREATE INDEX reports_open_target_idx ON reports (target_type, target_id) WHERE status = 'open';

CREATE TABLE warnings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL,
    report_id bigint NOT NULL REFERENCES reports (id),
    note text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX warnings_user_idx ON warnings (user_id, id);

-- migrate:down
DROP TABLE warnings;
DROP TABLE reports;
