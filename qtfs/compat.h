/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Version-dependent VFS interfaces of the qtfs client, for Linux 6.1 (the
 * tested target).  Later kernels pass a struct mnt_idmap to inode operations
 * (6.3) and reach inode times through accessors (6.7): porting changes only
 * this file.
 */
#ifndef _QTFS_CLIENT_COMPAT_H
#define _QTFS_CLIENT_COMPAT_H

#include <linux/fs.h>

/* struct qtfs_idmap: the idmapping argument of inode operations */
#define qtfs_idmap user_namespace

static inline void qtfs_set_times(struct inode *inode, struct timespec64 at,
				  struct timespec64 mt, struct timespec64 ct)
{
	inode->i_atime = at;
	inode->i_mtime = mt;
	inode->i_ctime = ct;
}

#endif /* _QTFS_CLIENT_COMPAT_H */
