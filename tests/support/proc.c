/*
 * Child processes for tests: spawning one with extra environment and a log
 * file, running one to completion, stopping one within a timeout, and a
 * free TCP port.
 */
#include "support/proc.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void child_exec(char *const argv[], char *const extra_env[], const char *log_path)
{
    for (size_t i = 0; extra_env && extra_env[i]; i++)
        putenv(extra_env[i]);
    if (log_path) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(argv[0], argv, environ);
    fprintf(stderr, "exec %s failed\n", argv[0]);
    _exit(127);
}

pid_t dlc_proc_spawn(char *const argv[], char *const extra_env[], const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, extra_env, log_path);
    return pid;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int dlc_proc_stop(pid_t pid, int sig, int timeout_ms)
{
    int status = -1;
    if (pid <= 0) /* never started: kill(0 or -1) would signal our own group, or everyone */
        return -1;
    kill(pid, sig);
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

int dlc_proc_run(char *const argv[], char *const extra_env[], const char *log_path)
{
    pid_t pid = dlc_proc_spawn(argv, extra_env, log_path);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Listening ports come from below the kernel's ephemeral range (32768 and
 * up by default): a port the kernel hands out is also the source port of
 * outgoing connections (nng dialling, psql, the gateway), and one of those
 * can take it between this check and the daemon's bind. */
#define LISTEN_PORT_LO 20000
#define LISTEN_PORT_SPAN 12000

static bool bindable(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int dlc_proc_free_port(void)
{
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int i = 0; i < 1000; i++) {
        int port = LISTEN_PORT_LO + (int)(rand_r(&seed) % LISTEN_PORT_SPAN);
        if (bindable(port))
            return port;
    }
    return -1;
}
