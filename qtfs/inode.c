// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client inodes: the inode cache keyed by server inode number and
 * type, attributes, dentry revalidation, getattr/setattr and symlinks.
 *
 * Requests name objects by their path below the export root, built from the
 * dentry; the server resolves it beneath the session root.
 */
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include "qtfs_i.h"

/* How long a positive dentry is trusted before it is looked up again. */
#define QTFS_DENTRY_TTL		(HZ)

/**
 * qtfs_dentry_path() - path of @dentry below the export root, for the wire
 * @dentry: dentry on a qtfs mount
 * @buf:    set to the buffer to release with qtfs_put_path()
 *
 * Return: the path ("" for the root), or an ERR_PTR().
 */
char *qtfs_dentry_path(struct dentry *dentry, char **buf)
{
	char *p;

	*buf = __getname();
	if (!*buf)
		return ERR_PTR(-ENOMEM);
	p = dentry_path_raw(dentry, *buf, PATH_MAX);
	if (IS_ERR(p)) {
		__putname(*buf);
		return p;
	}
	return p + 1;	/* the wire path has no leading '/' */
}

/**
 * qtfs_put_path() - release a buffer from qtfs_dentry_path()
 * @buf: buffer
 */
void qtfs_put_path(char *buf)
{
	__putname(buf);
}

/**
 * qtfs_path_req() - start a request whose first argument is @dentry's path
 * @dentry:   object the request names
 * @opcode:   &enum qtfs_op
 * @rsp_blob: room for the reply's blob, if any
 * @buf:      set to the path buffer; release with qtfs_put_path() once the
 *            arguments are packed
 * @path:     set to the wire path
 *
 * Return: the request, or an ERR_PTR() (then nothing is to be released).
 */
struct qtfs_req *qtfs_path_req(struct dentry *dentry, u16 opcode,
			       u32 rsp_blob, char **buf, char **path)
{
	struct qtfs_req *req;

	*path = qtfs_dentry_path(dentry, buf);
	if (IS_ERR(*path))
		return ERR_CAST(*path);
	req = qtfs_req_new(qtfs_conn(dentry->d_sb), opcode, 0, rsp_blob);
	if (IS_ERR(req))
		qtfs_put_path(*buf);
	return req;
}

/**
 * qtfs_fill_inode() - copy server attributes into an inode
 * @inode: inode
 * @attr:  attributes from a reply
 */
void qtfs_fill_inode(struct inode *inode, const struct qtfs_attr *attr)
{
	struct timespec64 at = { attr->atime_sec, attr->atime_nsec };
	struct timespec64 mt = { attr->mtime_sec, attr->mtime_nsec };
	struct timespec64 ct = { attr->ctime_sec, attr->ctime_nsec };
	umode_t mode = attr->mode & ~S_IFMT;

	/*
	 * execve() takes set-id bits from i_mode: unless setid=allow, a
	 * regular file's stay out of it and only getattr reports them (as on
	 * a nosuid mount, stat shows what exec ignores).  Everything that
	 * acts on them (clearing at write or chown, inheritance) is done by
	 * the server with its own copy of the mode.
	 */
	if (S_ISREG(inode->i_mode) &&
	    !(qtfs_conn(inode->i_sb)->flags & QTFS_MNT_SETID)) {
		WRITE_ONCE(QTFS_I(inode)->setid, mode & (S_ISUID | S_ISGID));
		mode &= ~(S_ISUID | S_ISGID);
	}
	inode->i_mode = (inode->i_mode & S_IFMT) | mode;
	set_nlink(inode, attr->nlink);
	inode->i_uid = make_kuid(&init_user_ns, attr->uid);
	inode->i_gid = make_kgid(&init_user_ns, attr->gid);
	i_size_write(inode, attr->size);
	inode->i_blocks = attr->blocks;
	qtfs_set_times(inode, at, mt, ct);
}

static int qtfs_inode_test(struct inode *inode, void *data)
{
	const struct qtfs_attr *attr = data;

	/* a recycled inode number with another type is another inode */
	return inode->i_ino == attr->ino &&
	       (inode->i_mode & S_IFMT) == (attr->mode & S_IFMT);
}

static int qtfs_inode_set(struct inode *inode, void *data)
{
	const struct qtfs_attr *attr = data;

	inode->i_ino = attr->ino;
	inode->i_mode = attr->mode & S_IFMT;
	return 0;
}

/**
 * qtfs_iget() - find or create the inode for server attributes
 * @sb:   super block
 * @attr: attributes from a reply
 *
 * Return: a referenced inode with fresh attributes, or an ERR_PTR().
 */
struct inode *qtfs_iget(struct super_block *sb, const struct qtfs_attr *attr)
{
	struct inode *inode;
	umode_t type = attr->mode & S_IFMT;

