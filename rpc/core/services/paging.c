/*
 * dlc_paging: page sizes and opaque page tokens of the list methods, and
 * the cut of a fetched page (see paging.h).
 */
#include "rpc/core/services/paging.h"

#include "rpc/core/services/account.h"

#include <stdlib.h>

/* Page tokens are opaque to clients: "p" + a row id, in hex. */
char *dlc_paging_token(dlc_call *call, int64_t cursor)
{
    return dlc_arena_printf(call->arena, "p%llx", (unsigned long long)cursor);
}

static bool parse_token(const char *token, int64_t *cursor)
{
    char *end;
    if (token[0] == '\0') {
        *cursor = 0;
        return true;
    }
    if (token[0] != 'p' || token[1] == '\0')
        return false;
    unsigned long long v = strtoull(token + 1, &end, 16);
    *cursor = (int64_t)v;
    return *end == '\0' && v > 0 && v <= INT64_MAX;
}

dlc_code dlc_paging_begin(dlc_call *call, int32_t page_size, const char *page_token, int def,
                          int max, dlc_page *page)
{
    *page = (dlc_page){0};
    if (!parse_token(page_token, &page->cursor)) {
        dlc_status_violation(&call->status, "page_token", "is not a token this API gave out");
        return dlc_account_invalid(call);
    }
    if (page_size < 0) {
        dlc_status_violation(&call->status, "page_size", "must not be negative");
        return dlc_account_invalid(call);
    }
    page->limit = page_size == 0 ? def : page_size > max ? max : page_size;
    return DLC_OK;
}

void *dlc_paging_slots(dlc_call *call, dlc_page *page, size_t n)
{
    page->shown = n > (size_t)page->limit ? (size_t)page->limit : n;
    page->more = n > page->shown;
    return dlc_arena_zalloc(call->arena, (page->shown ? page->shown : 1) * sizeof(void *));
}
