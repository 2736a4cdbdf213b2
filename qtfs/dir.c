// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client directories: lookup, entry creation and removal, rename,
 * and reading directories.
 */
#include <linux/namei.h>
#include "qtfs_i.h"

/* Run a request answered by the attributes of a new entry; instantiate it. */
static int qtfs_entry_run(struct qtfs_req *req, struct dentry *dentry)
{
	struct qtfs_attr attr;
	struct inode *inode;
	int ret;

	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &attr);
	qtfs_req_put(req);
	if (ret)
		return ret;
	inode = qtfs_iget(dentry->d_sb, &attr);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_instantiate(dentry, inode);
	qtfs_dentry_touch(dentry);
	return 0;
}

/* Run a request without reply payload. */
static int qtfs_simple_run(struct qtfs_req *req)
{
	int ret = qtfs_req_run(req);

	qtfs_req_put(req);
	return ret;
}

static struct dentry *qtfs_lookup(struct inode *dir, struct dentry *dentry,
				  unsigned int flags)
{
	struct inode *inode = NULL;
	struct qtfs_attr attr;
	struct qtfs_req *req;
	char *buf, *path;
	int ret;

	if (dentry->d_name.len > QTFS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	req = qtfs_path_req(dentry->d_parent, QTFS_OP_LOOKUP, 0, &buf, &path);
	if (IS_ERR(req))
		return ERR_CAST(req);
	qtfs_req_args(req, path, dentry->d_name.name);
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &attr);
	qtfs_req_put(req);
	if (!ret) {
		inode = qtfs_iget(dir->i_sb, &attr);
		if (IS_ERR(inode))
			return ERR_CAST(inode);
	} else if (ret != -ENOENT) {
		return ERR_PTR(ret);
	}
	qtfs_dentry_touch(dentry);
	return d_splice_alias(inode, dentry);
}

static int qtfs_mkdir(struct qtfs_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode)
{
	struct qtfs_req *req;
	char *buf, *path;

	req = qtfs_path_req(dentry->d_parent, QTFS_OP_MKDIR, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, dentry->d_name.name, (u32)mode,
		      (u32)current_umask());
	qtfs_put_path(buf);
	return qtfs_entry_run(req, dentry);
}

static int qtfs_mknod(struct qtfs_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, dev_t rdev)
{
	struct qtfs_req *req;
	char *buf, *path;

	req = qtfs_path_req(dentry->d_parent, QTFS_OP_MKNOD, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, dentry->d_name.name, (u32)mode,
		      (u32)MAJOR(rdev), (u32)MINOR(rdev), (u32)current_umask());
	qtfs_put_path(buf);
	return qtfs_entry_run(req, dentry);
}

static int qtfs_create(struct qtfs_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode, bool excl)
{
	return qtfs_mknod(idmap, dir, dentry, (mode & ~S_IFMT) | S_IFREG, 0);
}

static int qtfs_symlink(struct qtfs_idmap *idmap, struct inode *dir,
			struct dentry *dentry, const char *target)
{
	struct qtfs_req *req;
	char *buf, *path;

	req = qtfs_path_req(dentry->d_parent, QTFS_OP_SYMLINK, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, dentry->d_name.name, target);
	qtfs_put_path(buf);
	return qtfs_entry_run(req, dentry);
}

static int qtfs_link(struct dentry *old, struct inode *dir,
		     struct dentry *dentry)
{
	char *obuf, *opath, *buf, *path;
	struct qtfs_req *req;

