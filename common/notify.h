/*
 * dlc_notify: the daemons' side of systemd's readiness protocol (sd_notify,
 * without libsystemd): a datagram such as "READY=1" sent to the AF_UNIX
 * socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract
 * namespace). Without $NOTIFY_SOCKET (not under systemd Type=notify) it does
 * nothing, so callers never need to know how they were started.
 */
#ifndef DLC_NOTIFY_H
#define DLC_NOTIFY_H

/* Sends state ("READY=1", "STOPPING=1", "RELOADING=1", "STATUS=…", several
 * joined by '\n'). 0 sent, 1 nothing to send to, -1 failed (errno set; a
 * failure is never fatal for the caller: the service manager then times the
 * start out, which is its business). */
int dlc_notify_send(const char *state);

#endif
