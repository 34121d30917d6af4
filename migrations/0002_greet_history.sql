-- Greetings given to authenticated users, read back newest first.
CREATE TABLE greet_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    user_id    bigint      NOT NULL REFERENCES users (id),
    message    text        NOT NULL,
    context    jsonb       NOT NULL DEFAULT '{}'::jsonb
);

-- Serves "the caller's greetings, newest first" with keyset pagination on
-- id (ids are unique and increase with time; created_at is the start of
-- the inserting transaction and may tie).
CREATE INDEX greet_history_user_id_idx ON greet_history (user_id, id DESC);
