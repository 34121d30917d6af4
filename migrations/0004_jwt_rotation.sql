-- JWT secret rotation. Each function is one statement for the caller, hence
-- one transaction; both tell the cores through NOTIFY dlc_jwt_secrets, which
-- is delivered on commit.

-- Adds a secret. A new primary first demotes the current one, whose expiry
-- becomes p_retire_primary_at (NULL keeps it). The table lock serialises
-- rotations (and start-up bootstraps, whose INSERT waits for it), so racing
-- rotations never trip the one-primary index: the last one wins.
CREATE FUNCTION dlc_jwt_add_secret(p_kid text, p_secret bytea, p_primary boolean,
                                   p_expires_at timestamptz,
                                   p_retire_primary_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE jwt_secrets IN SHARE ROW EXCLUSIVE MODE;
    IF p_primary THEN
        UPDATE jwt_secrets
           SET is_primary = false,
               expires_at = COALESCE(p_retire_primary_at, expires_at)
         WHERE is_primary;
    END IF;
    INSERT INTO jwt_secrets (kid, secret, is_primary, expires_at)
    VALUES (p_kid, p_secret, p_primary, p_expires_at);
    PERFORM pg_notify('dlc_jwt_secrets', p_kid);
END
$$;

-- Removes expired secondaries (never the primary, expired or not) and
-- returns their kids and fingerprints (16 hex digits of sha256(secret)).
CREATE FUNCTION dlc_jwt_cleanup()
RETURNS TABLE (kid text, fingerprint text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH gone AS (
        DELETE FROM jwt_secrets s
         WHERE NOT s.is_primary AND s.expires_at <= now()
        RETURNING s.kid, s.secret
    )
    SELECT gone.kid, left(encode(sha256(gone.secret), 'hex'), 16) FROM gone;
    IF FOUND THEN
        PERFORM pg_notify('dlc_jwt_secrets', '');
    END IF;
END
$$;
