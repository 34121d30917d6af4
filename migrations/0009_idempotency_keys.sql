-- Exactly-once writes: the first answer to a mutating call that carried an
-- idempotency key, kept per caller (scope) and key until expires_at, so a
-- repeat (a client's retry, or nng resending to another core after one
-- died) gets that answer again instead of running twice. A claim is
-- inserted in the same transaction as the call's own writes and its
-- answer: either all of them commit or none (a core that dies mid-call
-- leaves nothing behind, and a concurrent repeat waits on the row lock).
CREATE TABLE idempotency_keys (
    scope          text        NOT NULL,  -- "user:42", "admin", "ip:203.0.113.7"
    key            text        NOT NULL,
    request_sha256 bytea       NOT NULL,  -- method and input, secret fields left out
    status         bytea,                 -- dlc.rpc.v1.Status of the answer
    payload        bytea,                 -- its output message
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    PRIMARY KEY (scope, key),
    CONSTRAINT idempotency_key_shape CHECK (key ~ '^[ -~]{1,255}$')
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- 'claimed' (the caller runs the call; the row is theirs until the
-- transaction ends), 'exists' (a live answer is stored: read it), or
-- 'full' (the scope holds p_max live keys: refused, never stored unbounded).
-- A concurrent claim of the same key waits for the first transaction, at
-- most p_lock_timeout_ms (then SQLSTATE 55P03).
CREATE FUNCTION dlc_idempotency_claim(p_scope text, p_key text, p_request bytea,
                                      p_ttl_ms bigint, p_max integer,
                                      p_lock_timeout_ms integer)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
    IF EXISTS (SELECT 1 FROM idempotency_keys
                WHERE scope = p_scope AND key = p_key AND expires_at > now()) THEN
        RETURN 'exists';
    END IF;
    IF (SELECT count(*) FROM (SELECT 1 FROM idempotency_keys
                               WHERE scope = p_scope AND expires_at > now()
                               LIMIT p_max) live) >= p_max THEN
        RETURN 'full';
    END IF;
    INSERT INTO idempotency_keys (scope, key, request_sha256, expires_at)
    VALUES (p_scope, p_key, p_request, now() + p_ttl_ms * interval '1 millisecond')
    ON CONFLICT (scope, key) DO UPDATE
       SET request_sha256 = EXCLUDED.request_sha256, status = NULL, payload = NULL,
           created_at = now(), expires_at = EXCLUDED.expires_at
     WHERE idempotency_keys.expires_at <= now();
    IF FOUND THEN
        RETURN 'claimed';
    END IF;
    RETURN 'exists';
END
$$;
