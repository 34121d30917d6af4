/*
 * dlc_docs: the API's own description, served by the gateway:
 * GET /api/openapi.json (the document dlc_openapi builds at start),
 * GET /api/docs (a Swagger UI page over it) and GET /api/docs/{file} (the
 * page's files, from server.docs_dir: swagger-ui-dist as scripts/webtools
 * installs it; "" means the copy in this source tree's build/npm).
 */
#ifndef DLC_DOCS_H
#define DLC_DOCS_H

#include "gateway/gateway.h"

/* Builds the document into gw->openapi (JSON text, owned by gw, freed by
 * dlc_gateway_free). 0, or -1 with err filled. */
int dlc_docs_init(dlc_gateway *gw, char *err, size_t errlen);

dlc_local_fn dlc_docs_openapi; /* GET /api/openapi.json */
dlc_local_fn dlc_docs_page;    /* GET /api/docs */
dlc_local_fn dlc_docs_asset;   /* GET /api/docs/{file} */

#endif
