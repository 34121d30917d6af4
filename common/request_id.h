/* dlc_request_id: the ids that follow a request through gateway, core and
 * logs. A caller's id is kept when it is 1–128 printable ASCII characters
 * (no spaces); otherwise a new random one is made. */
#ifndef DLC_REQUEST_ID_H
#define DLC_REQUEST_ID_H

#include <stdbool.h>

#define DLC_REQUEST_ID_MAX 128

bool dlc_request_id_ok(const char *id);
/* 32 random hex characters and a NUL. */
void dlc_request_id_new(char out[33]);

#endif
