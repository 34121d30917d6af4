/*
 * dlc_auth: the core's authentication state — hasher, keyring loading and
 * its watcher, the master password — and the access check run before every
 * non-public method.
 */
#include "rpc/core/auth/auth.h"

#include "common/clock.h"
#include "common/log.h"
#include "rpc/core/svc.h"
#include "storage/admin_tokens.h"
#include "storage/secrets.h"
#include "storage/users.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Each INTERACTIVE hash holds 64 MiB: at most this many at once (hashing
 * threads), and no more than there are CPUs: more threads would not hash
 * faster, only hold more memory and finish each hash later. */
#define MAX_CONCURRENT_HASHES 4
#define MAX_KEYS DLC_KEYRING_MAX_KEYS
/* Users whose authorization a core keeps (56 bytes each at most). */
#define PRINCIPALS_MAX 65536
/* Hashing the master password at start-up or on a reload may wait this long. */
#define MASTER_HASH_WAIT_MS 60000

/* ---- the master password ------------------------------------------------- */

/* The master password as the core checks it: its hash ("" when admin login
 * is disabled), and a digest of the text, to notice that a reload changed
 * it (the text itself stays in the configuration). */
typedef struct {
    char hash[DLC_PASSWORD_HASH_MAX];
    unsigned char digest[crypto_hash_sha256_BYTES];
} master_state;

static void master_free(void *obj)
{
    if (obj)
        sodium_memzero(obj, sizeof(master_state));
    free(obj);
}

/* A new state for master, hashed. NULL on failure. Caller owns it. */
static master_state *master_new(dlc_hasher *h, const char *master)
{
    master_state *m = calloc(1, sizeof *m);
    size_t len = strlen(master);
    if (m)
        crypto_hash_sha256(m->digest, (const unsigned char *)master, len);
    if (m && len &&
        dlc_password_hash(h, master, len, dlc_clock_mono_ms() + MASTER_HASH_WAIT_MS, m->hash) !=
            DLC_PW_OK) {
        master_free(m);
        m = NULL;
    }
    return m;
}

const char *dlc_auth_admin_hash(const dlc_auth *a)
{
    const master_state *m = dlc_snapshot_get(&a->master, NULL);
    return m ? m->hash : "";
}

/* Records master (hashed as hash) in the database unless the one recorded
 * is the same password; replacing it revokes every master-password token
 * issued so far, on every core. 0, or -1 with err filled. */
static int master_to_db(dlc_auth *a, dlc_conn *conn, const char *master, const char *hash,
                        char *err, size_t errlen)
{
    char stored[DLC_PASSWORD_HASH_MAX];
    if (dlc_admin_tokens_read(conn, stored, sizeof stored, err, errlen) != 0)
        return -1;
    bool same = master[0] ? stored[0] && dlc_password_verify(a->hasher, stored, master,
                                                             strlen(master),
                                                             dlc_clock_mono_ms() +
                                                                 MASTER_HASH_WAIT_MS) == DLC_PW_OK
                          : !stored[0];
    bool replaced = false;
    if (!same && dlc_admin_tokens_replace(conn, stored, hash, &replaced, err, errlen) != 0)
        return -1;
    if (replaced)
        dlc_log_info("master password recorded; tokens of any earlier one are revoked");
    return 0;
}

/* Watcher thread: a reload changed the master password. On a failure the
 * old one stays, and the next tick tries again. */
static void follow_master(dlc_auth *a, dlc_conn *conn)
{
    const char *master = dlc_reload_config(a->live, NULL)->auth.admin_master_password;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)master, strlen(master));
    const master_state *cur = dlc_snapshot_get(&a->master, NULL);
    if (cur && sodium_memcmp(cur->digest, digest, sizeof digest) == 0)
        return;
    master_state *m = master_new(a->hasher, master);
    char err[256] = "cannot hash it";
    if (!m || master_to_db(a, conn, master, m->hash, err, sizeof err) != 0) {
        dlc_log_warn("new master password not applied yet; the previous one stays", "error", err);
        master_free(m);
        return;
    }
    if (dlc_snapshot_publish(&a->master, m))
        dlc_log_info("master password replaced");
}

