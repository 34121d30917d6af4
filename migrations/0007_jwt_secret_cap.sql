-- A core loads at most a fixed number of live signing secrets (its keyring
-- cap, which it passes here). Adding one past the cap is refused
-- (SQLSTATE 54000, program_limit_exceeded) instead of leaving a secret
-- that the cores would not load: the store and every keyring agree.
CREATE FUNCTION dlc_jwt_add_secret(p_kid text, p_secret bytea, p_primary boolean,
                                   p_expires_at timestamptz,
                                   p_retire_primary_at timestamptz,
                                   p_max_live integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE jwt_secrets IN SHARE ROW EXCLUSIVE MODE;
    IF (SELECT count(*) FROM jwt_secrets
         WHERE expires_at IS NULL OR expires_at > now()) >= p_max_live THEN
        RAISE EXCEPTION 'at most % live signing secrets', p_max_live
              USING ERRCODE = '54000';
    END IF;
    PERFORM dlc_jwt_add_secret(p_kid, p_secret, p_primary, p_expires_at, p_retire_primary_at);
END
$$;
