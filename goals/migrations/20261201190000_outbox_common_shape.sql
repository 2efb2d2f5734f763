-- migrate:up
-- The outbox takes the shape users and trainings share (the outbox.py glue writes and reads it):
-- the event body is `payload`, `created_at` has a default, unsent rows are published in
-- created_at order. Expand only, so the pods of the previous release keep working while the new
-- ones roll out: they still write `event` (and order by `seq`), and a trigger fills whichever of
-- `event` and `payload` a writer left empty. A later release drops `event`, `seq` and the trigger.
ALTER TABLE outbox ADD COLUMN payload jsonb;
UPDATE outbox SET payload = event;
ALTER TABLE outbox ALTER COLUMN event DROP NOT NULL;
ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT now();

CREATE FUNCTION outbox_fill_body() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.payload := coalesce(NEW.payload, NEW.event);
    NEW.event := coalesce(NEW.event, NEW.payload);
    RETURN NEW;
END
$$;
CREATE TRIGGER outbox_fill_body BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_fill_body();
ALTER TABLE outbox ADD CONSTRAINT outbox_payload_present CHECK (payload IS NOT NULL) NOT VALID;
ALTER TABLE outbox VALIDATE CONSTRAINT outbox_payload_present;
CREATE INDEX outbox_unsent_created_idx ON outbox (created_at) WHERE sent_at IS NULL;

-- migrate:down
DROP INDEX outbox_unsent_created_idx;
ALTER TABLE outbox DROP CONSTRAINT outbox_payload_present;
DROP TRIGGER outbox_fill_body ON outbox;
DROP FUNCTION outbox_fill_body();
UPDATE outbox SET event = payload WHERE event IS NULL;
ALTER TABLE outbox ALTER COLUMN event SET NOT NULL;
ALTER TABLE outbox ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE outbox DROP COLUMN payload;
