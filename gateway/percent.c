/* dlc_percent: percent-decoding for paths and queries (see percent.h). */
#include "gateway/percent.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long dlc_percent_decode(const char *s, size_t len, char *out, bool form)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
            if (lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = (char)((hi << 4) | lo);
            i += 2;
        } else if (c == '+' && form) {
            c = ' ';
        } else if (c == '\0') {
            return -1;
        }
        out[k++] = c;
    }
    return (long)k;
}