int dlc_auth_init(dlc_auth *a, const dlc_config *cfg, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (dlc_snapshot_init(&a->master, master_free) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dlc_hash_strength strength;
    if (dlc_password_parse_strength(cfg->auth.password.hash_strength, &strength) != 0) {
        snprintf(err, errlen, "auth.password.hash_strength: unknown strength");
        return -1;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cpus < 1 ? 1 : cpus < MAX_CONCURRENT_HASHES ? (int)cpus : MAX_CONCURRENT_HASHES;
    a->hasher = dlc_hasher_new(strength, threads);
    a->keyring = dlc_keyring_new();
    a->jwt = (dlc_jwt_opts){cfg->auth.jwt.issuer, cfg->auth.jwt.audience, cfg->auth.jwt.ttl_ms,
                            cfg->auth.jwt.leeway_ms};
    a->cleanup_interval_ms = cfg->auth.jwt.secret_retention.cleanup_interval_ms;
    a->principals = dlc_principals_new(PRINCIPALS_MAX);
    if (!a->hasher || !a->keyring || !a->principals) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    master_state *m = master_new(a->hasher, cfg->auth.admin_master_password);
    if (!m || !dlc_snapshot_publish(&a->master, m)) {
        snprintf(err, errlen, "auth.admin_master_password: cannot hash it");
        return -1;
    }
    return 0;
}

void dlc_auth_free(dlc_auth *a)
{
    dlc_auth_watch_stop(a);
    dlc_hasher_free(a->hasher);
    dlc_keyring_free(a->keyring);
    dlc_principals_free(a->principals);
    dlc_snapshot_destroy(&a->master);
    memset(a, 0, sizeof *a);
}

/* "cfg-" + a fingerprint: every core given the same secret names it alike. */
static void configured_kid(const char *secret, char kid[64])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)secret, strlen(secret));
    memcpy(kid, "cfg-", 5);
    sodium_bin2hex(kid + 4, 64 - 4, digest, 6);
}

static void key_from_row(const dlc_secret_row *row, dlc_keyring_key *key)
{
    _Static_assert(sizeof key->kid == sizeof row->kid, "kid sizes differ");
    _Static_assert(sizeof key->secret >= sizeof row->secret, "secret sizes differ");
    memset(key, 0, sizeof *key);
    memcpy(key->kid, row->kid, sizeof key->kid);
    key->kid[sizeof key->kid - 1] = '\0';
    memcpy(key->secret, row->secret, row->secret_len);
    key->secret_len = row->secret_len;
    key->primary = row->is_primary;
    key->created_at_ms = row->created_at_ms;
    key->expires_at_ms = row->expires_at_ms;
}

/* True when the keyring holds exactly these keys already. */
static bool unchanged(const dlc_auth *a, const dlc_keyring_key *keys, size_t n)
{
    dlc_keyring_key current[MAX_KEYS];
    size_t have = dlc_keyring_list(a->keyring, current, MAX_KEYS);
    bool same = have == n;
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(current[i].kid, keys[i].kid) == 0 &&
               current[i].primary == keys[i].primary &&
               current[i].expires_at_ms == keys[i].expires_at_ms &&
               current[i].secret_len == keys[i].secret_len &&
               sodium_memcmp(current[i].secret, keys[i].secret, keys[i].secret_len) == 0;
    sodium_memzero(current, sizeof current);
    return same;
}

/* Publishes rows as the keyring, unless nothing changed (every publish
 * keeps a retired snapshot until exit).
 * Wipes the rows. 0, or -1 (no usable primary). */
static int publish(dlc_auth *a, dlc_secret_row *rows, size_t n)
{
    dlc_keyring_key keys[MAX_KEYS];
    n = n < MAX_KEYS ? n : MAX_KEYS;
    for (size_t i = 0; i < n; i++)
        key_from_row(&rows[i], &keys[i]);
    int rc = unchanged(a, keys, n) ? 0 : dlc_keyring_set(a->keyring, keys, n);
    sodium_memzero(keys, sizeof keys);
    sodium_memzero(rows, n * sizeof *rows);
    return rc;
}

/* Every core signs with the database's primary: the configured secret, or
 * one generated here, is offered as the primary and kept only when there is
 * none yet (a rotation made since then wins). */
