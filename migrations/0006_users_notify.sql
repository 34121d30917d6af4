-- Tells every core when a user's authorization may have changed, so the
-- cores' principal caches (rpc/core/auth/principals.h) can drop the entry:
-- NOTIFY dlc_users with the user's id, delivered on commit (and not at all
-- on rollback). Only changes that matter to authorization notify: admin
-- flag, soft delete, password; profile edits and logins do not.

CREATE FUNCTION dlc_users_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A TRUNCATE names no row: its empty payload means "drop everything".
    -- Otherwise OLD, the row as the caches hold it (DELETE has no NEW).
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('dlc_users', '');
    ELSE
        PERFORM pg_notify('dlc_users', OLD.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify_update
AFTER UPDATE OF is_admin, deleted_at, password_hash ON users
FOR EACH ROW
WHEN (OLD.is_admin IS DISTINCT FROM NEW.is_admin
      OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
      OR OLD.password_hash IS DISTINCT FROM NEW.password_hash)
EXECUTE FUNCTION dlc_users_notify();

CREATE TRIGGER users_notify_delete
AFTER DELETE ON users
FOR EACH ROW EXECUTE FUNCTION dlc_users_notify();

CREATE TRIGGER users_notify_truncate
AFTER TRUNCATE ON users
FOR EACH STATEMENT EXECUTE FUNCTION dlc_users_notify();
