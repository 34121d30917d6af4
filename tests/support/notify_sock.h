/* dlc_test_notify: the service manager's end of NOTIFY_SOCKET, for tests. */
#ifndef DLC_TEST_NOTIFY_SOCK_H
#define DLC_TEST_NOTIFY_SOCK_H

#include <stddef.h>

/* Binds an AF_UNIX datagram socket at name (a path, or "@name" in the
 * abstract namespace, as in $NOTIFY_SOCKET). The fd, or -1. */
int dlc_test_notify_bind(const char *name);
/* Reads one datagram into buf (NUL-terminated) within timeout_ms.
 * Its length, or -1 (timeout or error). */
int dlc_test_notify_read(int fd, int timeout_ms, char *buf, size_t len);

#endif
