// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client files: open handles, read, write, seek, sync, fallocate.
 *
 * read(2) and write(2) go straight to the server in chunks of at most the
 * negotiated message size, so a reader on either side sees every completed
 * write.  Only mmap uses the page cache (addr.c): dirty pages of a range
 * are written back before an uncached read or write of it, and its cached
 * pages dropped after an uncached write.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include "qtfs_i.h"

/**
 * qtfs_io_max() - largest READ/WRITE payload the connection carries
 * @conn: connection
 *
 * Return: a multiple of PAGE_SIZE.
 */
u32 qtfs_io_max(struct qtfs_conn *conn)
{
	u32 max = READ_ONCE(conn->max_msg) - QTFS_MSG_OVERHEAD;

	return min_t(u32, rounddown(max, PAGE_SIZE), QTFS_IO_MAX);
}

/**
 * qtfs_open_handle() - attach a server handle to an opening file
 * @file:   file being opened (f_mode and f_flags are set)
 * @inode:  its inode; the handle joins the inode's open handles
 * @handle: server handle
 * @gen:    connection generation of @handle
 *
 * Return: 0 or -ENOMEM.
 */
int qtfs_open_handle(struct file *file, struct inode *inode, u64 handle,
		     u32 gen)
{
	struct qtfs_inode *qi = QTFS_I(inode);
	struct qtfs_file *qf = kmalloc(sizeof(*qf), GFP_KERNEL);

	if (!qf)
		return -ENOMEM;
	qf->handle = handle;
	qf->gen = gen;
	refcount_set(&qf->ref, 1);
	qf->mode = file->f_mode & (FMODE_READ | FMODE_WRITE);
	qf->flags = file->f_flags;
	qf->sb = inode->i_sb;
	spin_lock(&qi->lock);
	list_add_tail(&qf->link, &qi->files);
	spin_unlock(&qi->lock);
	file->private_data = qf;
	return 0;
}

/**
 * qtfs_file_handle() - the server handle of an open file, if still valid
 * @file: open qtfs file
 *
 * Return: the handle, or ERR_PTR(-ESTALE) when the connection it was opened
 * on has been replaced (the server forgot it), ERR_PTR(-EBADF) if none.
 */
struct qtfs_file *qtfs_file_handle(struct file *file)
{
	struct qtfs_file *qf = file->private_data;

	if (!qf)
		return ERR_PTR(-EBADF);
	if (qf->gen != READ_ONCE(qtfs_conn(file_inode(file)->i_sb)->gen))
		return ERR_PTR(-ESTALE);
	return qf;
}

/**
 * qtfs_file_put() - drop a reference to an open handle
 * @qf: handle; the last reference RELEASEs it on the server
 */
void qtfs_file_put(struct qtfs_file *qf)
{
	if (!refcount_dec_and_test(&qf->ref))
		return;
	qtfs_release_raw(qf->sb, qf->handle, qf->gen);
	kfree(qf);
}

/**
 * qtfs_inode_handle() - borrow an open handle of an inode
 * @inode: inode
 * @mode:  FMODE_READ: any readable handle; FMODE_WRITE: a writable one
 *         that writes where it is told (not O_APPEND), for writeback
 *
 * The handle stays usable until qtfs_file_put() even if its file is closed
 * meanwhile.
 *
 * Return: a referenced handle of the current connection, or NULL.
 */
struct qtfs_file *qtfs_inode_handle(struct inode *inode, fmode_t mode)
{
	u32 gen = READ_ONCE(qtfs_conn(inode->i_sb)->gen);
	struct qtfs_inode *qi = QTFS_I(inode);
	struct qtfs_file *qf, *found = NULL;

	spin_lock(&qi->lock);
	list_for_each_entry(qf, &qi->files, link) {
		if (qf->gen != gen || !(qf->mode & mode))
			continue;
		if ((mode & FMODE_WRITE) && (qf->flags & O_APPEND))
			continue;
		refcount_inc(&qf->ref);
		found = qf;
		break;
	}
	spin_unlock(&qi->lock);
	return found;
}

/**
 * qtfs_release_raw() - tell the server a handle is closed
 * @sb:     super block
 * @handle: server handle
 * @gen:    connection generation of @handle; stale handles are not sent
 */
void qtfs_release_raw(struct super_block *sb, u64 handle, u32 gen)
{
	struct qtfs_conn *conn = qtfs_conn(sb);
	struct qtfs_req *req;

	if (gen != READ_ONCE(conn->gen))
		return;
	req = qtfs_req_new(conn, QTFS_OP_RELEASE, 0, 0);
	if (IS_ERR(req))
		return;
	/* a killed process's last close must not leak the handle */
	req->must_send = true;
	qtfs_req_args(req, handle);
	/* nothing to report on close: the server frees it regardless */
	qtfs_req_run(req);
	qtfs_req_put(req);
}

