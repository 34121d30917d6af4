/*
 * Configuration: the schema table, and loading through it — defaults, the
 * YAML file, the environment, flags, secret files, validation. The same
 * table drives copy, free and diff (config_copy.c, through config_keys.h),
 * so a key added to it is handled everywhere and validated the same way
 * whatever its source.
 */
#include "common/config.h"
#include "common/netaddr.h"

#include "common/config_keys.h"
#include "common/config_value.h"
#include "common/config_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Short names of the value types (config_value.h), for the table and switches. */
#define T_STR DLC_CONFIG_VALUE_STR
#define T_ENUM DLC_CONFIG_VALUE_ENUM
#define T_INT DLC_CONFIG_VALUE_INT
#define T_I64 DLC_CONFIG_VALUE_I64
#define T_DUR DLC_CONFIG_VALUE_DUR
#define T_BOOL DLC_CONFIG_VALUE_BOOL
#define T_DBL DLC_CONFIG_VALUE_DBL
#define T_LIST DLC_CONFIG_VALUE_LIST

typedef dlc_config_key key_def;

#define SEC DLC_CONFIG_VALUE_SEC
#define HOUR DLC_CONFIG_VALUE_HOUR
#define MIB (1024LL * 1024)
#define KEY(n, t, member, d) .name = n, .type = t, .off = offsetof(dlc_config, member), .def = d