int dlc_auth_load_keys(dlc_auth *a, const dlc_config *cfg, dlc_conn *conn, char *err, size_t errlen)
{
    const char *configured = cfg->auth.jwt.secret;
    unsigned char secret[DLC_KEYRING_MAX_SECRET];
    size_t len = strlen(configured);
    char kid[64] = "k-";
    if (len) {
        memcpy(secret, configured, len);
        configured_kid(configured, kid);
    } else {
        len = DLC_KEYRING_GENERATED_SECRET;
        dlc_keyring_generate(kid, secret);
    }
    dlc_secret_row rows[MAX_KEYS];
    size_t n = 0;
    int rc = dlc_secrets_bootstrap(conn, kid, secret, len, rows, MAX_KEYS, &n, err, errlen);
    sodium_memzero(secret, sizeof secret);
    if (rc == 0 && publish(a, rows, n) != 0) {
        snprintf(err, errlen, "signing keys: no usable primary key");
        rc = -1;
    }
    if (rc == 0)
        rc = master_to_db(a, conn, cfg->auth.admin_master_password, dlc_auth_admin_hash(a), err,
                          errlen);
    return rc;
}

static void cleanup(dlc_auth *a)
{
    dlc_secret_info *removed = NULL;
    size_t n = 0;
    dlc_db_rc rc = dlc_secrets_cleanup(a->background, dlc_clock_mono_ms() + 10000, &removed, &n);
    if (rc != DLC_DB_OK)
        dlc_log_warn("jwt secret cleanup failed", "rc", dlc_db_rc_name(rc));
    for (size_t i = 0; i < n; i++)
        dlc_log_info("expired jwt secret removed", "kid", removed[i].kid, "secret_sha256",
                     removed[i].fingerprint);
    free(removed);
}

/* Watcher thread: jwt_secrets changed (NOTIFY) or changes may have been
 * missed (a reconnect): reload. A tick reloads only after a failed reload,
 * and runs the cleanup when due; keys that expire meanwhile are refused at
 * verification without a reload. */
static void on_secrets_changed(dlc_conn *conn, dlc_listen_event ev, void *arg)
{
    dlc_auth *a = arg;
    if (a->live)
        follow_master(a, conn);
    if (dlc_clock_mono_ms() >= a->next_cleanup_ms) {
        a->next_cleanup_ms = dlc_clock_mono_ms() + a->cleanup_interval_ms;
        cleanup(a); /* its NOTIFY brings us back here to reload */
    }
    if (ev == DLC_LISTEN_TICK && !a->reload_failed)
        return;
    dlc_secret_row rows[MAX_KEYS];
    size_t n = 0;
    char err[256] = "no usable primary key";
    a->reload_failed = dlc_secrets_load(conn, rows, MAX_KEYS, &n, err, sizeof err) != 0 ||
                       publish(a, rows, n) != 0;
    if (a->reload_failed)
        dlc_log_warn("jwt keys not reloaded; the previous ones stay", "error", err);
}

/* NOTIFY brings changes at once; the tick retries a failed reload and paces
 * the cleanup. */
#define WATCH_POLL_MS 1000

/* ---- the principal cache's listener --------------------------------------- */

static void on_users_event(dlc_conn *conn, dlc_listen_event ev, void *arg)
{
    (void)conn;
    dlc_auth *a = arg;
    if (ev == DLC_LISTEN_CONNECTED)
        dlc_principals_set_trusted(a->principals, true); /* flushes what was missed */
}

static void on_user_changed(const char *payload, void *arg)
{
    dlc_principals_invalidate_text(((dlc_auth *)arg)->principals, payload);
}

static void on_users_lost(void *arg)
{
    dlc_principals_set_trusted(((dlc_auth *)arg)->principals, false);
}

static dlc_listen *watch_users(dlc_auth *a, const dlc_db_params *db)
{
    dlc_listen_opts o = {.poll_ms = WATCH_POLL_MS,
                         .cb = on_users_event,
                         .on_payload = on_user_changed,
                         .on_lost = on_users_lost,
                         .arg = a};
    return dlc_listen_start_with(db, DLC_USERS_CHANNEL, &o);
}

int dlc_auth_watch_start(dlc_auth *a, const dlc_db_params *db, const dlc_reload *live)
{
    a->live = live;
    a->background = dlc_db_open(db, dlc_secrets_statements, dlc_secrets_statement_count);
    a->next_cleanup_ms = dlc_clock_mono_ms();
    a->watch = a->background ? dlc_listen_start(db, "dlc_jwt_secrets", WATCH_POLL_MS,
                                                    on_secrets_changed, a)
                             : NULL;
    a->users_watch = a->watch ? watch_users(a, db) : NULL;
    return a->users_watch ? 0 : -1;
}

void dlc_auth_watch_stop(dlc_auth *a)
{
    dlc_listen_stop(a->users_watch); /* the cache is untrusted from here on */
    a->users_watch = NULL;
    if (a->watch)
        dlc_listen_stop(a->watch);
    a->watch = NULL;
    dlc_db_close(a->background);
    a->background = NULL;
}

