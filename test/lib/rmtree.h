/* SPDX-License-Identifier: GPL-2.0 */
/* rm -rf for the test programs, shared by the guest test programs. */
#ifndef QTFS_TEST_RMTREE_H
#define QTFS_TEST_RMTREE_H

/*
 * Remove @name in @dfd and, if it is a directory, everything below it,
 * without following symlinks.  Returns 0 or -errno (-ELOOP when nested
 * deeper than 64 levels).
 */
int qt_rmtree_at(int dfd, const char *name);

#endif
