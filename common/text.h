/* dlc_text: validation of user-supplied text. */
#ifndef DLC_TEXT_H
#define DLC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    DLC_TEXT_OK = 0,
    DLC_TEXT_BAD_UTF8,    /* not well-formed UTF-8 (overlong, surrogate, …) */
    DLC_TEXT_UNPRINTABLE, /* a control character (C0, DEL, C1) */
    DLC_TEXT_TOO_LONG,    /* more than max_chars code points */
} dlc_text_rc;

/* Checks that s (len bytes) is well-formed UTF-8 of printable characters,
 * at most max_chars code points. Spaces are printable; tabs and newlines are
 * not unless allow_newlines (then \t, \n, \r pass). */
dlc_text_rc dlc_text_check(const char *s, size_t len, size_t max_chars, bool allow_newlines);

/* Cuts s (NUL-terminated) before a last UTF-8 sequence that a byte limit
 * left incomplete (snprintf into a fixed buffer). A cut never splits a
 * character; what was well-formed stays well-formed. */
void dlc_text_trim_utf8(char *s);

/* A short English description of rc, for field violations. */
const char *dlc_text_rc_describe(dlc_text_rc rc);

#endif
