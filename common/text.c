/*
 * dlc_text: UTF-8 validation of user-supplied text (length in characters,
 * printable code points) and trimming to a whole character.
 */
#include "common/text.h"

#include <string.h>

#include <stdint.h>

/* Decodes one code point at s (n bytes left); returns its length, or 0 when
 * the sequence is not well-formed (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        *cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        *cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min_for_len[len] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

static bool printable(uint32_t cp, bool allow_newlines)
{
    if (allow_newlines && (cp == '\t' || cp == '\n' || cp == '\r'))
        return true;
    return !(cp < 0x20 || (cp >= 0x7F && cp <= 0x9F));
}

dlc_text_rc dlc_text_check(const char *s, size_t len, size_t max_chars, bool allow_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = decode(p + i, len - i, &cp);
        if (n == 0)
            return DLC_TEXT_BAD_UTF8;
        if (!printable(cp, allow_newlines))
            return DLC_TEXT_UNPRINTABLE;
        if (++chars > max_chars)
            return DLC_TEXT_TOO_LONG;
        i += n;
    }
    return DLC_TEXT_OK;
}

const char *dlc_text_rc_describe(dlc_text_rc rc)
{
    switch (rc) {
    case DLC_TEXT_OK:
        return "ok";
    case DLC_TEXT_BAD_UTF8:
        return "must be valid UTF-8";
    case DLC_TEXT_UNPRINTABLE:
        return "must contain only printable characters";
    case DLC_TEXT_TOO_LONG:
        return "is too long";
    }
    return "is invalid";
}

void dlc_text_trim_utf8(char *s)
{
    size_t n = strlen(s), i = n;
    /* back over at most three continuation bytes to the sequence's start */
    while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (need > 1 && (i - 1) + need > n)
        s[i - 1] = '\0';
}
