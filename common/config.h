/*
 * dlc_config: the one configuration loader of every dlc binary.
 *
 * Precedence: defaults < YAML file (--config) < DLC_ environment variables
 * < flags (dlc_config_set). Both daemons read the same file; each uses its
 * own sections. Keys are described once, in a schema table in config.c.
 *
 * Environment names: "DLC_" + the dotted key upper-cased with '.' → '_'
 * (database.host → DLC_DATABASE_HOST, api.v2_enabled → DLC_API_V2_ENABLED).
 * Lists are comma-separated there and in flags. Durations are written
 * "250ms", "90s", "15m", "1h", or combined ("1h30m"); "0" is zero.
 *
 * In the file, a list key takes a YAML sequence (block or flow) or a single
 * scalar, read like the environment form ("a, b" → [a, b]). Environment and
 * flag lists: items trimmed, empty items dropped, so "" is the empty list.
 * Booleans: true/false, yes/no, on/off, 1/0 (any case). Enum values match
 * without regard to case and are stored in their documented spelling.
 * Sections nest as YAML mappings; a dotted key ("rpc.workers: 4") is read
 * the same. Unknown or repeated keys in the file and unknown flag keys are
 * errors; unknown DLC_* variables are ignored (other tools share the
 * prefix). Values of secret keys (passwords, the JWT secret, database.url)
 * never appear in error messages.
 *
 * Ownership: every string and list inside a dlc_config is owned by it and
 * released by dlc_config_free. Functions that fail part-way leave c valid
 * but partly updated: keep the previous snapshot until a load succeeds.
 */
#ifndef DLC_CONFIG_H
#define DLC_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char **items;
    size_t count;
} dlc_strlist;

/* A rate-limit policy: `burst` requests at once, refilled at `requests` per
 * `window`. */
typedef struct {
    int requests;
    int64_t window_ms;
    int burst;
} dlc_rate_policy;

typedef struct dlc_config {
    struct {
        char *listen;
        int threads;
        int64_t max_body_bytes;
        int64_t request_timeout_ms;
        dlc_strlist trusted_proxies;
        char *docs_dir; /* swagger-ui-dist for /api/docs; "": the build's */
    } server;
    struct {
        dlc_strlist listen;
        dlc_strlist endpoints;
        dlc_strlist trusted_peers; /* "ipc", addresses, CIDR ranges: x-client-ip believed */
        int workers;               /* event-loop threads; 0: one per CPU */
        int max_in_flight;         /* requests a core serves at once */
        int64_t max_message_bytes;
        int64_t default_timeout_ms;
        char *reflection; /* admin | public: who may list methods (ListServices) */
    } rpc;
    struct {
        char *url;
        char *host;
        int port;
        char *user;
        char *password;
        char *password_file; /* read into password (containers' secrets) */
        char *name;
        char *ssl_mode;
        int64_t statement_timeout_ms;
        int pool_size; /* connections per core, shared out among its loops */
        bool auto_migrate;
    } database;
    struct {
        char *admin_master_password;
        char *admin_master_password_file;
        struct {
            char *secret;
            char *secret_file;
            int64_t ttl_ms;
            char *issuer;
            char *audience;
            int64_t leeway_ms;
            struct {
                double retention_factor;
                int64_t max_retention_ms;
                int64_t cleanup_interval_ms;
            } secret_retention;
        } jwt;
        struct {
            char *hash_strength; /* interactive | moderate | min */
        } password;
        struct {
            int64_t code_ttl_ms; /* how long a reset code an admin got is valid */
            int max_failures;    /* wrong codes that withdraw the permission */
        } password_reset;
    } auth;
    struct {
        bool v2_enabled;
    } api;
    struct {
        bool enabled;
        int requests_per_minute; /* the greet policy (per client) */
        int burst_size;
        char *store;     /* memory | postgres */
        int max_keys;    /* per policy */
        int ipv6_prefix; /* an IPv6 client is its first ipv6_prefix bits */
        dlc_rate_policy login_per_ip, login_per_user, login_per_user_total, master_global;
        dlc_rate_policy register_per_ip, register_global, reset_per_ip, reset_global;
        dlc_rate_policy reset_per_user;
    } ratelimit;
    struct {
        int64_t ttl_ms; /* a keyed write's answer is replayed this long */
        int max_keys;   /* live keys per caller; more are refused (429) */
    } idempotency;
    struct {
        bool enabled;
        int default_ttl_seconds; /* responses without a TTL of their own (info) */
        int greet_ttl_seconds;
        int cleanup_interval_seconds;
        int max_entries;
        int64_t max_bytes;
    } cache;
    struct {
        char *level; /* debug | info | warn | error */
        bool json;
        bool access; /* one line per request (gateway) and per call (core) */
    } logging;
    struct {
        char *listen; /* the core's /metrics, /livez, /readyz; "" → none */
    } admin;
    struct {
        bool enabled;   /* export spans (OTLP/HTTP JSON) */
        char *endpoint; /* "http://host:port" of the collector */
        struct {
            char *type;
            double ratio;
        } sampler;
    } telemetry;
    char *source_file; /* the file loaded, or NULL */
} dlc_config;

