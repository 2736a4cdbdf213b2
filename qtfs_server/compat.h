/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VFS calls of qtfs_server.ko whose signature changes between kernel
 * versions.  Linux 6.1 passes the mount's user namespace to the namespace
 * operations; 6.3 replaced it by struct mnt_idmap.  Porting to a newer
 * kernel is a change to this file only.
 */
#ifndef _QTSRV_COMPAT_H
#define _QTSRV_COMPAT_H

#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/posix_acl.h>
#include <linux/xattr.h>

/*
 * Exported (EXPORT_SYMBOL) by fs/namei.c but declared only in fs/internal.h
 * in 6.1, which in-tree ksmbd includes and an external module cannot.
 */
int vfs_path_lookup(struct dentry *dentry, struct vfsmount *mnt,
		    const char *name, unsigned int flags, struct path *path);

/* What the namespace operations take to map ids of an idmapped mount. */
static inline struct user_namespace *qtsrv_mnt_idmap(const struct vfsmount *mnt)
{
	return mnt_user_ns(mnt);
}

static inline struct dentry *qtsrv_lookup_one(const struct path *parent,
					      const char *name)
{
	return lookup_one(qtsrv_mnt_idmap(parent->mnt), name, parent->dentry,
			  strlen(name));
}

/* The default ACL of directory @dir (6.2 renames get_acl() get_inode_acl()) */
static inline struct posix_acl *qtsrv_get_default_acl(struct inode *dir)
{
	return get_acl(dir, ACL_TYPE_DEFAULT);
}

static inline int qtsrv_vfs_create(const struct path *parent,
				   struct dentry *dentry, umode_t mode)
{
	return vfs_create(qtsrv_mnt_idmap(parent->mnt), d_inode(parent->dentry),
			  dentry, mode, true);
}

static inline int qtsrv_vfs_mkdir(const struct path *parent,
				  struct dentry *dentry, umode_t mode)
{
	return vfs_mkdir(qtsrv_mnt_idmap(parent->mnt), d_inode(parent->dentry),
			 dentry, mode);
}

static inline int qtsrv_vfs_mknod(const struct path *parent,
				  struct dentry *dentry, umode_t mode, dev_t dev)
{
	return vfs_mknod(qtsrv_mnt_idmap(parent->mnt), d_inode(parent->dentry),
			 dentry, mode, dev);
}

static inline int qtsrv_vfs_symlink(const struct path *parent,
				    struct dentry *dentry, const char *target)
{
	return vfs_symlink(qtsrv_mnt_idmap(parent->mnt),
			   d_inode(parent->dentry), dentry, target);
}

static inline int qtsrv_vfs_link(struct dentry *old, const struct path *parent,
				 struct dentry *dentry)
{
	return vfs_link(old, qtsrv_mnt_idmap(parent->mnt),
			d_inode(parent->dentry), dentry, NULL);
}

/* Do the owner ids of @path's inode map through its mount?  (may_linkat()) */
static inline bool qtsrv_ids_mapped(const struct path *path)
{
	struct inode *inode = d_inode(path->dentry);

	return vfsuid_valid(i_uid_into_vfsuid(qtsrv_mnt_idmap(path->mnt), inode)) &&
	       vfsgid_valid(i_gid_into_vfsgid(qtsrv_mnt_idmap(path->mnt), inode));
}

static inline int qtsrv_vfs_unlink(const struct path *parent,
				   struct dentry *dentry)
{
	return vfs_unlink(qtsrv_mnt_idmap(parent->mnt), d_inode(parent->dentry),
			  dentry, NULL);
}

static inline int qtsrv_vfs_rmdir(const struct path *parent,
				  struct dentry *dentry)
{
	return vfs_rmdir(qtsrv_mnt_idmap(parent->mnt), d_inode(parent->dentry),
			 dentry);
}

static inline int qtsrv_vfs_rename(const struct path *old_parent,
				   struct dentry *old,
				   const struct path *new_parent,
				   struct dentry *new, unsigned int flags)
{
	struct renamedata rd = {
		.old_mnt_userns = qtsrv_mnt_idmap(old_parent->mnt),
		.old_dir = d_inode(old_parent->dentry),
		.old_dentry = old,
		.new_mnt_userns = qtsrv_mnt_idmap(new_parent->mnt),
		.new_dir = d_inode(new_parent->dentry),
		.new_dentry = new,
		.flags = flags,
	};

	return vfs_rename(&rd);
}

static inline int qtsrv_notify_change(const struct path *path,
				      struct iattr *attr)
{
	return notify_change(qtsrv_mnt_idmap(path->mnt), path->dentry, attr,
			     NULL);
}

static inline int qtsrv_drop_suidgid(const struct path *path)
{
	return setattr_should_drop_suidgid(qtsrv_mnt_idmap(path->mnt),
					   d_inode(path->dentry));
}

static inline int qtsrv_drop_sgid(const struct path *path)
{
	return setattr_should_drop_sgid(qtsrv_mnt_idmap(path->mnt),
					d_inode(path->dentry));
}

/* Set the owner fields of @attr as chown_common() does. */
static inline bool qtsrv_iattr_set_uid(struct iattr *attr, kuid_t uid)
{
	if (!uid_valid(uid))
		return false;
	attr->ia_valid |= ATTR_UID;
	attr->ia_vfsuid = VFSUIDT_INIT(uid);
	return true;
}

static inline bool qtsrv_iattr_set_gid(struct iattr *attr, kgid_t gid)
{
	if (!gid_valid(gid))
		return false;
	attr->ia_valid |= ATTR_GID;
	attr->ia_vfsgid = VFSGIDT_INIT(gid);
	return true;
}

static inline ssize_t qtsrv_vfs_getxattr(const struct path *path,
					 const char *name, void *value,
					 size_t size)
{
	return vfs_getxattr(qtsrv_mnt_idmap(path->mnt), path->dentry, name,
			    value, size);
}

static inline int qtsrv_vfs_setxattr(const struct path *path, const char *name,
				     const void *value, size_t size, int flags)
{
	return vfs_setxattr(qtsrv_mnt_idmap(path->mnt), path->dentry, name,
			    value, size, flags);
}

static inline int qtsrv_vfs_removexattr(const struct path *path,
					const char *name)
{
	return vfs_removexattr(qtsrv_mnt_idmap(path->mnt), path->dentry, name);
}

/*
 * File lock internals the LOCK handler needs.  Linux 6.9 moved the common
 * fields into struct file_lock_core (fl_core.flc_*) and linux/filelock.h.
 */
static inline struct file_lock_context *qtsrv_locks_context(struct inode *inode)
{
	return locks_inode_context(inode);
}

/* Is @fl still queued behind a conflicting lock? */
static inline bool qtsrv_lock_blocked(struct file_lock *fl)
{
	return !list_empty(&fl->fl_blocked_member);
}

#endif /* _QTSRV_COMPAT_H */
