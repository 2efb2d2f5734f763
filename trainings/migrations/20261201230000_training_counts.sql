-- migrate:up
-- Counts of trainings kept exact by triggers, in the transaction of every change, so a page's
-- `count` reads a few rows instead of counting its matches, and a deep offset jumps to the
-- block that holds it instead of walking the index from the top (README, "How counts work").
-- Statement-level triggers with transition tables: one pass per statement however many rows it
-- writes (a bulk COPY included); TRUNCATE empties the counts. Each upsert writes its rows in one
-- order (ORDER BY), so two writers of the same rows queue up instead of deadlocking.

-- Trainings per trainer, type, difficulty and blocked; a NULL trainer_id counts every trainer's.
-- The count of any filter on those columns is a sum of at most 36 rows.
CREATE TABLE training_counts (
    trainer_id bigint,
    type_id smallint NOT NULL,
    difficulty_id smallint NOT NULL,
    blocked boolean NOT NULL,
    trainings integer NOT NULL,
    CONSTRAINT training_counts_key
        UNIQUE NULLS NOT DISTINCT (trainer_id, type_id, difficulty_id, blocked)
);

-- Trainings whose lower(title) starts with `prefix`, for every prefix of every title up to 20
-- characters (a longer prefix names few trainings: the search counts those on the title index).
-- A row that falls to 0 is deleted. The C collation: prefixes compare as the bytes they are.
CREATE TABLE training_title_counts (
    prefix text COLLATE "C" PRIMARY KEY,
    trainings integer NOT NULL
);

-- Trainings per block of 1024 ids (id / 1024), per type and difficulty (NULL: any). The n-th
-- newest match is in the block where the running sum of the blocks, newest first, passes n; the
-- skip to it then stays inside that block.
CREATE TABLE training_blocks (
    type_id smallint,
    difficulty_id smallint,
    block bigint NOT NULL,
    trainings integer NOT NULL,
    CONSTRAINT training_blocks_key UNIQUE NULLS NOT DISTINCT (type_id, difficulty_id, block)
);

-- One row a statement added (change 1) or removed (change -1); an update removes the old
-- version and adds the new one. `title` is lower(title), as the search compares it.
CREATE TYPE training_change AS (
    id bigint,
    trainer_id bigint,
    type_id smallint,
    difficulty_id smallint,
    blocked boolean,
    title text,
    change integer
);