/**
 * qtfs_open_truncated() - the server emptied a file at open (O_TRUNC)
 * @inode: regular file
 * @attr:  its attributes from the OPEN or CREATE reply
 *
 * The page cache goes the same way, dirty pages included, as a local
 * truncation drops them.  Caller holds the mapping's invalidate_lock.
 */
void qtfs_open_truncated(struct inode *inode, const struct qtfs_attr *attr)
	__must_hold(&inode->i_mapping->invalidate_lock)
{
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	truncate_pagecache(inode, 0);
	qtfs_cache_note(inode, attr);
}

/**
 * qtfs_open() - ->open of files and directories: OPEN on the server
 * @inode: inode
 * @file:  file
 *
 * O_TRUNC travels with the OPEN, so that the server truncates with the
 * caller's rights and the open's own checks (EACCES without write
 * permission, also for O_RDONLY|O_TRUNC, which truncates as root); the
 * truncation the VFS asks for afterwards is then a no-op (qtfs_setattr()
 * with ATTR_OPEN).  Pages a mapping dirtied are written back first, so
 * that none is written after the truncation and grows the file again.
 *
 * Return: 0 or -errno from the server.
 */
int qtfs_open(struct inode *inode, struct file *file)
{
	int flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
	bool trunc = S_ISREG(inode->i_mode) && (flags & O_TRUNC);
	struct address_space *mapping = inode->i_mapping;
	struct qtfs_attr attr;
	struct qtfs_req *req;
	char *buf, *path;
	u64 handle;
	u32 gen;
	int ret;

	if (!trunc)
		flags &= ~O_TRUNC;
	if (trunc) {
		filemap_invalidate_lock(mapping);
		ret = filemap_write_and_wait(mapping);
		if (ret)
			goto out_unlock;
	}
	req = qtfs_path_req(file->f_path.dentry, QTFS_OP_OPEN, 0, &buf, &path);
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto out_unlock;
	}
	qtfs_req_args(req, path, qtfs_oflags_to_wire(flags));
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &handle, &attr);
	gen = req->gen;
	qtfs_req_put(req);
	if (ret)
		goto out_unlock;
	if (!qtfs_attr_matches(inode, &attr)) {
		/* replaced on the server: the VFS looks it up again */
		qtfs_release_raw(inode->i_sb, handle, gen);
		d_drop(file->f_path.dentry);
		ret = -ESTALE;
		goto out_unlock;
	}
	qtfs_fill_inode(inode, &attr);
	/*
	 * read(2) and write(2) go to the server uncached; only mmap uses the
	 * page cache, which must not hide changes made before this open.
	 */
	file->f_mode |= FMODE_CAN_ODIRECT;
	if (trunc)
		qtfs_open_truncated(inode, &attr);
	else if (S_ISREG(inode->i_mode))
		qtfs_cache_revalidate(inode, &attr);
	ret = qtfs_open_handle(file, inode, handle, gen);
	if (ret)
		qtfs_release_raw(inode->i_sb, handle, gen);
out_unlock:
	if (trunc)
		filemap_invalidate_unlock(mapping);
	return ret;
}

/**
 * qtfs_release_file() - ->release: RELEASE the server handle
 * @inode: inode
 * @file:  file
 *
 * Return: 0.
 */
int qtfs_release_file(struct inode *inode, struct file *file)
{
	struct qtfs_inode *qi = QTFS_I(inode);
	struct qtfs_file *qf = file->private_data;

	if (qf) {
		spin_lock(&qi->lock);
		list_del_init(&qf->link);
		spin_unlock(&qi->lock);
		file->private_data = NULL;
		qtfs_file_put(qf);
	}
	return 0;
}

/*
 * ->flush, at every close(2): pages dirtied through a mapping reach the
 * server, and a writeback error not yet reported through this file is.
 */
static int qtfs_flush(struct file *file, fl_owner_t id)
{
	int ret;

	if (!(file->f_mode & FMODE_WRITE))
		return 0;
	ret = filemap_write_and_wait(file->f_mapping);
	if (!ret)
		ret = file_check_and_advance_wb_err(file);
	return ret;
}

