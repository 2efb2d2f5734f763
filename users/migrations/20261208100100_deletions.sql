-- migrate:up
-- Account deletions still reaching the other places that hold the user's data. The users row
-- goes at once, in the transaction that inserts this one; each step still `pending` is retried
-- (with backoff, next_attempt_at) until it succeeds, and every step is idempotent, so a service
-- that is down when the deletion is asked completes it once it is back. A row outlives its
-- completion with no personal data (firebase_uid is cleared): the deleted id stays in the
-- blocked set every service checks, so a token issued before the deletion never works again.
CREATE TABLE deletions (
    user_id bigint PRIMARY KEY,
    requested_at timestamptz NOT NULL DEFAULT now(),
    requested_by bigint,  -- the admin who deleted the account; NULL when the user did
    firebase_uid text,  -- until the Firebase account is gone
    pending text[] NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    completed_at timestamptz,
    CHECK ((completed_at IS NULL) = (cardinality(pending) > 0))
);
-- The worker's scan: only what is still pending, by when it is due.
CREATE INDEX deletions_due_idx ON deletions (next_attempt_at) WHERE completed_at IS NULL;

-- migrate:down
DROP TABLE deletions;