/* ratelimit.<member>.{requests,window,burst}, all hot-reloadable. */
#define POLICY(member, req, win, bur)                                                           \
    {KEY("ratelimit." #member ".requests", T_INT, ratelimit.member.requests, req), .lo = 1,      \
     .hi = 1000000, .flags = F_RELOAD},                                                           \
    {KEY("ratelimit." #member ".window", T_DUR, ratelimit.member.window_ms, win), .lo = SEC,     \
     .hi = 24 * HOUR, .flags = F_RELOAD},                                                         \
    {KEY("ratelimit." #member ".burst", T_INT, ratelimit.member.burst, bur), .lo = 1,            \
     .hi = 1000000, .flags = F_RELOAD}

static const char *const ssl_modes[] = {"disable",   "allow",       "prefer", "require",
                                        "verify-ca", "verify-full", NULL};
static const char *const strengths[] = {"interactive", "moderate", "min", NULL};
static const char *const stores[] = {"memory", "postgres", NULL};
static const char *const reflections[] = {"admin", "public", NULL};
static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const samplers[] = {"always_on",
                                       "always_off",
                                       "traceidratio",
                                       "parentbased_always_on",
                                       "parentbased_always_off",
                                       "parentbased_traceidratio",
                                       NULL};

static const key_def keys[] = {
    {KEY("server.listen", T_STR, server.listen, "0.0.0.0:8080"), .flags = F_NONEMPTY},
    {KEY("server.threads", T_INT, server.threads, "1280"), .lo = 1, .hi = 4096},
    {KEY("server.max_body_bytes", T_I64, server.max_body_bytes, "65536"), .lo = 1, .hi = 256 * MIB},
    {KEY("server.request_timeout", T_DUR, server.request_timeout_ms, "5s"), .lo = 1, .hi = HOUR},
    {KEY("server.trusted_proxies", T_LIST, server.trusted_proxies, "")},
    /* swagger-ui-dist for /api/docs; "": build/npm of the source tree (gateway/docs.h) */
    {KEY("server.docs_dir", T_STR, server.docs_dir, "")},
    {KEY("rpc.listen", T_LIST, rpc.listen, "tcp://127.0.0.1:7070")},
    {KEY("rpc.endpoints", T_LIST, rpc.endpoints, "tcp://127.0.0.1:7070")},
    {KEY("rpc.trusted_peers", T_LIST, rpc.trusted_peers, "ipc,127.0.0.1,::1")},
    /* Event-loop threads of the core; 0: one per CPU. */
    {KEY("rpc.workers", T_INT, rpc.workers, "0"), .lo = 0, .hi = 64},
    {KEY("rpc.max_in_flight", T_INT, rpc.max_in_flight, "256"), .lo = 1, .hi = 65536},
    {KEY("rpc.max_message_bytes", T_I64, rpc.max_message_bytes, "1048576"), .lo = 1024,
     .hi = 256 * MIB},
    {KEY("rpc.default_timeout", T_DUR, rpc.default_timeout_ms, "5s"), .lo = 1, .hi = HOUR},
    /* Who may call SystemService/ListServices and GetFileDescriptorSet. */
    {KEY("rpc.reflection", T_ENUM, rpc.reflection, "admin"), .choices = reflections,
     .flags = F_RELOAD},
    /* A postgresql:// URL may carry the password. */
    {KEY("database.url", T_STR, database.url, ""), .flags = F_SECRET},
    {KEY("database.host", T_STR, database.host, "")},
    {KEY("database.port", T_INT, database.port, "5432"), .lo = 1, .hi = 65535},
    {KEY("database.user", T_STR, database.user, "")},
    {KEY("database.password", T_STR, database.password, ""), .flags = F_SECRET},
    {KEY("database.password_file", T_STR, database.password_file, "")},
    {KEY("database.name", T_STR, database.name, "dlc")},
    {KEY("database.ssl_mode", T_ENUM, database.ssl_mode, "prefer"), .choices = ssl_modes},
    /* 0 is PostgreSQL's "no timeout". */
    {KEY("database.statement_timeout", T_DUR, database.statement_timeout_ms, "5s"), .lo = 0,
     .hi = 24 * HOUR},
    {KEY("database.pool_size", T_INT, database.pool_size, "8"), .lo = 1, .hi = 1024},
    {KEY("database.auto_migrate", T_BOOL, database.auto_migrate, "true")},
    /* reloadable: a new master password revokes every master-password token */
    {KEY("auth.admin_master_password", T_STR, auth.admin_master_password, ""),
     .flags = F_SECRET | F_RELOAD},
    {KEY("auth.admin_master_password_file", T_STR, auth.admin_master_password_file, ""),
     .flags = F_RELOAD},
    {KEY("auth.jwt.secret", T_STR, auth.jwt.secret, ""), .flags = F_SECRET},
    {KEY("auth.jwt.secret_file", T_STR, auth.jwt.secret_file, "")},
    {KEY("auth.jwt.ttl", T_DUR, auth.jwt.ttl_ms, "1h"), .lo = SEC, .hi = 720 * HOUR,
     .flags = F_RELOAD},
    {KEY("auth.jwt.issuer", T_STR, auth.jwt.issuer, "dlc")},
    {KEY("auth.jwt.audience", T_STR, auth.jwt.audience, "dlc")},
    {KEY("auth.jwt.leeway", T_DUR, auth.jwt.leeway_ms, "30s"), .lo = 0, .hi = HOUR},
    {KEY("auth.jwt.secret_retention.retention_factor", T_DBL,
         auth.jwt.secret_retention.retention_factor, "2.0"),
     .lo = 1, .hi = 100},
    {KEY("auth.jwt.secret_retention.max_retention", T_DUR,
         auth.jwt.secret_retention.max_retention_ms, "72h"),
     .lo = 0, .hi = 8760 * HOUR},
    {KEY("auth.jwt.secret_retention.cleanup_interval", T_DUR,
         auth.jwt.secret_retention.cleanup_interval_ms, "1h"),
     .lo = SEC, .hi = 24 * HOUR},
    {KEY("auth.password.hash_strength", T_ENUM, auth.password.hash_strength, "interactive"),
     .choices = strengths},
    {KEY("auth.password_reset.code_ttl", T_DUR, auth.password_reset.code_ttl_ms, "24h"),
     .lo = SEC, .hi = 720 * HOUR, .flags = F_RELOAD},
    {KEY("auth.password_reset.max_failures", T_INT, auth.password_reset.max_failures, "5"),
     .lo = 1, .hi = 100, .flags = F_RELOAD},
    {KEY("api.v2_enabled", T_BOOL, api.v2_enabled, "false"), .flags = F_RELOAD},
    {KEY("ratelimit.enabled", T_BOOL, ratelimit.enabled, "true"), .flags = F_RELOAD},
    /* The limiter's finest rate is one per millisecond. */
    {KEY("ratelimit.requests_per_minute", T_INT, ratelimit.requests_per_minute, "60"), .lo = 1,
     .hi = 60000, .flags = F_RELOAD},
    {KEY("ratelimit.burst_size", T_INT, ratelimit.burst_size, "10"), .lo = 1, .hi = 1000000,
     .flags = F_RELOAD},
    {KEY("ratelimit.store", T_ENUM, ratelimit.store, "memory"), .choices = stores},
    {KEY("ratelimit.max_keys", T_INT, ratelimit.max_keys, "100000"), .lo = 1, .hi = 10000000},
    {KEY("ratelimit.ipv6_prefix", T_INT, ratelimit.ipv6_prefix, "64"), .lo = 1, .hi = 128,
     .flags = F_RELOAD},
    POLICY(login_per_ip, "30", "1m", "10"),
    POLICY(login_per_user, "10", "15m", "5"),
    POLICY(login_per_user_total, "100", "15m", "30"),
    POLICY(master_global, "30", "1m", "10"),
    POLICY(register_per_ip, "20", "1h", "10"),
    POLICY(register_global, "600", "1h", "60"),
    POLICY(reset_per_ip, "10", "1h", "5"),
    POLICY(reset_global, "300", "1h", "30"),
    POLICY(reset_per_user, "3", "1h", "3"),
    /* answers kept for repeats of keyed writes: how long, how many per caller */
    {KEY("idempotency.ttl", T_DUR, idempotency.ttl_ms, "24h"), .lo = SEC, .hi = 720 * HOUR,
     .flags = F_RELOAD},
    {KEY("idempotency.max_keys", T_INT, idempotency.max_keys, "1000"), .lo = 1, .hi = 1000000,
     .flags = F_RELOAD},
    {KEY("cache.enabled", T_BOOL, cache.enabled, "true")},
    {KEY("cache.default_ttl_seconds", T_INT, cache.default_ttl_seconds, "300"), .lo = 1,
     .hi = 30 * 86400, .flags = F_RELOAD},
    {KEY("cache.greet_ttl_seconds", T_INT, cache.greet_ttl_seconds, "60"), .lo = 1,
     .hi = 30 * 86400, .flags = F_RELOAD},
    {KEY("cache.max_entries", T_INT, cache.max_entries, "10000"), .lo = 1, .hi = 10000000},
    {KEY("cache.max_bytes", T_I64, cache.max_bytes, "16777216"), .lo = 4096, .hi = 4096 * MIB},
    {KEY("cache.cleanup_interval_seconds", T_INT, cache.cleanup_interval_seconds, "600"), .lo = 1,
     .hi = 86400, .flags = F_RELOAD},
    {KEY("logging.level", T_ENUM, logging.level, "info"), .choices = levels, .flags = F_RELOAD},
    {KEY("logging.json", T_BOOL, logging.json, "true")},
    {KEY("logging.access", T_BOOL, logging.access, "true"), .flags = F_RELOAD},
    /* The core's admin HTTP listener (metrics, probes); "": none. */
    {KEY("admin.listen", T_STR, admin.listen, "127.0.0.1:9091")},
    {KEY("telemetry.enabled", T_BOOL, telemetry.enabled, "false")},
    /* OTLP/HTTP collector: spans go to <endpoint>/v1/traces */
    {KEY("telemetry.endpoint", T_STR, telemetry.endpoint, "http://127.0.0.1:4318"),
     .flags = F_NONEMPTY},
    {KEY("telemetry.sampler.type", T_ENUM, telemetry.sampler.type, "parentbased_always_on"),
     .choices = samplers, .flags = F_RELOAD},
    {KEY("telemetry.sampler.ratio", T_DBL, telemetry.sampler.ratio, "1.0"), .lo = 0, .hi = 1,
     .flags = F_RELOAD},
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* ---- errors ------------------------------------------------------------ */

/* Where the text being applied came from; err may be NULL (defaults). */
typedef struct {
    dlc_config_error *err;
    const char *source;
    int line;
} origin;

static int vfail(const origin *o, const char *key, const char *fmt, va_list ap)
{
    if (!o->err)
        return -1;
    dlc_config_error *e = o->err;
    snprintf(e->source, sizeof e->source, "%s", o->source);
    e->line = o->line;
    snprintf(e->key, sizeof e->key, "%s", key);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    return -1;
}

static int fail(const origin *o, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(o, key, fmt, ap);
    va_end(ap);
    return -1;
}

static int bad_value(const origin *o, const key_def *k, const char *text)
{
    if (k->flags & F_SECRET)
        return fail(o, k->name, "invalid value");
    char want[160];
    dlc_config_value_describe(k->type, k->lo, k->hi, k->choices, want, sizeof want);
    return fail(o, k->name, "invalid value \"%.64s\": expected %s", text, want);
}

/* ---- setting one key from text ----------------------------------------- */

const dlc_config_key *dlc_config_key_find(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

const dlc_config_key *dlc_config_keys(size_t *n)
{
    *n = NKEYS;
    return keys;
}

/* "auth.jwt" is a section: a mapping in the file, never a value. */
static bool is_section(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < NKEYS; i++)
        if (strncmp(keys[i].name, name, n) == 0 && keys[i].name[n] == '.')
            return true;
    return false;
}

static int store_string(char **slot, const char *s, const origin *o, const key_def *k)
{
    char *copy = strdup(s);
    if (!copy)
        return fail(o, k->name, "out of memory");
    free(*slot);
    *slot = copy;
    return 0;
}

/* Takes ownership of l whatever the outcome. */
static int store_list(dlc_config *c, const key_def *k, dlc_strlist *l, const origin *o)
{
    for (size_t i = 0; i < l->count; i++) {
        if (!*l->items[i]) {
            dlc_config_value_list_free(l);
            return bad_value(o, k, "");
        }
    }
    dlc_strlist *slot = dlc_config_key_field(c, k);
    dlc_config_value_list_free(slot);
    *slot = *l;
    return 0;
}

/* The single entry point of every source, so all validate alike. */
static int set_text(dlc_config *c, const key_def *k, const char *text, const origin *o)
{
    void *f = dlc_config_key_field(c, k);
    const char *choice;
    dlc_strlist list;
    int64_t i;
    double d;
    bool b;
    switch (k->type) {
    case T_STR:
        if ((k->flags & F_NONEMPTY) && !*text)
            break;
        return store_string(f, text, o, k);
    case T_ENUM:
        if (!(choice = dlc_config_value_choice(k->choices, text)))
            break;
        return store_string(f, choice, o, k);
    case T_INT:
    case T_I64:
        if (!dlc_config_value_int64(text, k->lo, k->hi, &i))
            break;
        if (k->type == T_INT)
            *(int *)f = (int)i;
        else
            *(int64_t *)f = i;
        return 0;
    case T_DUR:
        if (!dlc_config_value_duration(text, k->lo, k->hi, &i))
            break;
        *(int64_t *)f = i;
        return 0;
    case T_BOOL:
        if (!dlc_config_value_bool(text, &b))
            break;
        *(bool *)f = b;
        return 0;
    case T_DBL:
        if (!dlc_config_value_double(text, k->lo, k->hi, &d))
            break;
        *(double *)f = d;
        return 0;
    case T_LIST:
        if (dlc_config_value_list_split(&list, text) < 0)
            return fail(o, k->name, "out of memory");
        return store_list(c, k, &list, o);
    }
    return bad_value(o, k, text);
}

/* ---- YAML file: the schema side of config_yaml.c ------------------------ */

typedef struct {
    dlc_config *c;
    origin o;         /* o.line follows the key being read */
    bool seen[NKEYS]; /* a key given twice is a mistake, whichever should win */
} file_sink;

/* Where in the file the reader is. */
static const origin *file_at(void *ctx, int line)
{
    file_sink *f = ctx;
    f->o.line = line;
    return &f->o;
}

static int file_opened(void *ctx)
{
    file_sink *f = ctx;
    char *name = strdup(f->o.source);
    if (!name)
        return fail(&f->o, "", "out of memory");
    free(f->c->source_file);
    f->c->source_file = name;
    f->o.source = name; /* the caller's path may have been the one just freed */
    return 0;
}

static int file_claim(void *ctx, int line, const char *key, dlc_config_yaml_kind *kind)
{
    file_sink *f = ctx;
    const origin *o = file_at(ctx, line);
    const key_def *k = dlc_config_key_find(key); /* NULL: key names a section, or nothing */
    if (!k && !is_section(key))
        return fail(o, key, "unknown key");
    if (k && f->seen[k - keys])
        return fail(o, key, "duplicate key");
    if (!k) {
        *kind = DLC_CONFIG_YAML_SECTION;
        return 0;
    }
    f->seen[k - keys] = true;
    *kind = k->type == T_LIST ? DLC_CONFIG_YAML_LIST : DLC_CONFIG_YAML_SCALAR;
    return 0;
}

/* key was claimed: it names a key of the schema. */
static int file_scalar(void *ctx, int line, const char *key, const char *text)
{
    file_sink *f = ctx;
    return set_text(f->c, dlc_config_key_find(key), text, file_at(ctx, line));
}

static int file_list(void *ctx, int line, const char *key, const char *const *items, size_t count)
{
    file_sink *f = ctx;
    const origin *o = file_at(ctx, line);
    const key_def *k = dlc_config_key_find(key);
    dlc_strlist l;
    if (dlc_config_value_list_dup(&l, items, count) < 0)
        return fail(o, k->name, "out of memory");
    return store_list(f->c, k, &l, o);
}

static int file_fail(void *ctx, int line, const char *key, const char *fmt, va_list ap)
{
    return vfail(file_at(ctx, line), key, fmt, ap);
}

int dlc_config_load_file(dlc_config *c, const char *path, dlc_config_error *err)
{
    static const dlc_config_yaml_sink sink = {
        .opened = file_opened,
        .claim = file_claim,
        .scalar = file_scalar,
        .list = file_list,
        .fail = file_fail,
    };
    file_sink f = {.c = c, .o = {err, path, 0}};
    return dlc_config_yaml_read(path, &sink, &f);
}

/* ---- environment and flags ---------------------------------------------- */

/* DLC_AUTH_JWT_TTL names auth.jwt.ttl; name is the part before '='. */
static bool env_names_key(const char *name, size_t len, const char *key)
{
    size_t i = 0;
    for (; i < len && key[i]; i++) {
        char want = key[i] == '.' ? '_' : (char)toupper((unsigned char)key[i]);
        if (name[i] != want)
            return false;
    }
    return i == len && !key[i];
}

static const key_def *find_env_key(const char *name, size_t len)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (env_names_key(name, len, keys[i].name))
            return &keys[i];
    return NULL;
}

int dlc_config_apply_env(dlc_config *c, char *const *envp, dlc_config_error *err)
{
    origin o = {err, "env", 0};
    for (; envp && *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        if (!eq || strncmp(*envp, "DLC_", 4) != 0)
            continue;
        const key_def *k = find_env_key(*envp + 4, (size_t)(eq - *envp - 4));
        if (k && set_text(c, k, eq + 1, &o) < 0)
            return -1;
    }
    return 0;
}

int dlc_config_set(dlc_config *c, const char *key, const char *value, dlc_config_error *err)
{
    origin o = {err, "flag", 0};
    const key_def *k = dlc_config_key_find(key);
    if (!k)
        return fail(&o, key, "unknown key");
    if (!value)
        return fail(&o, key, "missing value");
    return set_text(c, k, value, &o);
}

/* ---- whole configurations ----------------------------------------------- */

void dlc_config_defaults(dlc_config *c)
{
    origin o = {NULL, "defaults", 0};
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < NKEYS; i++)
        set_text(c, &keys[i], keys[i].def, &o);
}

/* Every entry an address or a CIDR range (or the word skip). */
static bool addresses_ok(const origin *o, const char *key, const dlc_strlist *l, const char *skip)
{
    char why[160];
    dlc_addr_list *parsed = dlc_addr_list_new(l, key, skip, why, sizeof why);
    dlc_addr_list_free(parsed);
    if (!parsed)
        fail(o, key, "%s", why);
    return parsed != NULL;
}

int dlc_config_validate(const dlc_config *c, dlc_config_error *err)
{
    origin o = {err, c->source_file ? c->source_file : "config", 0};
    int64_t ttl = c->auth.jwt.ttl_ms;
    if (c->rpc.listen.count == 0)
        return fail(&o, "rpc.listen", "must name at least one address");
    if (c->rpc.endpoints.count == 0)
        return fail(&o, "rpc.endpoints", "must name at least one address");
    if (!addresses_ok(&o, "server.trusted_proxies", &c->server.trusted_proxies, NULL) ||
        !addresses_ok(&o, "rpc.trusted_peers", &c->rpc.trusted_peers, "ipc"))
        return -1;
    if (c->auth.jwt.leeway_ms >= ttl)
        return fail(&o, "auth.jwt.leeway", "must be shorter than auth.jwt.ttl");
    size_t secret = strlen(c->auth.jwt.secret);
    if (secret > 0 && (secret < 32 || secret > 256)) /* HS256 wants the hash's size or more */
        return fail(&o, "auth.jwt.secret", "must be 32 to 256 bytes (or empty: generated)");
    if (c->auth.jwt.secret_retention.max_retention_ms < ttl)
        return fail(&o, "auth.jwt.secret_retention.max_retention",
                    "must be at least auth.jwt.ttl, or tokens outlive their secret");
    return 0;
}

int dlc_config_load(dlc_config *c, const char *path, char *const *envp, dlc_config_error *err)
{
    dlc_config_defaults(c);
    if (path && dlc_config_load_file(c, path, err) < 0)
        return -1;
    if (dlc_config_apply_env(c, envp, err) < 0 || dlc_config_read_secret_files(c, err) < 0)
        return -1;
    return dlc_config_validate(c, err);
}

/* A secret file's content, at most this long. */
#define SECRET_FILE_MAX 4096

/* path's content into buf (NUL-terminated, one trailing newline dropped).
 * 0, or an errno value (EFBIG when longer than the buffer). */
static int read_secret(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    size_t n = fread(buf, 1, len - 1, f);
    int rc = ferror(f) ? EIO : !feof(f) && fgetc(f) != EOF ? EFBIG : 0;
    fclose(f);
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return rc;
}

int dlc_config_read_secret_files(dlc_config *c, dlc_config_error *err)
{
    static const char *const pairs[][2] = {
        {"auth.admin_master_password_file", "auth.admin_master_password"},
        {"auth.jwt.secret_file", "auth.jwt.secret"},
        {"database.password_file", "database.password"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const char *path = *(char **)dlc_config_key_field(c, dlc_config_key_find(pairs[i][0]));
        const key_def *target = dlc_config_key_find(pairs[i][1]);
        if (!path || !*path)
            continue;
        origin o = {err, path, 0};
        const char *set = *(char **)dlc_config_key_field(c, target);
        if (set && *set)
            return fail(&o, pairs[i][0], "set either %s or %s, not both", pairs[i][1],
                        pairs[i][0]);
        char buf[SECRET_FILE_MAX];
        int rc = read_secret(path, buf, sizeof buf);
        if (rc != 0)
            return fail(&o, pairs[i][0], "cannot read the secret: %s",
                        rc == EFBIG ? "longer than 4 KiB" : strerror(rc));
        rc = set_text(c, target, buf, &o);
        explicit_bzero(buf, sizeof buf);
        if (rc < 0)
            return -1;
    }
    return 0;
}

bool dlc_config_key_is_secret(const char *key)
{
    const key_def *k = dlc_config_key_find(key);
    return k && (k->flags & F_SECRET);
}

const char *dlc_config_error_format(const dlc_config_error *err, char *buf, size_t len)
{
    char where[300];
    if (err->line > 0)
        snprintf(where, sizeof where, "%s:%d", err->source, err->line);
    else
        snprintf(where, sizeof where, "%s", err->source);
    if (len > 0)
        snprintf(buf, len, "%s: %s%s%s", where, err->key, *err->key ? ": " : "", err->message);
    return buf;
}
