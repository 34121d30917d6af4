/*
 * dlc_paging: keyset pages of the list methods (AdminService.ListUsers,
 * GreetService.ListHistory). A page token is opaque to clients: "p" + the
 * id of the last row shown, in hex; "" starts from the beginning. A handler
 * asks storage for limit + 1 rows after (or before) the cursor: the extra
 * row only tells whether another page follows.
 *
 * Strings and arrays come from the call's arena.
 */
#ifndef DLC_SVC_PAGING_H
#define DLC_SVC_PAGING_H

#include "rpc/runtime/call.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int limit;      /* rows a page shows (≥ 1) */
    int64_t cursor; /* the page continues from this row id; 0: the start */
    size_t shown;   /* set by dlc_paging_slots: rows shown of those fetched */
    bool more;      /* set by dlc_paging_slots: another page follows */
} dlc_page;

/* Reads a request's paging: page_size 0 → def, capped at max, negative
 * refused; page_token "" → from the start, else one this API gave out. OK
 * with *page set, or INVALID_ARGUMENT naming the field. */
dlc_code dlc_paging_begin(dlc_call *call, int32_t page_size, const char *page_token, int def,
                          int max, dlc_page *page);

/* After n rows were fetched: sets page->shown and page->more, and returns
 * an arena array of page->shown item pointers (never empty, so NULL only
 * when out of memory). */
void *dlc_paging_slots(dlc_call *call, dlc_page *page, size_t n);

/* The token that continues after (or before) row id cursor. */
char *dlc_paging_token(dlc_call *call, int64_t cursor);

#endif