static ssize_t qtfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct qtfs_conn *conn = qtfs_conn(file_inode(file)->i_sb);
	struct qtfs_file *qf = qtfs_file_handle(file);
	loff_t pos = iocb->ki_pos;
	struct qtfs_req *req;
	const void *data;
	ssize_t total = 0;
	u32 count, len;
	size_t copied;
	int ret = 0;

	if (IS_ERR(qf))
		return PTR_ERR(qf);
	if (!iov_iter_count(to))
		return 0;
	/* what a mapping wrote must be on the server before it is read */
	ret = filemap_write_and_wait_range(file->f_mapping, pos,
					   pos + iov_iter_count(to) - 1);
	if (ret)
		return ret;
	while (iov_iter_count(to)) {
		count = min_t(size_t, iov_iter_count(to), qtfs_io_max(conn));
		req = qtfs_req_new(conn, QTFS_OP_READ, 0, count);
		if (IS_ERR(req)) {
			ret = PTR_ERR(req);
			break;
		}
		qtfs_req_args(req, qf->handle, (u64)pos, count);
		ret = qtfs_req_run(req);
		if (!ret)
			ret = qtfs_req_result(req, &data, &len);
		if (!ret && len > count)
			ret = -EPROTO;
		if (ret) {
			qtfs_req_put(req);
			break;
		}
		copied = copy_to_iter(data, len, to);
		qtfs_req_put(req);
		pos += copied;
		total += copied;
		if (copied < len) {
			ret = -EFAULT;
			break;
		}
		if (len < count)
			break;	/* end of file */
	}
	iocb->ki_pos = pos;
	if (total)
		file_accessed(file);
	return total ? total : ret;
}

/*
 * One WRITE of at most the connection's I/O size.  Returns bytes written
 * and sets *@start to where the server wrote them.
 */
static ssize_t qtfs_write_chunk(struct file *file, struct qtfs_file *qf,
				loff_t *pos, loff_t *start,
				struct iov_iter *from)
{
	struct inode *inode = file_inode(file);
	struct qtfs_conn *conn = qtfs_conn(inode->i_sb);
	u32 count = min_t(size_t, iov_iter_count(from), qtfs_io_max(conn));
	struct qtfs_attr attr;
	struct qtfs_req *req;
	size_t copied;
	u32 written;
	void *blob;
	int ret;

	req = qtfs_req_new(conn, QTFS_OP_WRITE, count, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, qf->handle, (u64)*pos, NULL, count);
	blob = req->out.data + req->out.pos - count;
	ret = req->out.err;
	copied = ret ? 0 : copy_from_iter(blob, count, from);
	if (!copied) {
		qtfs_req_put(req);
		return ret ? ret : -EFAULT;
	}
	qtfs_buf_trim_blob(&req->out, blob, copied);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &written, &attr);
	qtfs_req_put(req);
	if (!ret && written > copied)
		ret = -EPROTO;
	if (ret) {
		iov_iter_revert(from, copied);
		return ret;
	}
	iov_iter_revert(from, copied - written);
	qtfs_fill_inode(inode, &attr);
	/* our own change: the rest of the page cache is still current */
	qtfs_cache_note(inode, &attr);
	/* an O_APPEND handle writes at the server's end of file */
	if (file->f_flags & O_APPEND)
		*start = attr.size >= written ? attr.size - written : 0;
	else
		*start = *pos;
	*pos = *start + written;
	return written;
}

static ssize_t qtfs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct qtfs_file *qf = qtfs_file_handle(file);
	loff_t pos, start, lo = LLONG_MAX, hi = 0, old_size;
	ssize_t total = 0, ret;

	if (IS_ERR(qf))
		return PTR_ERR(qf);
	ret = qtfs_inode_lock_killable(inode);
	if (ret)
		return ret;
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out_unlock;
	pos = iocb->ki_pos;
	old_size = i_size_read(inode);
	/*
	 * Dirty pages of the range go first, so that they cannot overwrite
	 * this write later (O_APPEND: the server decides where it lands).
	 */
	if (file->f_flags & O_APPEND)
		ret = filemap_write_and_wait(inode->i_mapping);
	else
		ret = filemap_write_and_wait_range(inode->i_mapping, pos,
						   pos + iov_iter_count(from) - 1);
	if (ret)
		goto out_unlock;
	while (iov_iter_count(from)) {
		ret = qtfs_write_chunk(file, qf, &pos, &start, from);
		if (ret <= 0)
			break;
		lo = min(lo, start);
		hi = max(hi, pos);
		total += ret;
	}
	iocb->ki_pos = pos;
	/*
	 * Cached pages of the written range are stale now, and so is the
	 * zeroed tail of the page holding the old end of file.
	 */
	if (total)
		qtfs_cache_drop(inode, min(lo, old_size), hi - 1);
out_unlock:
	inode_unlock(inode);
	if (total > 0)
		total = generic_write_sync(iocb, total);
	return total ? total : ret;
}

