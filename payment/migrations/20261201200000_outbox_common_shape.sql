-- migrate:up
-- The outbox takes the shape users, trainings and goals share (the outbox.py glue writes and
-- reads it): `id uuid` is the event's id, the body is `payload`, unsent rows are published in
-- created_at order (outbox_unsent_idx) and sent ones are purged after the retention
-- (outbox_sent_idx).
--
-- Expand only: the pods of the previous release (1.1) keep running while the new ones roll out.
-- * Their writer, `INSERT INTO outbox (event) VALUES (...)`, keeps working: the bigserial `id`
--   is renamed `seq` and keeps its sequence as default, and a trigger moves the body the writer
--   put in `event` into `payload` and takes `id` from the body's "id". The new relay publishes
--   such a row with the body and event id the old writer gave it.
-- * Their relay cannot work on this table: it marks rows sent by a bigint `id`, and `id` is now
--   the uuid, so it would XADD a batch, fail to mark it, and XADD it again on every round for as
--   long as it runs (for ever in a stalled rollout). So `event` is left empty: existing bodies
--   move to `payload` and the trigger empties `event` on insert. The old relay then reads NULL
--   bodies, its XADD fails in the client before anything is sent, its transaction rolls back
--   and it logs "outbox relay: ... (retrying)" until its pod is replaced. Only the new pods
--   publish, each row once: during the rollout events wait, they are never lost or doubled.
-- Existing rows keep their body byte for byte (jsonb to jsonb) and their created_at, so the
-- unsent ones are published exactly as the old relay would have published them.
--
-- The contract, in a later release, once no pod of 1.1 runs (nothing reads or writes `event`
-- or `seq` any more):
--   DROP TRIGGER outbox_fill_body ON outbox; DROP FUNCTION outbox_fill_body();
--   ALTER TABLE outbox DROP COLUMN event;
--   ALTER TABLE outbox DROP CONSTRAINT outbox_pkey, DROP COLUMN seq;  -- drops outbox_unsent too
--   ALTER TABLE outbox DROP CONSTRAINT outbox_id_key, ADD PRIMARY KEY (id);
ALTER TABLE outbox RENAME COLUMN id TO seq;
ALTER TABLE outbox ADD COLUMN id uuid;
ALTER TABLE outbox ADD COLUMN payload jsonb;
ALTER TABLE outbox ALTER COLUMN event DROP NOT NULL;
UPDATE outbox SET id = (event ->> 'id')::uuid, payload = event, event = NULL;
ALTER TABLE outbox ALTER COLUMN id SET NOT NULL;
ALTER TABLE outbox ALTER COLUMN payload SET NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_id_key UNIQUE (id);

-- Runs before the NOT NULL checks: a row of the old writer has its id and payload by then.
CREATE FUNCTION outbox_fill_body() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.payload := coalesce(NEW.payload, NEW.event);
    NEW.event := NULL;
    NEW.id := coalesce(NEW.id, (NEW.payload ->> 'id')::uuid);
    RETURN NEW;
END
$$;
CREATE TRIGGER outbox_fill_body BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_fill_body();

CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- migrate:down
-- Back to the 1.1 shape: every row (those the new writer made too) gets its body in `event`
-- and its `seq` back as the bigint `id`.
DROP INDEX outbox_sent_idx;
DROP INDEX outbox_unsent_idx;
DROP TRIGGER outbox_fill_body ON outbox;
DROP FUNCTION outbox_fill_body();
UPDATE outbox SET event = payload WHERE event IS NULL;
ALTER TABLE outbox ALTER COLUMN event SET NOT NULL;
ALTER TABLE outbox DROP COLUMN payload;
ALTER TABLE outbox DROP COLUMN id;
ALTER TABLE outbox RENAME COLUMN seq TO id;