CREATE FUNCTION count_training_changes(changes training_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO training_counts AS c (trainer_id, type_id, difficulty_id, blocked, trainings)
    SELECT who.trainer_id, x.type_id, x.difficulty_id, x.blocked, sum(x.change)
    FROM unnest(changes) x, LATERAL (VALUES (x.trainer_id), (NULL)) who (trainer_id)
    GROUP BY 1, 2, 3, 4
    HAVING sum(x.change) <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT ON CONSTRAINT training_counts_key
    DO UPDATE SET trainings = c.trainings + excluded.trainings;

    INSERT INTO training_title_counts AS c (prefix, trainings)
    SELECT left(x.title, n) COLLATE "C", sum(x.change)
    FROM unnest(changes) x, generate_series(1, least(length(x.title), 20)) n
    GROUP BY 1
    HAVING sum(x.change) <> 0
    ORDER BY 1
    ON CONFLICT (prefix) DO UPDATE SET trainings = c.trainings + excluded.trainings;

    INSERT INTO training_blocks AS c (type_id, difficulty_id, block, trainings)
    SELECT k.type_id, k.difficulty_id, x.id / 1024, sum(x.change)
    FROM unnest(changes) x,
        LATERAL (VALUES
            (x.type_id, x.difficulty_id), (x.type_id, NULL), (NULL, x.difficulty_id), (NULL, NULL)
        ) k (type_id, difficulty_id)
    GROUP BY 1, 2, 3
    HAVING sum(x.change) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT ON CONSTRAINT training_blocks_key
    DO UPDATE SET trainings = c.trainings + excluded.trainings;

    -- Renamed and deleted titles leave no rows behind: the table holds live prefixes only.
    IF EXISTS (SELECT FROM unnest(changes) WHERE change < 0) THEN
        DELETE FROM training_title_counts c
        USING (
            SELECT DISTINCT left(x.title, n) COLLATE "C" AS prefix
            FROM unnest(changes) x, generate_series(1, least(length(x.title), 20)) n
            WHERE x.change < 0
        ) gone
        WHERE c.prefix = gone.prefix AND c.trainings = 0;
    END IF;
END $$;

CREATE FUNCTION trainings_counted_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count_training_changes(ARRAY(
        SELECT (id, trainer_id, type_id, difficulty_id, blocked, lower(title), 1)::training_change
        FROM added
    ));
    RETURN NULL;
END $$;

CREATE FUNCTION trainings_counted_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count_training_changes(ARRAY(
        SELECT (id, trainer_id, type_id, difficulty_id, blocked, lower(title), -1)::training_change
        FROM removed
    ));
    RETURN NULL;
END $$;

CREATE FUNCTION trainings_counted_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most updates (a rating, media, a description) change no counted column: they lock no
    -- count row.
    IF NOT EXISTS (
        SELECT id, trainer_id, type_id, difficulty_id, blocked, title FROM added
        EXCEPT ALL
        SELECT id, trainer_id, type_id, difficulty_id, blocked, title FROM removed
    ) THEN
        RETURN NULL;
    END IF;
    PERFORM count_training_changes(ARRAY(
        SELECT (id, trainer_id, type_id, difficulty_id, blocked, lower(title), 1)::training_change
        FROM added
        UNION ALL
        SELECT (id, trainer_id, type_id, difficulty_id, blocked, lower(title), -1)::training_change
        FROM removed
    ));
    RETURN NULL;
END $$;

CREATE FUNCTION trainings_counted_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE training_counts, training_title_counts, training_blocks;
    RETURN NULL;
END $$;

-- Rebuilds every count from the trainings themselves (this migration's backfill; a repair).
CREATE FUNCTION recount_trainings() RETURNS void LANGUAGE sql AS $$
    TRUNCATE training_counts, training_title_counts, training_blocks;
    SELECT count_training_changes(ARRAY(
        SELECT (id, trainer_id, type_id, difficulty_id, blocked, lower(title), 1)::training_change
        FROM trainings
    ));
$$;

-- No write between the backfill and the triggers (the previous version may be serving).
LOCK TABLE trainings IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER trainings_counted_on_insert AFTER INSERT ON trainings
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION trainings_counted_on_insert();
CREATE TRIGGER trainings_counted_on_delete AFTER DELETE ON trainings
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION trainings_counted_on_delete();
CREATE TRIGGER trainings_counted_on_update AFTER UPDATE ON trainings
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION trainings_counted_on_update();
CREATE TRIGGER trainings_counted_on_truncate AFTER TRUNCATE ON trainings
    FOR EACH STATEMENT EXECUTE FUNCTION trainings_counted_on_truncate();
SELECT recount_trainings();

-- migrate:down
DROP TRIGGER trainings_counted_on_truncate ON trainings;
DROP TRIGGER trainings_counted_on_update ON trainings;
DROP TRIGGER trainings_counted_on_delete ON trainings;
DROP TRIGGER trainings_counted_on_insert ON trainings;
DROP FUNCTION recount_trainings();
DROP FUNCTION trainings_counted_on_truncate();
DROP FUNCTION trainings_counted_on_update();
DROP FUNCTION trainings_counted_on_delete();
DROP FUNCTION trainings_counted_on_insert();
DROP FUNCTION count_training_changes(training_change[]);
DROP TYPE training_change;
DROP TABLE training_blocks;
DROP TABLE training_title_counts;
DROP TABLE training_counts;
