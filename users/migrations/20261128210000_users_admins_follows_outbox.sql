-- migrate:up
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    firebase_uid text NOT NULL UNIQUE,
    email text NOT NULL CHECK (email <> ''),
    username text NOT NULL CHECK (username ~ '^[A-Za-z0-9_-]{4,20}$'),
    name text NOT NULL,
    surname text NOT NULL,
    height double precision NOT NULL CHECK (height BETWEEN 0.5 AND 2.5),
    weight integer NOT NULL CHECK (weight BETWEEN 20 AND 400),
    birth_date date NOT NULL,
    location text NOT NULL DEFAULT '',
    registration_date date NOT NULL DEFAULT current_date,
    is_athlete boolean NOT NULL,
    is_blocked boolean NOT NULL DEFAULT false,
    has_image boolean NOT NULL DEFAULT false,
    signed_up_with text NOT NULL CHECK (signed_up_with IN ('email', 'google')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness; the same expressions serve the login and search look-ups.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
-- Only a handful of users are blocked: the blocked-set sync reads this small index.
CREATE INDEX users_blocked_idx ON users (id) WHERE is_blocked;

CREATE TABLE admins (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    firebase_uid text NOT NULL UNIQUE,
    email text NOT NULL CHECK (email <> ''),
    username text NOT NULL CHECK (username <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX admins_email_key ON admins (lower(email));
CREATE UNIQUE INDEX admins_username_key ON admins (lower(username));

CREATE TABLE follows (
    follower_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followed_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followed_id),
    CHECK (follower_id <> followed_id)
);
-- "Who follows X" (the primary key serves "whom does X follow").
CREATE INDEX follows_followed_idx ON follows (followed_id, created_at);

-- Events written in the same transaction as the change; the relay publishes them to Redis.
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
DROP TABLE follows;
DROP TABLE admins;
DROP TABLE users;
