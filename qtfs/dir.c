// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client directories: lookup, entry creation and removal, rename,
 * and reading directories.
 */
#include <linux/namei.h>
#include <linux/pagemap.h>
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
	/* O_TRUNC: for a file that exists by now; see qtfs_open() */
	qtfs_req_args(req, path, dentry->d_name.name, qtfs_oflags_to_wire(flags),
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
	if (cflags & QTFS_CREATE_CREATED) {
		file->f_mode |= FMODE_CREATED;
	} else if ((flags & O_TRUNC) && S_ISREG(inode->i_mode)) {
		/* it existed (made meanwhile) and the server truncated it */
		filemap_invalidate_lock(inode->i_mapping);
		qtfs_open_truncated(inode, &attr);
		filemap_invalidate_unlock(inode->i_mapping);
	}
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

/**
 * struct qtfs_dir_buf - a READDIR reply the reader has not used up
 * @pos:  directory position (ctx->pos) at which @b continues
 * @eof:  the reply ended the directory
 * @n:    entries of the reply emitted so far
 * @b:    cursor over @data at the first entry not yet emitted
 * @data: the reply's entries
 *
 * A getdents() buffer often fills in the middle of a reply.  Asking the
 * server again from that entry's cookie would make it seek its directory
 * to a position it has already walked past; for filesystems whose
 * positions are entry counts (tmpfs before 6.6) that seek lands elsewhere
 * once entries were removed meanwhile, and "rm -r" style loops (read,
 * unlink, read on) would miss entries.  So the rest of the reply is kept
 * for the next call at the same position, and the server is only asked
 * for the position where its previous walk stopped.  getdents() and
 * lseek() of one file never overlap: fdget_pos() takes the file's
 * f_pos_lock (directories are FMODE_ATOMIC_POS) whenever anyone else holds
 * the file, so the lock is not always held and cannot be asserted.  A
 * seek drops the buffer.
 */
struct qtfs_dir_buf {
	loff_t pos;
	bool eof;
	u32 n;
	struct qtfs_buf b;
	u8 data[];
};

static void qtfs_dir_buf_drop(struct qtfs_file *qf)
{
	kvfree(qf->dir);
	qf->dir = NULL;
}

/* Start a walk at @pos, the position of its first READDIR. */
static void qtfs_dir_walk_start(struct qtfs_dir_walk *w, loff_t pos)
{
	w->mark = pos;
	w->steps = 0;
	w->power = 1;
}

/* End the walk: at the end of the directory and at a seek. */
static void qtfs_dir_walk_end(struct qtfs_dir_walk *w)
{
	w->power = 0;
	w->loop = false;
}

/**
 * qtfs_dir_walk_next() - note the position a directory walk moves on to
 * @file: directory
 * @w:    its walk, started by qtfs_dir_walk_start()
 * @pos:  position the next READDIR asks for, the cookie of the last entry
 *        of the previous reply
 *
 * See &struct qtfs_dir_walk.  The entries emitted before a loop is found
 * reach the caller; the walk then stays failed (@w->loop), so that the
 * next getdents() does not emit them again.
 *
 * Return: 0, or -EIO if the walk went through @pos already.
 */
static int qtfs_dir_walk_next(struct file *file, struct qtfs_dir_walk *w,
			      loff_t pos)
{
	if (w->mark == pos) {
		qtfs_err("%s: READDIR of %pD loops back to cookie %llu\n",
			 qtfs_conn(file_inode(file)->i_sb)->export, file,
			 (u64)pos);
		w->loop = true;
		return -EIO;
	}
	if (++w->steps == w->power) {
		w->mark = pos;
		w->steps = 0;
		w->power <<= 1;
	}
	return 0;
}

/* Fetch the entries from @pos on into a new qf->dir. */
static int qtfs_dir_fetch(struct file *file, struct qtfs_file *qf, loff_t pos)
{
	struct qtfs_conn *conn = qtfs_conn(file_inode(file)->i_sb);
	struct qtfs_dir_buf *db;
	struct qtfs_req *req;
	const void *blob;
	u32 flags, len;
	int ret;

	qtfs_dir_buf_drop(qf);
	req = qtfs_req_new(conn, QTFS_OP_READDIR, 0, QTFS_READDIR_CHUNK);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, qf->handle, (u64)pos, (u32)QTFS_READDIR_CHUNK);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &flags, &blob, &len);
	if (ret)
		goto out_put;
	ret = -ENOMEM;
	db = kvmalloc(struct_size(db, data, len), GFP_KERNEL);
	if (!db)
		goto out_put;
	memcpy(db->data, blob, len);
	qtfs_buf_init(&db->b, db->data, len);
	db->pos = pos;
	db->eof = flags & QTFS_READDIR_EOF;
	db->n = 0;
	qf->dir = db;
	ret = 0;
out_put:
	qtfs_req_put(req);
	return ret;
}

static int qtfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct qtfs_dirent ent;
	struct qtfs_dir_buf *db;
	struct qtfs_file *qf;
	bool emitted, done;
	u32 start;
	int ret;

	qf = qtfs_file_handle(file);
	if (IS_ERR(qf))
		return PTR_ERR(qf);
	if (qf->walk.loop)
		return -EIO;
	for (;;) {
		if (!qf->dir || qf->dir->pos != ctx->pos) {
			if (!qf->walk.power)
				qtfs_dir_walk_start(&qf->walk, ctx->pos);
			ret = qtfs_dir_fetch(file, qf, ctx->pos);
			if (ret)
				return ret;
		}
		db = qf->dir;
		for (;;) {
			start = db->b.pos;
			ret = qtfs_proto_dirent_next(&db->b, &ent);
			if (ret != 1)
				break;
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
				/* the caller's buffer is full: keep the rest */
				db->b.pos = start;
				return 0;
			}
			ctx->pos = ent.off;
			db->pos = ent.off;
			db->n++;
		}
		/* used up: an empty reply also ends the walk */
		done = db->eof || !db->n;
		qtfs_dir_buf_drop(qf);
		if (ret)
			return -EPROTO;
		if (done) {
			qtfs_dir_walk_end(&qf->walk);
			return 0;
		}
		ret = qtfs_dir_walk_next(file, &qf->walk, ctx->pos);
		if (ret)
			return ret;
	}
}

static int qtfs_dir_open(struct inode *inode, struct file *file)
{
	int ret = qtfs_open(inode, file);
	struct qtfs_file *qf = file->private_data;

	if (!ret) {
		qf->dir = NULL;
		qtfs_dir_walk_end(&qf->walk);
	}
	return ret;
}

static int qtfs_dir_release(struct inode *inode, struct file *file)
{
	struct qtfs_file *qf = file->private_data;

	if (qf)
		qtfs_dir_buf_drop(qf);
	return qtfs_release_file(inode, file);
}

static loff_t qtfs_dir_llseek(struct file *file, loff_t offset, int whence)
{
	struct qtfs_file *qf = file->private_data;

	/* rewinddir() and seekdir() read the directory as it is now */
	if (qf) {
		qtfs_dir_buf_drop(qf);
		qtfs_dir_walk_end(&qf->walk);
	}
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
	.open = qtfs_dir_open,
	.release = qtfs_dir_release,
	.iterate_shared = qtfs_readdir,
	.llseek = qtfs_dir_llseek,
	.read = generic_read_dir,
	.fsync = qtfs_fsync,
};
