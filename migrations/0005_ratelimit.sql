-- Shared rate-limit buckets (ratelimit.store: postgres): one row per key,
-- holding the GCRA state (the theoretical arrival time, in ms since the
-- epoch on the database's clock). UNLOGGED: the state is worth less than
-- the WAL it would cost; a crash empties the table, which only forgives.
CREATE UNLOGGED TABLE ratelimit_buckets (
    key text PRIMARY KEY,
    tat_ms bigint NOT NULL,
    allowed boolean NOT NULL
);
