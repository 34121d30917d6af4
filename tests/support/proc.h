/* Child processes for tests: the real dlc-rpcd, the private-PG script. */
#ifndef DLC_TESTPROC_H
#define DLC_TESTPROC_H

#include <stdint.h>
#include <sys/types.h>

/* Starts argv[0] with the current environment plus extra_env ("K=V",
 * NULL-terminated, may be NULL); stderr and stdout go to log_path (appended)
 * when non-NULL. Returns the pid, or -1. */
pid_t dlc_proc_spawn(char *const argv[], char *const extra_env[], const char *log_path);
/* Sends sig, waits up to timeout_ms, then SIGKILL. Returns the exit status
 * as from waitpid (WIFEXITED…), or -1. */
int dlc_proc_stop(pid_t pid, int sig, int timeout_ms);
/* Runs argv to completion (same env rules); returns its exit code or -1. */
int dlc_proc_run(char *const argv[], char *const extra_env[], const char *log_path);
/* A free TCP port on 127.0.0.1 (bound then released). */
int dlc_proc_free_port(void);

#endif
