-- migrate:up
-- The metric catalogue goals are set against (loaded by the next migration).
CREATE TABLE metrics (
    name text PRIMARY KEY,
    unit text NOT NULL,
    position integer NOT NULL
);

CREATE TABLE goals (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    metric text NOT NULL REFERENCES metrics (name),
    objective numeric(15, 3) NOT NULL CHECK (objective > 0),
    progress numeric(15, 3) NOT NULL DEFAULT 0 CHECK (progress >= 0),
    time_limit date NOT NULL,
    -- The image itself lives in authentication's storage as goals/<id>/image.
    has_image boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- Set when progress reaches the objective, cleared if it falls below it again.
    completed_at timestamptz,
    CONSTRAINT goals_completed_iff_reached CHECK ((completed_at IS NOT NULL) = (progress >= objective))
);
CREATE INDEX goals_user_id_idx ON goals (user_id, id);

-- One row per progress change: the goal's new progress and the change it made. Rows are never
-- updated or deleted (the trigger below), and outlive the goal (no foreign key to goals).
CREATE TABLE progress_log (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL,
    metric text NOT NULL REFERENCES metrics (name),
    goal_id bigint NOT NULL,
    progress numeric(15, 3) NOT NULL,
    delta numeric(16, 3) NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX progress_log_window_idx ON progress_log (user_id, metric, recorded_at) INCLUDE (delta);

CREATE FUNCTION progress_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'progress_log is append-only';
END
$$;
CREATE TRIGGER progress_log_append_only BEFORE UPDATE OR DELETE ON progress_log
    FOR EACH ROW EXECUTE FUNCTION progress_log_append_only();

-- Events written in the same transaction as the change; the relay publishes them to Redis.
CREATE TABLE outbox (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- publishing order
    id uuid NOT NULL UNIQUE,  -- the event id
    event jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    sent_at timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- migrate:down
DROP TABLE outbox;
DROP TABLE progress_log;
DROP FUNCTION progress_log_append_only();
DROP TABLE goals;
DROP TABLE metrics;
