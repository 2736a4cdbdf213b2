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

/**
 * qtfs_inode_lock_killable() - take the inode lock exclusively, or give up
 * @inode: the inode
 *
 * A writer holding the lock may wait on a server that stopped reading; the
 * writers queued behind it must still end at a fatal signal, as readers of
 * a directory do in iterate_dir().  Linux 6.1 has no inode_lock_killable().
 *
 * Return: 0 with the lock held, or -EINTR on a fatal signal.
 */
static inline int qtfs_inode_lock_killable(struct inode *inode)
{
	return down_write_killable(&inode->i_rwsem);
}

#endif /* _QTFS_CLIENT_COMPAT_H */
