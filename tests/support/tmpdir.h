/* dlc_test_tmpdir: a flat temporary directory for tests that write files. */
#ifndef DLC_TEST_TMPDIR_H
#define DLC_TEST_TMPDIR_H

/* Removes the files of dir (no subdirectories), then dir. 0 or -1. */
int dlc_test_rmdir_flat(const char *dir);

#endif
