-- One-time password-reset codes, and tokens that can be taken back.
--
-- Reset: an admin's AllowPasswordReset stores the SHA-256 of a random code
-- (the code itself is shown once, to the admin) with an expiry; completion
-- needs the code. Wrong codes are counted, and the last allowed wrong one
-- withdraws the permission. A login or password change by the user
-- withdraws it too (the user did not forget the password after all).
--
-- Revocation: every token carries its subject's token generation (claim
-- "gen"); a token of another generation is refused. A user's generation
-- moves on at each password change or reset and on an admin's revocation;
-- the master-password admin's lives in admin_tokens and moves on when the
-- master password changes or an admin revokes every admin token.
ALTER TABLE users
    ADD COLUMN reset_code_sha256 text,
    ADD COLUMN reset_expires_at  timestamptz,
    ADD COLUMN reset_failures    integer NOT NULL DEFAULT 0,
    ADD COLUMN token_generation  bigint  NOT NULL DEFAULT 0;

-- A permission given before codes existed cannot be completed any more.
UPDATE users SET allow_password_reset = false WHERE allow_password_reset;

-- The master-password admin's token generation, and the argon2id hash of the
-- master password it belongs to ('' when admin login is disabled), so a core
-- started with another master password moves the generation on.
CREATE TABLE admin_tokens (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation  bigint  NOT NULL DEFAULT 0,
    master_hash text    NOT NULL DEFAULT ''
);
INSERT INTO admin_tokens DEFAULT VALUES;

-- A generation change matters to authorization: the cores' principal caches
-- must hear of it (0006's trigger, one more column).
DROP TRIGGER users_notify_update ON users;
CREATE TRIGGER users_notify_update
AFTER UPDATE OF is_admin, deleted_at, password_hash, token_generation ON users
FOR EACH ROW
WHEN (OLD.is_admin IS DISTINCT FROM NEW.is_admin
      OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
      OR OLD.password_hash IS DISTINCT FROM NEW.password_hash
      OR OLD.token_generation IS DISTINCT FROM NEW.token_generation)
EXECUTE FUNCTION dlc_users_notify();

-- Completes a reset: true when p_username is a live user allowed a reset
-- whose unexpired code hashes to p_code_sha256; the password is then
-- p_hash, the permission and code are gone and older tokens are revoked.
-- Otherwise false; a wrong code for an allowed user counts a failure, and
-- the p_max_failures-th withdraws the permission.
CREATE FUNCTION dlc_complete_password_reset(p_username text, p_code_sha256 text,
                                            p_hash text, p_max_failures integer)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    u users%ROWTYPE;
BEGIN
    SELECT * INTO u FROM users
     WHERE lower(username) = lower(p_username) AND deleted_at IS NULL
       AND allow_password_reset
     FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF u.reset_expires_at > now() AND u.reset_code_sha256 = p_code_sha256 THEN
        UPDATE users
           SET password_hash = p_hash, allow_password_reset = false,
               reset_code_sha256 = NULL, reset_expires_at = NULL, reset_failures = 0,
               token_generation = token_generation + 1, updated_at = now()
         WHERE id = u.id;
        RETURN true;
    END IF;
    UPDATE users
       SET reset_failures = reset_failures + 1,
           allow_password_reset = reset_failures + 1 < p_max_failures
                                  AND reset_expires_at > now()
     WHERE id = u.id;
    RETURN false;
END
$$;
