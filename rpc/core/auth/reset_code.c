/* dlc_reset_code: generation, shape check and digest of reset codes. */
#include "rpc/core/auth/reset_code.h"

#include <sodium.h>
#include <string.h>

#define CODE_BYTES 18

_Static_assert(CODE_BYTES * 4 / 3 == DLC_RESET_CODE_LEN, "a code is its bytes in base64");

void dlc_reset_code_digest(const char *code, char digest[DLC_RESET_CODE_DIGEST_LEN + 1])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)code, strlen(code));
    sodium_bin2hex(digest, DLC_RESET_CODE_DIGEST_LEN + 1, d, sizeof d);
}

void dlc_reset_code_new(char code[DLC_RESET_CODE_LEN + 1],
                        char digest[DLC_RESET_CODE_DIGEST_LEN + 1])
{
    unsigned char raw[CODE_BYTES];
    do { /* a leading '-' would read as an option on a command line */
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(code, DLC_RESET_CODE_LEN + 1, raw, sizeof raw,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    } while (code[0] == '-');
    sodium_memzero(raw, sizeof raw);
    dlc_reset_code_digest(code, digest);
}

bool dlc_reset_code_shape_ok(const char *code)
{
    size_t n = strlen(code);
    return n == DLC_RESET_CODE_LEN &&
           strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}
