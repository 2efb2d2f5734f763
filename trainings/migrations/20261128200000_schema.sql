-- migrate:up
CREATE TABLE training_types (
    id smallint PRIMARY KEY,
    name text NOT NULL UNIQUE
);

CREATE TABLE difficulties (
    id smallint PRIMARY KEY,
    name text NOT NULL UNIQUE
);

CREATE TABLE exercises (
    id smallint PRIMARY KEY,
    name text NOT NULL,
    type_id smallint NOT NULL REFERENCES training_types (id),
    unit text
);
-- Exercises are identified by name and unit (a null unit is a value of its own).
CREATE UNIQUE INDEX exercises_name_unit_key ON exercises (name, coalesce(unit, ''));

CREATE TABLE trainings (
    id bigserial PRIMARY KEY,
    -- The trainer's user id (the users service owns users; no foreign key across services).
    trainer_id bigint NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    type_id smallint NOT NULL REFERENCES training_types (id),
    difficulty_id smallint NOT NULL REFERENCES difficulties (id),
    -- Object name in authentication's storage, a new one per upload.
    media text,
    blocked boolean NOT NULL DEFAULT false,
    -- Kept equal to the aggregate of ratings by the code that writes ratings (same transaction).
    rating_sum integer NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
    rating_count integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Search: every filter combination the clients send, newest first (ORDER BY id DESC).
CREATE INDEX trainings_trainer_idx ON trainings (trainer_id, id);
CREATE INDEX trainings_type_difficulty_idx ON trainings (type_id, difficulty_id, id);
CREATE INDEX trainings_difficulty_idx ON trainings (difficulty_id, id);
-- Case-insensitive title prefix: lower(title) LIKE 'prefix%'.
CREATE INDEX trainings_title_prefix_idx ON trainings (lower(title) text_pattern_ops);

CREATE TABLE training_exercises (
    training_id bigint NOT NULL REFERENCES trainings (id) ON DELETE CASCADE,
    position smallint NOT NULL,
    exercise_id smallint NOT NULL REFERENCES exercises (id),
    count integer NOT NULL CHECK (count > 0),
    series integer CHECK (series > 0),
    PRIMARY KEY (training_id, position)
);

CREATE TABLE favourites (
    user_id bigint NOT NULL,
    training_id bigint NOT NULL REFERENCES trainings (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, training_id)
);
-- A user's favourites page, in the order they were added.
CREATE INDEX favourites_user_order_idx ON favourites (user_id, created_at, training_id);
CREATE INDEX favourites_training_idx ON favourites (training_id);

CREATE TABLE ratings (
    user_id bigint NOT NULL,
    training_id bigint NOT NULL REFERENCES trainings (id) ON DELETE CASCADE,
    rate smallint NOT NULL CHECK (rate BETWEEN 1 AND 5),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, training_id)
);
CREATE INDEX ratings_training_idx ON ratings (training_id);

-- Events written in the same transaction as the change, published to Redis by the relay.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- migrate:down
DROP TABLE outbox;
DROP TABLE ratings;
DROP TABLE favourites;
DROP TABLE training_exercises;
DROP TABLE trainings;
DROP TABLE exercises;
DROP TABLE difficulties;
DROP TABLE training_types;
