/*
 * dlc_secrets: the jwt_secrets table (migrations/0003, 0004).
 *
 * Start-up, on a blocking connection: the first core to start with no
 * configured secret stores a generated primary; every core then loads the
 * same keys (dlc_secrets_bootstrap, dlc_secrets_load).
 *
 * Administration, on the request path (dlc_db with dlc_secrets_statements):
 * list, add (rotate when primary), clean up expired secondaries. These see
 * only dlc_secret_info — kid, dates and a fingerprint, never secret bytes.
 *
 * Propagation: every change NOTIFYs dlc_jwt_secrets; dlc_listen (storage/listen.h)
 * listens on its own connection and calls back so a core can reload.
 *
 * Secret bytes never leave this module except into the caller's rows.
 */
#ifndef DLC_SECRETS_H
#define DLC_SECRETS_H

#include "storage/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DLC_SECRET_MAX 256

typedef struct {
    char kid[64];
    unsigned char secret[DLC_SECRET_MAX];
    size_t secret_len;
    bool is_primary;
    int64_t created_at_ms;
    int64_t expires_at_ms; /* 0: never */
} dlc_secret_row;

/* Stores (kid, secret) as the primary unless a primary exists already —
 * safe when several cores race (the unique index on the primary decides) —
 * then loads every unexpired secret into out (up to max; *n gets the count).
 * 0, or -1 with err filled (never containing secret bytes). */
int dlc_secrets_bootstrap(dlc_conn *conn, const char *kid, const unsigned char *secret,
                          size_t secret_len, dlc_secret_row *out, size_t max, size_t *n, char *err,
                          size_t errlen);

/* Loads every unexpired secret, oldest first, into rows (up to max; *n gets
 * the count). 0, or -1 with err filled (never containing secret bytes). */
int dlc_secrets_load(dlc_conn *conn, dlc_secret_row *rows, size_t max, size_t *n, char *err,
                     size_t errlen);

/* ---- administration (request path) -------------------------------------- */

/* Register with dlc_db_open; names start with "secrets_". */
extern const dlc_db_stmt dlc_secrets_statements[];
extern const size_t dlc_secrets_statement_count;

typedef struct {
    char kid[64];
    bool is_primary;
    int64_t created_at_ms;
    int64_t expires_at_ms; /* 0: never */
    char fingerprint[17];  /* first 16 hex digits of sha256(secret) */
} dlc_secret_info;

/* Every secret (expired ones too), oldest first. On DLC_DB_OK *out is a
 * malloc'd array of *n entries (NULL when empty); the caller frees it. */
dlc_db_rc dlc_secrets_list(dlc_db *db, int64_t deadline_ms, dlc_secret_info **out, size_t *n);

/* A secret to add (len ≤ DLC_SECRET_MAX; the table wants ≥ 32). primary:
 * it becomes the primary, and the previous primary becomes a secondary
 * expiring at retire_primary_at_ms (0: its expiry is kept). expires_at_ms
 * 0: never. max_live: the live secrets a core loads at most. Times are
 * wall-clock milliseconds. */
typedef struct {
    const char *kid;
    const unsigned char *secret;
    size_t len;
    bool primary;
    int64_t expires_at_ms;
    int64_t retire_primary_at_ms;
    int max_live;
} dlc_secret_new;

typedef enum {
    DLC_SECRET_ADDED = 0,
    DLC_SECRET_KID_TAKEN, /* a kid in use */
    DLC_SECRET_TOO_MANY,  /* max_live live secrets already */
} dlc_secret_add_rc;

/* Adds s in one transaction. DLC_DB_OK with *out saying what happened. */
dlc_db_rc dlc_secrets_add(dlc_db *db, const dlc_secret_new *s, int64_t deadline_ms,
                          dlc_secret_add_rc *out);

/* Deletes expired secondaries (never the primary). *removed gets the kids
 * and fingerprints of the deleted rows (other fields zero) as a malloc'd
 * array of *n entries (NULL when none); the caller frees it. */
dlc_db_rc dlc_secrets_cleanup(dlc_db *db, int64_t deadline_ms, dlc_secret_info **removed,
                              size_t *n);


#endif