	req = qtfs_path_req(dentry->d_parent, QTFS_OP_LINK, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	opath = qtfs_dentry_path(old, &obuf);
	if (IS_ERR(opath)) {
		qtfs_put_path(buf);
		qtfs_req_put(req);
		return PTR_ERR(opath);
	}
	qtfs_req_args(req, opath, path, dentry->d_name.name);
	qtfs_put_path(obuf);
	qtfs_put_path(buf);
	return qtfs_entry_run(req, dentry);
}

/* UNLINK or RMDIR of @dentry in its parent. */
static int qtfs_remove(struct dentry *dentry, u16 op)
{
	struct inode *inode = d_inode(dentry);
	struct qtfs_req *req;
	char *buf, *path;
	int ret;

	req = qtfs_path_req(dentry->d_parent, op, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, dentry->d_name.name);
	qtfs_put_path(buf);
	ret = qtfs_simple_run(req);
	if (ret)
		return ret;
	if (op == QTFS_OP_RMDIR)
		clear_nlink(inode);
	else if (inode->i_nlink)
		drop_nlink(inode);
	return 0;
}

static int qtfs_unlink(struct inode *dir, struct dentry *dentry)
{
	return qtfs_remove(dentry, QTFS_OP_UNLINK);
}

static int qtfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	return qtfs_remove(dentry, QTFS_OP_RMDIR);
}

static int qtfs_rename(struct qtfs_idmap *idmap, struct inode *old_dir,
		       struct dentry *old, struct inode *new_dir,
		       struct dentry *new, unsigned int flags)
{
	char *obuf, *opath, *buf, *path;
	struct inode *target = d_inode(new);
	struct qtfs_req *req;
	u32 wflags = 0;
	int ret;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_NOREPLACE)
		wflags |= QTFS_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE)
		wflags |= QTFS_RENAME_EXCHANGE;
	req = qtfs_path_req(new->d_parent, QTFS_OP_RENAME, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	opath = qtfs_dentry_path(old->d_parent, &obuf);
	if (IS_ERR(opath)) {
		qtfs_put_path(buf);
		qtfs_req_put(req);
		return PTR_ERR(opath);
	}
	qtfs_req_args(req, opath, old->d_name.name, path, new->d_name.name,
		      wflags);
	qtfs_put_path(obuf);
	qtfs_put_path(buf);
	ret = qtfs_simple_run(req);
	if (ret || !target || (flags & RENAME_EXCHANGE))
		return ret;
	if (S_ISDIR(target->i_mode))
		clear_nlink(target);
	else if (target->i_nlink)
		drop_nlink(target);
	return 0;
}

/*
 * O_CREAT opens go through CREATE, so the server decides atomically whether
 * the name exists (O_EXCL) and hands back an open handle.
 */
static int qtfs_atomic_open(struct inode *dir, struct dentry *dentry,
			    struct file *file, unsigned int flags,
			    umode_t mode)
{
	struct dentry *res = NULL;
	struct qtfs_attr attr;
	struct inode *inode;
	struct qtfs_req *req;
	char *buf, *path;
	u64 handle;
	u32 cflags;
	u32 gen;
	int ret;

	if (d_in_lookup(dentry)) {
		res = qtfs_lookup(dir, dentry, 0);
		if (IS_ERR(res))
			return PTR_ERR(res);
		if (res)
			dentry = res;
	}
	if (!(flags & O_CREAT) || d_really_is_positive(dentry))
		return finish_no_open(file, res);

	req = qtfs_path_req(dentry->d_parent, QTFS_OP_CREATE, 0, &buf, &path);
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto out_dput;
	}
	qtfs_req_args(req, path, dentry->d_name.name,
		      qtfs_oflags_to_wire(flags & ~O_TRUNC),
		      (u32)(mode & ~S_IFMT), (u32)current_umask());
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &handle, &attr, &cflags);
	gen = req->gen;
	qtfs_req_put(req);
	if (ret)
		goto out_dput;
	inode = qtfs_iget(dir->i_sb, &attr);
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto out_release;
	}
	d_instantiate(dentry, inode);
	qtfs_dentry_touch(dentry);
	/* an existing file is truncated by the VFS, a new one is not */
	if (cflags & QTFS_CREATE_CREATED)
		file->f_mode |= FMODE_CREATED;
	ret = qtfs_open_handle(file, inode, handle, gen);
	if (ret)
		goto out_release;
	/* uncached I/O, as qtfs_open() says */
	file->f_mode |= FMODE_CAN_ODIRECT;
	ret = finish_open(file, dentry, generic_file_open);
	if (ret)
		qtfs_release_file(inode, file);
	goto out_dput;

