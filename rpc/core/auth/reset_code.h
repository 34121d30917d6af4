/*
 * dlc_reset_code: the one-time codes of admin-assisted password resets.
 * A code is 18 random bytes (144 bits) in URL-safe base64 without padding:
 * 24 characters of [A-Za-z0-9_-], easy to hand over and to paste (never
 * starting with '-', which a command line would take for an option: 1/64
 * of the codes are drawn again, a loss of 0.02 bits). Only its
 * SHA-256 is stored: with that much entropy a fast hash is enough (nobody
 * can search 2^144 codes), and a stolen row gives no code away.
 */
#ifndef DLC_RESET_CODE_H
#define DLC_RESET_CODE_H

#include <stdbool.h>

#define DLC_RESET_CODE_LEN 24
#define DLC_RESET_CODE_DIGEST_LEN 64 /* hex */

/* A new random code and its digest (both NUL-terminated). */
void dlc_reset_code_new(char code[DLC_RESET_CODE_LEN + 1],
                        char digest[DLC_RESET_CODE_DIGEST_LEN + 1]);

/* Whether code has the shape of one (a code of another shape never
 * matches: it can be refused without looking anything up). */
bool dlc_reset_code_shape_ok(const char *code);

/* The digest stored for code. */
void dlc_reset_code_digest(const char *code, char digest[DLC_RESET_CODE_DIGEST_LEN + 1]);

#endif
