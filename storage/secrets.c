#include "storage/secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_decode(const char *in, unsigned char *out, size_t max, size_t *len)
{
    size_t n = strlen(in);
    if (n % 2 || n / 2 > max)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned int byte;
        if (sscanf(in + 2 * i, "%2x", &byte) != 1)
            return -1;
        out[i] = (unsigned char)byte;
    }
    *len = n / 2;
    return 0;
}

static int fail(char *err, size_t errlen, const char *what, PGconn *conn)
{
    const char *msg = PQerrorMessage(conn);
    snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
    return -1;
}

/* The unique partial index on is_primary makes a second primary impossible;
 * ON CONFLICT DO NOTHING turns the loser of a race into a no-op. */
static int insert_primary(PGconn *conn, const char *kid, const unsigned char *secret, size_t len,
                          char *err, size_t errlen)
{
    char hex[2 * DLC_SECRET_MAX + 1];
    hex_encode(secret, len, hex);
    const char *values[] = {kid, hex};
    PGresult *r = PQexecParams(conn,
                               "INSERT INTO jwt_secrets (kid, secret, is_primary) "
                               "SELECT $1, decode($2, 'hex'), true "
                               "WHERE NOT EXISTS (SELECT 1 FROM jwt_secrets WHERE is_primary) "
                               "ON CONFLICT DO NOTHING",
                               2, NULL, values, NULL, NULL, 0);
    explicit_bzero(hex, sizeof hex);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : fail(err, errlen, "store signing key", conn);
}

static int load_row(PGresult *r, int i, dlc_secret_row *row)
{
    memset(row, 0, sizeof *row);
    snprintf(row->kid, sizeof row->kid, "%s", PQgetvalue(r, i, 0));
    row->is_primary = PQgetvalue(r, i, 2)[0] == 't';
    row->created_at_ms = strtoll(PQgetvalue(r, i, 3), NULL, 10);
    row->expires_at_ms = PQgetisnull(r, i, 4) ? 0 : strtoll(PQgetvalue(r, i, 4), NULL, 10);
    return hex_decode(PQgetvalue(r, i, 1), row->secret, sizeof row->secret, &row->secret_len);
}

int dlc_secrets_bootstrap(PGconn *conn, const char *kid, const unsigned char *secret,
                          size_t secret_len, dlc_secret_row *out, size_t max, size_t *n,
                          char *err, size_t errlen)
{
    *n = 0;
    if (secret_len > DLC_SECRET_MAX) {
        snprintf(err, errlen, "store signing key: secret longer than %d bytes", DLC_SECRET_MAX);
        return -1;
    }
    if (insert_primary(conn, kid, secret, secret_len, err, errlen) != 0)
        return -1;
    PGresult *r = PQexec(conn, "SELECT kid, encode(secret, 'hex'), is_primary, "
                               "(extract(epoch from created_at) * 1000)::bigint, "
                               "(extract(epoch from expires_at) * 1000)::bigint "
                               "FROM jwt_secrets WHERE expires_at IS NULL OR expires_at > now() "
                               "ORDER BY created_at");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return fail(err, errlen, "load signing keys", conn);
    }
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && *n < max && rc == 0; i++)
        rc = load_row(r, i, &out[(*n)++]);
    PQclear(r);
    if (rc != 0)
        snprintf(err, errlen, "load signing keys: malformed row");
    return rc;
}