out_release:
	qtfs_release_raw(dir->i_sb, handle, gen);
out_dput:
	dput(res);
	return ret;
}

static int qtfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct qtfs_conn *conn = qtfs_conn(inode->i_sb);
	struct qtfs_dirent ent;
	struct qtfs_file *qf;
	struct qtfs_req *req;
	struct qtfs_buf b;
	const void *blob;
	u32 flags, len, n;
	bool emitted;
	int ret;

	qf = qtfs_file_handle(file);
	if (IS_ERR(qf))
		return PTR_ERR(qf);
	for (;;) {
		req = qtfs_req_new(conn, QTFS_OP_READDIR, 0, QTFS_READDIR_CHUNK);
		if (IS_ERR(req))
			return PTR_ERR(req);
		qtfs_req_args(req, qf->handle, (u64)ctx->pos,
			      (u32)QTFS_READDIR_CHUNK);
		ret = qtfs_req_run(req);
		if (!ret)
			ret = qtfs_req_result(req, &flags, &blob, &len);
		if (ret)
			goto out_put;
		qtfs_buf_init(&b, (void *)blob, len);
		for (n = 0; (ret = qtfs_proto_dirent_next(&b, &ent)) == 1; n++) {
			if (ent.namelen == 1 && ent.name[0] == '.')
				emitted = dir_emit(ctx, ".", 1, inode->i_ino,
						   DT_DIR);
			else if (ent.namelen == 2 && !memcmp(ent.name, "..", 2))
				emitted = dir_emit(ctx, "..", 2,
						   parent_ino(file->f_path.dentry),
						   DT_DIR);
			else
				emitted = dir_emit(ctx, ent.name, ent.namelen,
						   ent.ino, ent.type);
			if (!emitted) {
				ret = 0;
				goto out_put;
			}
			ctx->pos = ent.off;
		}
		qtfs_req_put(req);
		if (ret)
			return -EPROTO;
		/*
		 * One chunk per call: a wire entry is never smaller than the
		 * linux_dirent64 it becomes, so a caller's buffer of at least
		 * QTFS_READDIR_CHUNK (glibc's is 32 KiB) takes a whole chunk
		 * and the next call resumes exactly where the server's
		 * directory stopped.  Resuming in the middle of a chunk would
		 * seek the server's directory, and on libfs directories
		 * (tmpfs) that recounts entries and repeats some when others
		 * were created in between.
		 */
		if ((flags & QTFS_READDIR_EOF) || n)
			return 0;
	}
out_put:
	qtfs_req_put(req);
	return ret;
}

static loff_t qtfs_dir_llseek(struct file *file, loff_t offset, int whence)
{
	/* positions are the server's cookies */
	return generic_file_llseek_size(file, offset, whence, LLONG_MAX,
					LLONG_MAX);
}

const struct inode_operations qtfs_dir_iops = {
	.lookup = qtfs_lookup,
	.atomic_open = qtfs_atomic_open,
	.create = qtfs_create,
	.mkdir = qtfs_mkdir,
	.mknod = qtfs_mknod,
	.symlink = qtfs_symlink,
	.link = qtfs_link,
	.unlink = qtfs_unlink,
	.rmdir = qtfs_rmdir,
	.rename = qtfs_rename,
	.getattr = qtfs_getattr,
	.setattr = qtfs_setattr,
	.permission = qtfs_permission,
	.listxattr = qtfs_listxattr,
};

const struct file_operations qtfs_dir_fops = {
	.open = qtfs_open,
	.release = qtfs_release_file,
	.iterate_shared = qtfs_readdir,
	.llseek = qtfs_dir_llseek,
	.read = generic_read_dir,
	.fsync = qtfs_fsync,
};
