/* SPDX-License-Identifier: GPL-2.0 */
/* rm -rf for the test programs, shared by qtfs_itest and qtfs_testpeer. */
#ifndef QTFS_ITEST_RMTREE_H
#define QTFS_ITEST_RMTREE_H

/*
 * Remove @name in @dfd and, if it is a directory, everything below it,
 * without following symlinks.  Returns 0 or -errno (-ELOOP when nested
 * deeper than 64 levels).
 */
int qt_rmtree_at(int dfd, const char *name);

#endif
