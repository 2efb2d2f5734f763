-- migrate:up transaction:false
-- A type's trainings newest first, for the search by type alone: a page and the skip to a deep
-- offset read this index only (trainings_type_difficulty_idx orders them by difficulty first).
-- Built concurrently, without blocking writes; alone in its file, as CONCURRENTLY requires.
CREATE INDEX CONCURRENTLY trainings_type_idx ON trainings (type_id, id);

-- migrate:down
DROP INDEX IF EXISTS trainings_type_idx;
