// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client extended attributes.
 *
 * Every name, the POSIX ACLs system.posix_acl_access and
 * system.posix_acl_default included, is forwarded as raw bytes to the
 * server, whose filesystem stores it, checks the caller's right to it and
 * enforces ACLs (the client never interprets an ACL: permission decisions
 * are the server's, see qtfs_permission()).  In Linux 6.1 the VFS still
 * routes ACL xattrs through the superblock's xattr handlers, after
 * converting the value between the caller's and the initial user
 * namespace, so one catch-all handler carries them like any other name.
 * An unknown namespace is the server's to refuse (-EOPNOTSUPP there).
 */
#include <linux/sched.h>
#include <linux/xattr.h>
#include "qtfs_i.h"

/* Start an xattr request naming @dentry, with blob room both ways. */
static struct qtfs_req *qtfs_xattr_req(struct dentry *dentry, u16 opcode,
				       u32 req_blob, u32 rsp_blob, char **buf,
				       char **path)
{
	struct qtfs_req *req;

	*path = qtfs_dentry_path(dentry, buf);
	if (IS_ERR(*path))
		return ERR_CAST(*path);
	req = qtfs_req_new(qtfs_conn(dentry->d_sb), opcode, req_blob,
			   rsp_blob);
	if (IS_ERR(req))
		qtfs_put_path(*buf);
	return req;
}

/*
 * Run a GETXATTR or LISTXATTR whose reply is "dB": the full size, and the
 * bytes when @size (at most QTFS_XATTR_SIZE_MAX) is not 0.
 */
static ssize_t qtfs_xattr_fetch(struct qtfs_req *req, void *value,
				size_t size)
{
	const void *blob;
	u32 full, len;
	ssize_t ret;

	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &full, &blob, &len);
	if (ret)
		goto out_put;
	/* the server answers -ERANGE rather than truncate */
	if (full > XATTR_SIZE_MAX || (size && (len != full || len > size)) ||
	    (!size && len)) {
		ret = -EPROTO;
		goto out_put;
	}
	if (size)
		memcpy(value, blob, len);
	ret = full;
out_put:
	qtfs_req_put(req);
	return ret;
}

static int qtfs_xattr_get(const struct xattr_handler *handler,
			  struct dentry *dentry, struct inode *inode,
			  const char *name, void *value, size_t size)
{
	struct qtfs_req *req;
	char *buf, *path;

	/* every caller in 6.1 passes a dentry; a lone inode has no path */
	if (!dentry)
		return -EOPNOTSUPP;
	size = min_t(size_t, size, QTFS_XATTR_SIZE_MAX);
	name = xattr_full_name(handler, name);
	/*
	 * File capabilities are set-id bits by another name: with
	 * setid=ignore, execve() (the only reader with in_execve set, through
	 * cap_bprm_creds_from_file()) finds none, while getxattr(2) still
	 * shows them.
	 */
	if (current->in_execve && !strcmp(name, XATTR_NAME_CAPS) &&
	    !(qtfs_conn(dentry->d_sb)->flags & QTFS_MNT_SETID))
		return -ENODATA;
	req = qtfs_xattr_req(dentry, QTFS_OP_GETXATTR, 0, size, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, name, (u32)size);
	qtfs_put_path(buf);
	return qtfs_xattr_fetch(req, value, size);
}

static int qtfs_xattr_set(const struct xattr_handler *handler,
			  struct qtfs_idmap *idmap, struct dentry *dentry,
			  struct inode *inode, const char *name,
			  const void *value, size_t size, int flags)
{
	struct qtfs_req *req;
	char *buf, *path;
	u32 wflags = 0;
	int ret;

	if (!dentry)
		return -EOPNOTSUPP;
	/* setxattr() caps values at XATTR_SIZE_MAX, the wire's limit too */
	if (size > QTFS_XATTR_SIZE_MAX)
		return -E2BIG;
	name = xattr_full_name(handler, name);
	if (!value) {
		/* removexattr() */
		req = qtfs_xattr_req(dentry, QTFS_OP_REMOVEXATTR, 0, 0, &buf,
				     &path);
		if (IS_ERR(req))
			return PTR_ERR(req);
		qtfs_req_args(req, path, name);
	} else {
		if (flags & XATTR_CREATE)
			wflags |= QTFS_XATTR_CREATE;
		if (flags & XATTR_REPLACE)
			wflags |= QTFS_XATTR_REPLACE;
		req = qtfs_xattr_req(dentry, QTFS_OP_SETXATTR, size, 0, &buf,
				     &path);
		if (IS_ERR(req))
			return PTR_ERR(req);
		qtfs_req_args(req, path, name, value, (u32)size, wflags);
	}
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	qtfs_req_put(req);
	/* an access ACL changes the mode bits too: fetch them */
	if (!ret && !strcmp(name, XATTR_NAME_POSIX_ACL_ACCESS))
		qtfs_refresh(dentry);
	return ret;
}

/**
 * qtfs_listxattr() - ->listxattr: the server's list of names
 * @dentry: object
 * @list:   buffer for the NUL-separated names, or NULL to probe
 * @size:   size of @list; 0 asks for the size needed
 *
 * Return: the size of the list, or -errno (-ERANGE if @size is too small).
 */
ssize_t qtfs_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct qtfs_req *req;
	char *buf, *path;

	size = min_t(size_t, size, QTFS_XATTR_SIZE_MAX);
	req = qtfs_xattr_req(dentry, QTFS_OP_LISTXATTR, 0, size, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, (u32)size);
	qtfs_put_path(buf);
	return qtfs_xattr_fetch(req, list, size);
}

static const struct xattr_handler qtfs_xattr_handler = {
	.prefix = "",	/* every name: the server's filesystem decides */
	.get = qtfs_xattr_get,
	.set = qtfs_xattr_set,
};

const struct xattr_handler *qtfs_xattr_handlers[] = {
	&qtfs_xattr_handler,
	NULL,
};
