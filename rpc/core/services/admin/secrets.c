/*
 * AdminService's JWT secret methods: list the signing keys by fingerprint,
 * add one, rotate the primary.
 */
#include "rpc/core/services/admin/secrets.h"

#include "common/clock.h"
#include "dlc/v1/admin.pb-c.h"
#include "rpc/core/auth/keyring.h"
#include "rpc/core/svc.h"
#include "storage/secrets.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static Dlc__V1__JwtSecret *to_message(dlc_call *call, const dlc_secret_info *info, int64_t now)
{
    Dlc__V1__JwtSecret *m =
        (Dlc__V1__JwtSecret *)dlc_call_message(call, &dlc__v1__jwt_secret__descriptor);
    if (!m)
        return NULL;
    m->kid = dlc_arena_strdup(call->arena, info->kid);
    m->is_primary = info->is_primary;
    m->created_at_unix = info->created_at_ms / 1000;
    m->expires_at_unix = info->expires_at_ms / 1000;
    m->age_seconds = (now - info->created_at_ms) / 1000;
    m->is_expired = info->expires_at_ms != 0 && info->expires_at_ms <= now;
    m->secret_sha256 = dlc_arena_strdup(call->arena, info->fingerprint);
    return m->kid && m->secret_sha256 ? m : NULL;
}

dlc_code dlc_svc_admin_secrets_list(dlc_call *call, const ProtobufCMessage *in,
                                    ProtobufCMessage **out)
{
    (void)in;
    dlc_secret_info *infos = NULL;
    size_t n = 0;
    dlc_db_rc rc = dlc_secrets_list(dlc_svc_db(call), call->deadline_ms, &infos, &n);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "list jwt secrets", NULL);
    Dlc__V1__ListJwtSecretsResponse *r = (Dlc__V1__ListJwtSecretsResponse *)dlc_call_message(
        call, &dlc__v1__list_jwt_secrets_response__descriptor);
    Dlc__V1__JwtSecret **items = dlc_arena_zalloc(call->arena, (n ? n : 1) * sizeof *items);
    int64_t now = dlc_clock_wall_ms();
    bool ok = r && items;
    for (size_t i = 0; ok && i < n; i++)
        ok = (items[i] = to_message(call, &infos[i], now)) != NULL;
    free(infos);
    if (!ok)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    r->count = (int32_t)n;
    r->secrets = items;
    r->n_secrets = n;
    *out = &r->base;
    return DLC_OK;
}

/* expires_in beyond this is a mistake (and would overflow milliseconds). */
#define MAX_EXPIRES_IN_S (INT64_C(10) * 365 * 86400)

/* Stores a secret; a primary retires the previous one after the retention
 * period. Answers with the new entry (found again by its kid). */
static dlc_code store(dlc_call *call, const unsigned char *secret, size_t len, bool primary,
                      int64_t expires_in_s, ProtobufCMessage **out)
{
    const dlc_config *cfg = dlc_svc_config(call);
    int64_t now = dlc_clock_wall_ms();
    int64_t retire = primary ? now + dlc_keyring_retention_ms(
                                         cfg->auth.jwt.ttl_ms,
                                         cfg->auth.jwt.secret_retention.retention_factor,
                                         cfg->auth.jwt.secret_retention.max_retention_ms)
                             : 0;
    char kid[64];
    dlc_keyring_generate(kid, NULL);
    dlc_secret_new s = {kid, secret, len, primary, expires_in_s ? now + expires_in_s * 1000 : 0,
                        retire, DLC_KEYRING_MAX_KEYS};
    dlc_secret_add_rc added;
    dlc_db_rc rc = dlc_secrets_add(dlc_svc_db(call), &s, call->deadline_ms, &added);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "store jwt secret", NULL);
    if (added == DLC_SECRET_KID_TAKEN)
        return dlc_call_fail(call, DLC_ABORTED, NULL, "key id collision; retry");
    if (added == DLC_SECRET_TOO_MANY)
        return dlc_call_fail(call, DLC_ABORTED, "too_many_secrets",
                             "at most %d live signing secrets: let one expire, or clean up "
                             "expired ones, first",
                             DLC_KEYRING_MAX_KEYS);
    dlc_secret_info *infos = NULL;
    size_t n = 0;
    rc = dlc_secrets_list(dlc_svc_db(call), call->deadline_ms, &infos, &n);
    Dlc__V1__JwtSecret *m = NULL;
    for (size_t i = 0; rc == DLC_DB_OK && i < n; i++) {
        if (strcmp(infos[i].kid, kid) == 0)
            m = to_message(call, &infos[i], now);
    }
    free(infos);
    if (!m)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "the new secret could not be read back");
    *out = &m->base;
    return DLC_OK;
}

static bool secret_ok(dlc_call *call, const char *field, size_t len)
{
    if (len >= DLC_KEYRING_MIN_SECRET && len <= DLC_KEYRING_MAX_SECRET)
        return true;
    dlc_status_violation(&call->status, field, "must be %d to %d bytes", DLC_KEYRING_MIN_SECRET,
                         DLC_KEYRING_MAX_SECRET);
    return false;
}

dlc_code dlc_svc_admin_secrets_add(dlc_call *call, const ProtobufCMessage *in,
                                   ProtobufCMessage **out)
{
    const Dlc__V1__AddJwtSecretRequest *rq = (const Dlc__V1__AddJwtSecretRequest *)in;
    bool ok = secret_ok(call, "secret", strlen(rq->secret));
    if (rq->expires_in < 0 || rq->expires_in > MAX_EXPIRES_IN_S) {
        dlc_status_violation(&call->status, "expires_in", "must be 0 to %lld seconds (10 years)",
                             (long long)MAX_EXPIRES_IN_S);
        ok = false;
    }
    if (!ok)
        return dlc_call_fail(call, DLC_INVALID_ARGUMENT, "invalid_argument", "invalid secret");
    return store(call, (const unsigned char *)rq->secret, strlen(rq->secret), rq->is_primary,
                 rq->expires_in, out);
}

dlc_code dlc_svc_admin_secrets_rotate(dlc_call *call, const ProtobufCMessage *in,
                                      ProtobufCMessage **out)
{
    const Dlc__V1__RotateJwtSecretRequest *rq = (const Dlc__V1__RotateJwtSecretRequest *)in;
    size_t len = strlen(rq->new_secret);
    if (len && !secret_ok(call, "new_secret", len))
        return dlc_call_fail(call, DLC_INVALID_ARGUMENT, "invalid_argument", "invalid secret");
    unsigned char generated[DLC_KEYRING_GENERATED_SECRET];
    if (!len)
        dlc_keyring_generate(NULL, generated);
    dlc_code code = store(call, len ? (const unsigned char *)rq->new_secret : generated,
                          len ? len : sizeof generated, true, 0, out);
    sodium_memzero(generated, sizeof generated);
    return code;
}
