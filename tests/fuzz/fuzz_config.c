/*
 * Fuzz target: the configuration file loader (common/config_yaml.c through
 * dlc_config_load_file, then dlc_config_validate), as dlc-rpcd and
 * dlc-gateway read --config. The bytes are the file: an in-memory file
 * (memfd), read back through /proc/self/fd. Secret files named inside are
 * never read (dlc_config_read_secret_files is not called): no file system.
 */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz_util.h"

#include "common/config.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int fd = -1; /* the one in-memory file, rewritten by every run */
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    fd = memfd_create("dlc-fuzz-config", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return 0;
}

/* Replaces the file's content with data. */
static void rewrite(const uint8_t *data, size_t size)
{
    if (ftruncate(fd, 0) != 0)
        abort();
    for (size_t at = 0; at < size;) {
        ssize_t n = pwrite(fd, data + at, size - at, (off_t)at);
        if (n <= 0)
            abort();
        at += (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rewrite(data, size);
    dlc_config c;
    dlc_config_error err;
    dlc_config_defaults(&c);
    if (dlc_config_load_file(&c, path, &err) == 0)
        dlc_config_validate(&c, &err);
    char msg[1024];
    dlc_config_error_format(&err, msg, sizeof msg);
    dlc_config_free(&c);
    return 0;
}