	if (!type || (type != S_IFREG && type != S_IFDIR && type != S_IFLNK &&
		      type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
		      type != S_IFSOCK))
		return ERR_PTR(-EPROTO);
	inode = iget5_locked(sb, attr->ino, qtfs_inode_test, qtfs_inode_set,
			     (void *)attr);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	qtfs_fill_inode(inode, attr);
	if (!(inode->i_state & I_NEW))
		return inode;

	switch (type) {
	case S_IFREG:
		inode->i_op = &qtfs_file_iops;
		inode->i_fop = &qtfs_file_fops;
		inode->i_mapping->a_ops = &qtfs_aops;
		/* the cache starts empty and consistent with @attr */
		qtfs_cache_note(inode, attr);
		break;
	case S_IFDIR:
		inode->i_op = &qtfs_dir_iops;
		inode->i_fop = &qtfs_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &qtfs_symlink_iops;
		break;
	default:
		inode->i_op = &qtfs_special_iops;
		init_special_inode(inode, inode->i_mode,
				   MKDEV(attr->rdev_major, attr->rdev_minor));
	}
	unlock_new_inode(inode);
	return inode;
}

/**
 * qtfs_getattr_req() - fetch attributes by path or by open handle
 * @dentry: object (its path is sent)
 * @handle: open handle, or 0 to go by path
 * @attr:   attributes from the server
 *
 * Return: 0 or -errno.
 */
int qtfs_getattr_req(struct dentry *dentry, u64 handle, struct qtfs_attr *attr)
{
	struct qtfs_req *req;
	char *buf, *path;
	int ret;

	req = qtfs_path_req(dentry, QTFS_OP_GETATTR, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, handle);
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, attr);
	qtfs_req_put(req);
	return ret;
}

/**
 * qtfs_refresh() - refresh the attributes of a dentry's inode
 * @dentry: positive dentry
 *
 * Return: 0 or -errno.
 */
int qtfs_refresh(struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	struct qtfs_file *qf = NULL;
	struct qtfs_attr attr;
	int ret;

	/* an unlinked but open file is reached through one of its handles */
	if (d_unlinked(dentry))
		qf = qtfs_inode_handle(inode, FMODE_READ | FMODE_WRITE);
	ret = qtfs_getattr_req(dentry, qf ? qf->handle : 0, &attr);
	if (ret == -ENOENT && !qf) {
		/* ... also when it was unlinked on the server */
		qf = qtfs_inode_handle(inode, FMODE_READ | FMODE_WRITE);
		if (qf)
			ret = qtfs_getattr_req(dentry, qf->handle, &attr);
	}
	if (qf)
		qtfs_file_put(qf);
	if (ret)
		return ret;
	if (!qtfs_attr_matches(inode, &attr)) {
		/* replaced on the server behind our back */
		d_drop(dentry);
		return -ESTALE;
	}
	qtfs_fill_inode(inode, &attr);
	if (S_ISREG(inode->i_mode))
		qtfs_cache_revalidate(inode, &attr);
	return 0;
}

/**
 * qtfs_getattr() - ->getattr: fresh attributes from the server
 * @idmap:        idmapping of the mount
 * @path:         object
 * @stat:         result
 * @request_mask: STATX_* wanted (all are always fetched)
 * @flags:        AT_STATX_* flags; DONT_SYNC uses the cached attributes
 *
 * Return: 0 or -errno.
 */
int qtfs_getattr(struct qtfs_idmap *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	int ret;

	if (!(flags & AT_STATX_DONT_SYNC)) {
		ret = qtfs_refresh(path->dentry);
		if (ret)
			return ret;
	}
	generic_fillattr(idmap, inode, stat);
	stat->ino = inode->i_ino;
	if (S_ISREG(inode->i_mode))
		stat->mode |= READ_ONCE(QTFS_I(inode)->setid);
	return 0;
}

/**
 * qtfs_setattr() - ->setattr: forwarded to the server, which checks it
 * @idmap:  idmapping of the mount
 * @dentry: object
 * @iattr:  changes
 *
 * Return: 0 or -errno.
 */
int qtfs_setattr(struct qtfs_idmap *idmap, struct dentry *dentry,
		 struct iattr *iattr)
{
	struct inode *inode = d_inode(dentry);
	unsigned int ia = iattr->ia_valid;
	struct qtfs_file *qf = NULL;
	struct qtfs_attr attr;
	struct qtfs_req *req;
	loff_t old_size = 0;
	char *buf, *path;
	u32 valid = 0;
	int ret;

