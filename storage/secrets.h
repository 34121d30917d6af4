/*
 * dlc_secrets: the jwt_secrets table (migrations/0003). Used at start-up on
 * a blocking connection: the first core to start with no configured secret
 * stores a generated primary; every core then loads the same keys.
 * Secret bytes never leave this module except into the caller's rows.
 */
#ifndef DLC_SECRETS_H
#define DLC_SECRETS_H

#include <libpq-fe.h>
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
int dlc_secrets_bootstrap(PGconn *conn, const char *kid, const unsigned char *secret,
                          size_t secret_len, dlc_secret_row *out, size_t max, size_t *n,
                          char *err, size_t errlen);

#endif
