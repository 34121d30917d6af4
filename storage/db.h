/*
 * dlc_db: a small pool of PostgreSQL connections with deadlines and
 * self-healing.
 *
 * Each event loop of the core owns one pool (only its fibers use it, so no
 * locks); tools and background threads use a pool of one. A round trip
 * borrows a free connection (an open one first) and gives it back at once,
 * so a request holds none while it waits for anything else (a password
 * hash). When every connection is lent, a fiber waits its turn in FIFO
 * order, bounded by its deadline. Connecting is lazy and asynchronous
 * (PQconnectStartParams + poll), bounded by the caller's deadline. Every
 * query is a prepared statement from the registry given at open time,
 * prepared on each (re)connect, and run asynchronously (PQsendQueryPrepared
 * + poll) so it never waits past its deadline. Every wait on a socket goes
 * through dlc_loop_wait_fd: inside a fiber it suspends the fiber and the
 * loop thread serves other requests; elsewhere it is a plain poll().
 *
 * When the server goes away, calls fail promptly with DLC_DB_UNAVAILABLE;
 * the connection is dropped and re-established on a later call, with
 * exponential backoff (100 ms doubling to 5 s) between attempts — during the
 * backoff window calls fail at once without touching the network.
 *
 * Connection target: database.url wins when set; otherwise host, port, user,
 * password, name (dbname), ssl_mode (sslmode) — empty strings / 0 leave the
 * keyword out so libpq falls back to its PG* environment variables.
 *
 * Session settings applied on connect: statement_timeout (from params),
 * client_connection_check_interval = 1s (a backend notices a vanished client),
 * application_name = params.application_name.
 *
 * This header is what code outside storage/ sees: no SQL, no libpq. The
 * statement runner and the result helpers of the table modules are in
 * storage/db_internal.h.
 */
#ifndef DLC_DB_H
#define DLC_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A raw blocking connection (start-up work, listener threads), opaque
 * outside storage/. The tag is libpq's own (PGconn is struct pg_conn), so
 * storage passes it to libpq as it is and nobody else needs libpq-fe.h. */
typedef struct pg_conn dlc_conn;

/* A named prepared statement. Storage modules own static tables of these. */
typedef struct {
    const char *name;
    const char *sql;
    int nparams; /* parameter types are inferred by the server */
} dlc_db_stmt;

typedef struct {
    const char *url;      /* "postgresql://…" or "" */
    const char *host;     /* "" → PGHOST */
    int port;             /* 0 → PGPORT */
    const char *user;     /* "" → PGUSER */
    const char *password; /* "" → PGPASSWORD / .pgpass */
    const char *name;     /* database name; "" → PGDATABASE */
    const char *ssl_mode; /* "" → PGSSLMODE */
    int64_t statement_timeout_ms;
    const char *application_name;
} dlc_db_params;

/* A copy of dlc_db_params that owns its strings (for connections made
 * later, e.g. on reconnect). */
typedef struct {
    dlc_db_params p; /* its strings point into owned */
    char *owned[7];
} dlc_db_settings;

/* Deep-copies src into dst (NULL strings become ""). false on OOM; release
 * dst in every case. */
bool dlc_db_settings_copy(dlc_db_settings *dst, const dlc_db_params *src);
/* Frees the strings, wiping the password first. */
void dlc_db_settings_release(dlc_db_settings *s);

/* The reconnect backoff after one more failure: 0 (healthy) → 100 ms,
 * doubling up to 5 s. */
int64_t dlc_db_backoff_next(int64_t current_ms);

typedef enum {
    DLC_DB_OK = 0,
    DLC_DB_TIMEOUT,     /* the deadline passed (client side, or statement_timeout) */
    DLC_DB_UNAVAILABLE, /* cannot reach the server / connection lost */
    DLC_DB_ERROR,       /* the server answered with an error (see sqlstate) */
} dlc_db_rc;

typedef struct dlc_db dlc_db;

/* A pool of size connections (0 → 1). Copies params (the strings too).
 * stmts (n entries) must outlive the dlc_db. Does not connect. Returns NULL
 * on allocation failure. Free with dlc_db_close. Used by one thread (one
 * event loop's fibers, or one ordinary thread) at a time. */
dlc_db *dlc_db_open_pool(const dlc_db_params *params, const dlc_db_stmt *stmts, size_t n,
                         size_t size);
/* dlc_db_open_pool with one connection. */
dlc_db *dlc_db_open(const dlc_db_params *params, const dlc_db_stmt *stmts, size_t n);
void dlc_db_close(dlc_db *db);

/* Health probe: runs a trivial round trip ("SELECT 1") within the deadline,
 * reconnecting if needed (ignoring backoff). OK when the database answers. */
dlc_db_rc dlc_db_ping(dlc_db *db, int64_t deadline_ms, char *errbuf, size_t errlen);

/* True when a connection of the pool is currently established. */
bool dlc_db_connected(const dlc_db *db);

/* Statements sent whose results have not been read yet (callers that gave
 * up included): 0 on a pool at rest. */
size_t dlc_db_in_flight(const dlc_db *db);

/* Figures of every pool of the process (metrics), read from any thread:
 * connections with statements out, and fibers waiting for room on one. */
typedef struct {
    long busy_connections;
    long waiting;
} dlc_db_counts;
void dlc_db_stats(dlc_db_counts *out);

/* A blocking connection for tools and the migration runner (not for the
 * request path): connects with params, applies the session settings.
 * Returns NULL and fills errbuf on failure. The caller closes it with
 * dlc_db_disconnect. */
dlc_conn *dlc_db_connect_blocking(const dlc_db_params *params, char *errbuf, size_t errlen);
/* Closes a connection of dlc_db_connect_blocking (NULL is a no-op). */
void dlc_db_disconnect(dlc_conn *conn);

/* Human name of a code ("ok", "timeout", "unavailable", "error"). */
const char *dlc_db_rc_name(dlc_db_rc rc);

#endif