static loff_t qtfs_llseek(struct file *file, loff_t offset, int whence)
{
	struct qtfs_conn *conn = qtfs_conn(file_inode(file)->i_sb);
	struct qtfs_file *qf;
	struct qtfs_req *req;
	u64 pos;
	int ret;

	if (whence == SEEK_SET || whence == SEEK_CUR)
		return generic_file_llseek(file, offset, whence);
	/* SEEK_END, SEEK_DATA and SEEK_HOLE need the server's view */
	qf = qtfs_file_handle(file);
	if (IS_ERR(qf))
		return PTR_ERR(qf);
	/* ... including what a mapping wrote into holes */
	if (whence == SEEK_DATA || whence == SEEK_HOLE) {
		ret = filemap_write_and_wait(file->f_mapping);
		if (ret)
			return ret;
	}
	req = qtfs_req_new(conn, QTFS_OP_LLSEEK, 0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, qf->handle, (u64)offset, (u32)whence);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &pos);
	qtfs_req_put(req);
	if (ret)
		return ret;
	return vfs_setpos(file, pos, file_inode(file)->i_sb->s_maxbytes);
}

/**
 * qtfs_fsync() - ->fsync: write back dirty pages, then FSYNC on the server
 * @file:     file
 * @start:    first byte of the range to write back
 * @end:      last byte (the server syncs the whole file)
 * @datasync: only data and what is needed to read it back (fdatasync)
 *
 * Return: 0, a writeback error not yet seen through @file, or the server's
 * -errno.
 */
int qtfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct qtfs_file *qf = qtfs_file_handle(file);
	struct qtfs_req *req;
	int ret, err;

	if (IS_ERR(qf))
		return PTR_ERR(qf);
	ret = file_write_and_wait_range(file, start, end);
	if (ret)
		return ret;
	req = qtfs_req_new(qtfs_conn(file_inode(file)->i_sb), QTFS_OP_FSYNC,
			   0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, qf->handle, (u32)!!datasync);
	ret = qtfs_req_run(req);
	qtfs_req_put(req);
	err = file_check_and_advance_wb_err(file);
	return ret ? ret : err;
}

/*
 * ->fallocate: the server allocates, punches or zeroes with its own
 * filesystem and says -EOPNOTSUPP for what that cannot do.  Dirty pages of
 * the range are written first and the range's cache dropped after.
 */
static long qtfs_fallocate(struct file *file, int mode, loff_t offset,
			   loff_t len)
{
	struct inode *inode = file_inode(file);
	struct address_space *mapping = inode->i_mapping;
	struct qtfs_file *qf = qtfs_file_handle(file);
	struct qtfs_attr attr;
	struct qtfs_req *req;
	loff_t old_size;
	int ret;

	if (IS_ERR(qf))
		return PTR_ERR(qf);
	if (offset < 0 || len <= 0 || offset > LLONG_MAX - len)
		return -EINVAL;
	ret = qtfs_inode_lock_killable(inode);
	if (ret)
		return ret;
	filemap_invalidate_lock(mapping);
	old_size = i_size_read(inode);
	ret = filemap_write_and_wait_range(mapping, offset, offset + len - 1);
	if (ret)
		goto out;
	req = qtfs_req_new(qtfs_conn(inode->i_sb), QTFS_OP_FALLOCATE, 0, 0);
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto out;
	}
	qtfs_req_args(req, qf->handle, (u32)mode, (u64)offset, (u64)len);
	ret = qtfs_req_run(req);
	qtfs_req_put(req);
	if (ret)
		goto out;
	qtfs_cache_drop(inode, min(offset, old_size), offset + len - 1);
	/* the size may have changed: fetch it through the handle */
	if (!qtfs_getattr_req(file->f_path.dentry, qf->handle, &attr) &&
	    qtfs_attr_matches(inode, &attr)) {
		qtfs_fill_inode(inode, &attr);
		qtfs_cache_note(inode, &attr);
	}
out:
	filemap_invalidate_unlock(mapping);
	inode_unlock(inode);
	return ret;
}

const struct file_operations qtfs_file_fops = {
	.open = qtfs_open,
	.flush = qtfs_flush,
	.release = qtfs_release_file,
	.read_iter = qtfs_read_iter,
	.write_iter = qtfs_write_iter,
	.llseek = qtfs_llseek,
	.fsync = qtfs_fsync,
	.mmap = qtfs_file_mmap,
	.fallocate = qtfs_fallocate,
	/* through read_iter/write_iter, so uncached like read(2)/write(2) */
	.splice_read = generic_file_splice_read,
	.splice_write = iter_file_splice_write,
	.lock = qtfs_lock,
	.flock = qtfs_flock,
};
