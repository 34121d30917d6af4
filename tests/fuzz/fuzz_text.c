/*
 * Fuzz target: user text checks (common/text.c). The first byte gives
 * max_chars (0-127) and allow_newlines (its high bit); the rest is the text,
 * checked with dlc_text_check and cut with dlc_text_trim_utf8, whose
 * promises are asserted: a cut keeps a prefix, and leaves well-formed text
 * (printable, here) alone.
 */
#include "fuzz_util.h"

#include "common/text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max_chars = data[0] & 0x7F;
    bool newlines = data[0] & 0x80;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    dlc_text_rc rc = dlc_text_check(text, len, max_chars, newlines);
    if (!dlc_text_rc_describe(rc))
        abort();

    char *s = fuzz_strndup(data + 1, len);
    size_t before = strlen(s);
    bool was_ok = dlc_text_check(s, before, SIZE_MAX, true) == DLC_TEXT_OK;
    dlc_text_trim_utf8(s);
    size_t after = strlen(s);
    if (after > before || memcmp(s, text, after) != 0)
        abort(); /* not a prefix */
    if (was_ok && after != before)
        abort(); /* well-formed text has nothing incomplete to cut */
    free(s);
    return 0;
}
