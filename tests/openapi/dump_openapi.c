/* Prints the OpenAPI document the gateway serves at /api/openapi.json (the
 * same build from the same route table), for tests/openapi/lint.sh. */
#include "gateway/openapi.h"
#include "gateway/routes.h"

#include <stdio.h>

int main(void)
{
    char err[512];
    json_t *doc = dlc_openapi_build(dlc_endpoints, dlc_endpoint_count, err, sizeof err);
    if (!doc) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int rc = json_dumpf(doc, stdout, JSON_INDENT(1)) == 0 ? 0 : 1;
    json_decref(doc);
    return rc;
}
