/* dlc_test_tmpdir: removing a flat temporary directory tests wrote into. */
#include "support/tmpdir.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int dlc_test_rmdir_flat(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));) {
        char path[1024];
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    return rmdir(dir);
}
