-- Users of dlc. Soft-deleted rows keep their username: a deleted name stays
-- taken, so nobody can re-register it and inherit its history.
CREATE TABLE users (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    username             text        NOT NULL,
    password_hash        text        NOT NULL,
    description          text        NOT NULL DEFAULT '',
    current_goal         text        NOT NULL DEFAULT '',
    is_admin             boolean     NOT NULL DEFAULT false,
    allow_password_reset boolean     NOT NULL DEFAULT false,
    last_login           timestamptz,
    CONSTRAINT users_username_format CHECK (username ~ '^[A-Za-z0-9]{3,50}$'),
    CONSTRAINT users_description_length CHECK (char_length(description) <= 1000),
    CONSTRAINT users_current_goal_length CHECK (char_length(current_goal) <= 1000)
);

-- Usernames are unique without regard to case ("Ann" and "ann" are one user).
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