/* The token of "authorization: Bearer <token>", or NULL. */
static const char *bearer(const dlc_call *call)
{
    const char *h = dlc_call_md(call, "authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

static dlc_code revoked(dlc_call *call)
{
    return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized", "the token was revoked");
}

/* Whether user id is a live user, an admin, and the token's generation
 * (gen) its current one: from the principal cache, or (fresh, or a miss)
 * from its row, which then fills the cache. */
static dlc_code load_user(dlc_call *call, const dlc_auth *a, int64_t id, int64_t gen, bool fresh,
                          dlc_principal *out)
{
    dlc_principal_info info;
    if (fresh || !dlc_principals_get(a->principals, id, &info)) {
        uint64_t token = dlc_principals_begin(a->principals, id);
        dlc_user u = {0};
        bool found = false;
        dlc_db_rc db = dlc_users_find_by_id(dlc_svc_db(call), id, call->deadline_ms, &u, &found);
        info = (dlc_principal_info){.is_admin = u.is_admin, .token_generation = u.token_generation};
        dlc_user_clear(&u);
        if (db != DLC_DB_OK)
            return dlc_svc_db_fail(call, db, "token subject", NULL);
        if (!found)
            return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                                 "the token's user no longer exists");
        dlc_principals_put(a->principals, id, token, &info);
    }
    out->is_admin = info.is_admin;
    return info.token_generation == gen ? DLC_OK : revoked(call);
}

/* A master-password token is valid only in the current generation. */
static dlc_code check_admin_generation(dlc_call *call, int64_t gen)
{
    int64_t current = 0;
    dlc_db_rc db = dlc_admin_tokens_generation(dlc_svc_db(call), call->deadline_ms, &current);
    if (db != DLC_DB_OK)
        return dlc_svc_db_fail(call, db, "admin token generation", NULL);
    return current == gen ? DLC_OK : revoked(call);
}

/* Verifies the token and resolves who it names (a deleted user resolves to
 * nobody). OK with *out filled, or a failure code with the call's status. */
static dlc_code resolve(dlc_call *call, const char *token, bool fresh, dlc_principal *out)
{
    const dlc_auth *a = dlc_svc_of(call)->auth;
    dlc_claims c;
    dlc_jwt_rc rc = dlc_jwt_verify(a->keyring, &a->jwt, token, dlc_clock_wall_ms(), &c);
    if (rc != DLC_JWT_OK)
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized", "invalid token (%s)",
                             dlc_jwt_rc_name(rc));
    memset(out, 0, sizeof *out);
    snprintf(out->username, sizeof out->username, "%s", c.username);
    if (c.is_admin && strcmp(c.sub, "admin") == 0) {
        out->is_admin = true;
        return check_admin_generation(call, c.gen);
    }
    char *end;
    out->user_id = strtoll(c.sub, &end, 10);
    if (*end || out->user_id <= 0)
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                             "the token's user no longer exists");
    return load_user(call, a, out->user_id, c.gen, fresh, out);
}

static dlc_code authenticate(dlc_call *call, const char *token, bool fresh)
{
    dlc_principal *p = dlc_arena_alloc(call->arena, sizeof *p);
    if (!p)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    dlc_code code = resolve(call, token, fresh, p);
    if (code != DLC_OK)
        return code;
    call->principal = p;
    if (p->user_id > 0) { /* for the gateway's access log (not a header) */
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)p->user_id);
        dlc_call_add_md(call, DLC_MD_USER_ID, id);
    }
    return code;
}

dlc_code dlc_auth_authorize(dlc_call *call, dlc_access level)
{
    const char *token = bearer(call);
    if (!token)
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                             "this method needs a bearer token");
    dlc_code code = authenticate(call, token, level == DLC_ACCESS_ADMIN);
    if (code != DLC_OK)
        return code;
    const dlc_principal *p = call->principal;
    if (level == DLC_ACCESS_ADMIN && !p->is_admin)
        return dlc_call_fail(call, DLC_PERMISSION_DENIED, "forbidden",
                             "this method is for administrators");
    return DLC_OK;
}

const dlc_principal *dlc_auth_optional(dlc_call *call, bool *failed)
{
    const char *token = bearer(call);
    *failed = token && authenticate(call, token, false) != DLC_OK;
    return *failed ? NULL : call->principal;
}