	/* O_TRUNC: the server truncated in OPEN or CREATE (qtfs_open()) */
	if (ia & ATTR_OPEN)
		return 0;
	if (ia & ATTR_FILE) {
		qf = qtfs_file_handle(iattr->ia_file);
		if (IS_ERR(qf))
			return PTR_ERR(qf);
		refcount_inc(&qf->ref);
	} else if (d_unlinked(dentry)) {
		/* fchmod() and the like of an unlinked file: by its handle */
		qf = qtfs_inode_handle(inode, FMODE_READ | FMODE_WRITE);
	}
	/*
	 * notify_change() turned ATTR_KILL_S*ID into a mode computed from
	 * cached bits.  The server clears them itself, with its own rules and
	 * fresh bits, when it changes the owner or the size or writes, so the
	 * made-up mode is dropped (never sent along with a kill request:
	 * notify_change() forbids both at once).
	 */
	if (ia & (ATTR_KILL_SUID | ATTR_KILL_SGID))
		ia &= ~ATTR_MODE;
	/*
	 * The times ftruncate() asks to set to now are the truncation's own:
	 * the server's truncate sets them.  Sent as a time change they would
	 * be an explicit one (utimensat() semantics), which needs ownership,
	 * and a group member's ftruncate() would fail with EPERM.
	 */
	if (ia & ATTR_SIZE)
		ia &= ~((ia & ATTR_ATIME_SET ? 0 : ATTR_ATIME) |
			(ia & ATTR_MTIME_SET ? 0 : ATTR_MTIME));
	if (ia & ATTR_MODE)
		valid |= QTFS_SETATTR_MODE;
	if (ia & ATTR_UID)
		valid |= QTFS_SETATTR_UID;
	if (ia & ATTR_GID)
		valid |= QTFS_SETATTR_GID;
	if (ia & ATTR_SIZE)
		valid |= QTFS_SETATTR_SIZE;
	if (ia & ATTR_ATIME)
		valid |= (ia & ATTR_ATIME_SET) ? QTFS_SETATTR_ATIME :
						 QTFS_SETATTR_ATIME_NOW;
	if (ia & ATTR_MTIME)
		valid |= (ia & ATTR_MTIME_SET) ? QTFS_SETATTR_MTIME :
						 QTFS_SETATTR_MTIME_NOW;
	if (!valid) {
		ret = 0;
		goto out_put;
	}
	if (ia & ATTR_SIZE) {
		/*
		 * Dirty pages reach the server before it truncates, so none
		 * is written back beyond the new end of file afterwards.
		 */
		filemap_invalidate_lock(inode->i_mapping);
		old_size = i_size_read(inode);
		ret = filemap_write_and_wait(inode->i_mapping);
		if (ret)
			goto out_unlock;
	}

	req = qtfs_path_req(dentry, QTFS_OP_SETATTR, 0, &buf, &path);
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto out_unlock;
	}
	qtfs_req_args(req, path, qf ? qf->handle : 0ULL, valid,
		      (u32)iattr->ia_mode,
		      from_kuid_munged(&init_user_ns, iattr->ia_uid),
		      from_kgid_munged(&init_user_ns, iattr->ia_gid),
		      (u64)iattr->ia_size,
		      (u64)iattr->ia_atime.tv_sec, (u32)iattr->ia_atime.tv_nsec,
		      (u64)iattr->ia_mtime.tv_sec, (u32)iattr->ia_mtime.tv_nsec);
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &attr);
	qtfs_req_put(req);
	if (ret)
		goto out_unlock;
	qtfs_fill_inode(inode, &attr);
	if ((ia & ATTR_SIZE) && S_ISREG(inode->i_mode)) {
		/*
		 * Drop pages beyond the new end and zero the tail of the page
		 * that held the old one, as the server's file reads now.
		 */
		truncate_pagecache(inode, min_t(loff_t, old_size, attr.size));
		qtfs_cache_note(inode, &attr);
	}
out_unlock:
	if (ia & ATTR_SIZE)
		filemap_invalidate_unlock(inode->i_mapping);
out_put:
	if (qf)
		qtfs_file_put(qf);
	return ret;
}

/* ACCESS: may the caller access @dentry for @want (QTFS_ACCESS_*)? */
static int qtfs_access_req(struct dentry *dentry, u32 want)
{
	struct qtfs_req *req;
	char *buf, *path;
	int ret;

	req = qtfs_path_req(dentry, QTFS_OP_ACCESS, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, want);
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	qtfs_req_put(req);
	return ret;
}

/*
 * Must the server decide @mask on @inode?  Only where no server operation
 * follows that would check it anyway: access(2) and faccessat(2)
 * (MAY_ACCESS), chdir(2) (MAY_CHDIR), execve(2) of a regular file, whose
 * later reads would not check the execute right, checks on a regular file
 * no server operation follows (not MAY_OPEN: execve()'s would_dump()
 * asking whether the program is readable), and every check on a FIFO,
 * socket or device node: these are opened (and sockets connected) by the
 * client's own pipe, socket and device code, which never asks the server.
 */