/* Where and why a configuration was refused. file is "" for the environment
 * ("env") and flags ("flag") cases, named in source. line is 0 when unknown. */
typedef struct {
    char source[256]; /* file path, "env" or "flag" */
    int line;
    char key[128]; /* dotted key, e.g. "rpc.workers" */
    char message[256];
} dlc_config_error;

/* Fills c with the documented defaults (c is overwritten, not freed).
 * Call dlc_config_free after, whatever the later steps return. */
void dlc_config_defaults(dlc_config *c);

/* Applies a YAML file on top of c. Unknown keys, wrong types and invalid
 * values are errors naming file, line and key. Returns 0 or -1 (err filled).
 * Records path in c->source_file. */
int dlc_config_load_file(dlc_config *c, const char *path, dlc_config_error *err);

/* Applies every DLC_* variable of envp (NULL-terminated, like environ; NULL
 * applies nothing) that names a known key. Returns 0 or -1 (err filled,
 * source "env"). */
int dlc_config_apply_env(dlc_config *c, char *const *envp, dlc_config_error *err);

/* Sets one dotted key from text (a flag). Lists take comma-separated text and
 * replace the whole list. Returns 0 or -1 (err filled, source "flag"). */
/* Reads the secrets named by *_file keys (auth.admin_master_password_file,
 * auth.jwt.secret_file, database.password_file) into their keys: the whole
 * file, one trailing newline dropped. Setting a key and its _file both is
 * an error, as is a file that cannot be read. 0, or -1 (err filled). */
int dlc_config_read_secret_files(dlc_config *c, dlc_config_error *err);

/* True when key holds a secret (never given on a command line, never
 * quoted in messages). */
bool dlc_config_key_is_secret(const char *key);

int dlc_config_set(dlc_config *c, const char *key, const char *value, dlc_config_error *err);

/* Writes c as YAML, every key in schema order, nested by section; secret
 * values that are set read "<redacted>" when redact (config_doc.c). */
void dlc_config_write_yaml(const dlc_config *c, FILE *out, bool redact);
/* The Markdown table of every key: name, DLC_ variable, default, accepted
 * values, whether a hot reload applies it (docs/configuration.md). */
void dlc_config_write_reference(FILE *out);

/* Cross-field checks after all layers (e.g. workers ≥ 1, non-empty listen).
 * Returns 0 or -1 (err filled; source is c->source_file or "config"). */
int dlc_config_validate(const dlc_config *c, dlc_config_error *err);

/* defaults + file (when path non-NULL) + env + validate, in that order. */
int dlc_config_load(dlc_config *c, const char *path, char *const *envp, dlc_config_error *err);

/* "file:line: key: message" (or "env: key: message"); returns buf. */
const char *dlc_config_error_format(const dlc_config_error *err, char *buf, size_t len);

/* Deep copy (for reload snapshots); dst is overwritten, not freed. Returns 0,
 * or -1 on allocation failure (dst then holds nothing to free). */
int dlc_config_copy(dlc_config *dst, const dlc_config *src);

void dlc_config_free(dlc_config *c);

/* Parses "90s", "15m", "1h30m", "250ms", "0" into milliseconds. 0 or -1.
 * Units ms, s, m, h; a bare number other than 0, a sign, a fraction, spaces
 * or overflow are refused. */
int dlc_config_parse_duration(const char *text, int64_t *ms_out);

/* Sets dst's key to src's value (a deep copy; dst's old value freed).
 * 0, or -1 for an unknown key or out of memory (dst unchanged). */
int dlc_config_copy_key(dlc_config *dst, const dlc_config *src, const char *key);

/* Whether a change of this dotted key takes effect on hot reload (false for
 * keys that need a restart, and for unknown keys). */
bool dlc_config_key_reloadable(const char *key);

/* Compares every key of a and b; stores the first max differing dotted keys
 * (static strings, in schema order) in keys_out and returns how many keys
 * differ in all, which may exceed max. keys_out may be NULL when max is 0. */
size_t dlc_config_diff(const dlc_config *a, const dlc_config *b, const char **keys_out, size_t max);

#endif
