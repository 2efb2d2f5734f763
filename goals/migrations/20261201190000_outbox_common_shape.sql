-- migrate:up
-- The outbox takes the shape users and trainings share (the outbox.py glue writes and reads it):
-- the event id is the primary key, the body is `payload`, rows are published in created_at
-- order. Unsent rows keep their id, body and created_at; the relay publishes them as before.
DROP INDEX outbox_unsent_idx;
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
ALTER TABLE outbox DROP COLUMN seq;
ALTER TABLE outbox DROP CONSTRAINT outbox_id_key;
ALTER TABLE outbox ADD PRIMARY KEY (id);
ALTER TABLE outbox RENAME COLUMN event TO payload;
ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT now();
CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;

-- migrate:down
DROP INDEX outbox_unsent_idx;
ALTER TABLE outbox ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE outbox RENAME COLUMN payload TO event;
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
ALTER TABLE outbox ADD CONSTRAINT outbox_id_key UNIQUE (id);
ALTER TABLE outbox ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE outbox ADD PRIMARY KEY (seq);
CREATE INDEX outbox_unsent_idx ON outbox (seq) WHERE sent_at IS NULL;