static bool qtfs_permission_remote(struct inode *inode, int mask)
{
	umode_t mode = inode->i_mode;

	if (mask & (MAY_ACCESS | MAY_CHDIR))
		return true;
	if (S_ISREG(mode))
		return (mask & MAY_EXEC) || !(mask & MAY_OPEN);
	return !S_ISDIR(mode) && !S_ISLNK(mode);
}

/**
 * qtfs_permission() - ->permission: the server is the authority
 * @idmap: idmapping of the mount
 * @inode: object
 * @mask:  MAY_* bits
 *
 * Cached attributes may be stale and the client knows nothing of the
 * server's ACLs or LSM, so nothing is decided here from them (as fuse does
 * without default_permissions).  Every operation is checked by the server
 * when it performs it with the caller's credentials, so most checks simply
 * pass; the rest (qtfs_permission_remote()) are asked with ACCESS, which
 * the server answers with inode_permission() under the caller's
 * credentials as it maps them (root squash), its current mode bits, ACLs
 * and LSM: a local generic_permission() on refreshed attributes would get
 * the ACLs and a squashed root wrong.
 *
 * Return: 0, -ECHILD in RCU walk when the server must be asked, or -errno.
 */
int qtfs_permission(struct qtfs_idmap *idmap, struct inode *inode, int mask)
{
	struct dentry *dentry;
	u32 want = 0;
	int ret;

	if (!qtfs_permission_remote(inode, mask))
		return 0;
	if (mask & MAY_READ)
		want |= QTFS_ACCESS_R;
	if (mask & MAY_WRITE)
		want |= QTFS_ACCESS_W;
	if (mask & MAY_EXEC)
		want |= QTFS_ACCESS_X;
	if (!want)
		return 0;
	if (mask & MAY_NOT_BLOCK)
		return -ECHILD;
	/* any alias names the inode; the VFS holds one while it asks */
	dentry = d_find_any_alias(inode);
	if (!dentry)
		return generic_permission(idmap, inode, mask);
	ret = qtfs_access_req(dentry, want);
	dput(dentry);
	return ret;
}

static int qtfs_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct inode *inode = d_inode_rcu(dentry);
	struct qtfs_attr attr;
	struct dentry *parent;
	char *buf, *path;
	struct qtfs_req *req;
	int ret;

	/* never trust a negative dentry: the server may have the name now */
	if (!inode)
		return 0;
	/* LOOKUP_REVAL: the VFS retries after -ESTALE and wants the truth */
	if (!(flags & LOOKUP_REVAL) &&
	    time_before(jiffies, READ_ONCE(dentry->d_time) + QTFS_DENTRY_TTL))
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;

	parent = dget_parent(dentry);
	req = qtfs_path_req(parent, QTFS_OP_LOOKUP, 0, &buf, &path);
	dput(parent);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, dentry->d_name.name);
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &attr);
	qtfs_req_put(req);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return 0;
	if (ret)
		return ret;
	if (!qtfs_attr_matches(inode, &attr))
		return 0;
	qtfs_fill_inode(inode, &attr);
	qtfs_dentry_touch(dentry);
	return 1;
}

static int qtfs_d_init(struct dentry *dentry)
{
	qtfs_dentry_touch(dentry);
	return 0;
}

const struct dentry_operations qtfs_dentry_ops = {
	.d_revalidate = qtfs_d_revalidate,
	.d_init = qtfs_d_init,
};

static const char *qtfs_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	const char *target;
	struct qtfs_req *req;
	char *buf, *path, *link;
	int ret;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	req = qtfs_path_req(dentry, QTFS_OP_READLINK, 0, &buf, &path);
	if (IS_ERR(req))
		return ERR_CAST(req);
	qtfs_req_args(req, path);
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &target);
	if (ret) {
		qtfs_req_put(req);
		return ERR_PTR(ret);
	}
	link = kstrdup(target, GFP_KERNEL);
	qtfs_req_put(req);
	if (!link)
		return ERR_PTR(-ENOMEM);
	set_delayed_call(done, kfree_link, link);
	return link;
}

const struct inode_operations qtfs_file_iops = {
	.permission = qtfs_permission,
	.listxattr = qtfs_listxattr,
	.getattr = qtfs_getattr,
	.setattr = qtfs_setattr,
};

const struct inode_operations qtfs_symlink_iops = {
	.permission = qtfs_permission,
	.listxattr = qtfs_listxattr,
	.get_link = qtfs_get_link,
	.getattr = qtfs_getattr,
	.setattr = qtfs_setattr,
};

const struct inode_operations qtfs_special_iops = {
	.permission = qtfs_permission,
	.listxattr = qtfs_listxattr,
	.getattr = qtfs_getattr,
	.setattr = qtfs_setattr,
};
