-- Signing keys shared by every core. With no auth.jwt.secret configured,
-- the first core to start inserts a generated primary; the others read it.
CREATE TABLE jwt_secrets (
    kid        text        PRIMARY KEY,
    secret     bytea       NOT NULL CHECK (octet_length(secret) BETWEEN 32 AND 256),
    is_primary boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz
);

-- At most one primary at any time.
CREATE UNIQUE INDEX jwt_secrets_one_primary ON jwt_secrets (is_primary) WHERE is_primary;
