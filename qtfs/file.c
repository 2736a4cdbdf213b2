// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client files: open handles, read, write, seek and sync.
 *
 * Data goes straight to the server in chunks of at most the negotiated
 * message size, so a reader on either side sees every completed write.
 */
#include <linux/slab.h>
#include <linux/uio.h>
#include "qtfs_i.h"

/* Largest READ/WRITE payload the connection carries. */
static u32 qtfs_io_max(struct qtfs_conn *conn)
{
	u32 max = READ_ONCE(conn->max_msg) - QTFS_MSG_OVERHEAD;

	return min_t(u32, rounddown(max, PAGE_SIZE), QTFS_IO_MAX);
}

/**
 * qtfs_open_handle() - attach a server handle to an opening file
 * @file:   file being opened
 * @handle: server handle
 * @gen:    connection generation of @handle
 *
 * Return: 0 or -ENOMEM.
 */
int qtfs_open_handle(struct file *file, u64 handle, u32 gen)
{
	struct qtfs_file *qf = kmalloc(sizeof(*qf), GFP_KERNEL);

	if (!qf)
		return -ENOMEM;
	qf->handle = handle;
	qf->gen = gen;
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
	qtfs_req_args(req, handle);
	/* nothing to report on close: the server frees it regardless */
	qtfs_req_run(req);
	qtfs_req_put(req);
}

/**
 * qtfs_open() - ->open of files and directories: OPEN on the server
 * @inode: inode
 * @file:  file
 *
 * Return: 0 or -errno from the server.
 */
int qtfs_open(struct inode *inode, struct file *file)
{
	int flags = file->f_flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	struct qtfs_attr attr;
	struct qtfs_req *req;
	char *buf, *path;
	u64 handle;
	u32 gen;
	int ret;

	req = qtfs_path_req(file->f_path.dentry, QTFS_OP_OPEN, 0, &buf, &path);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, path, qtfs_oflags_to_wire(flags));
	qtfs_put_path(buf);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &handle, &attr);
	gen = req->gen;
	qtfs_req_put(req);
	if (ret)
		return ret;
	if (!qtfs_attr_matches(inode, &attr)) {
		/* replaced on the server: the VFS looks it up again */
		qtfs_release_raw(inode->i_sb, handle, gen);
		d_drop(file->f_path.dentry);
		return -ESTALE;
	}
	qtfs_fill_inode(inode, &attr);
	/* all I/O goes to the server uncached */
	file->f_mode |= FMODE_CAN_ODIRECT;
	ret = qtfs_open_handle(file, handle, gen);
	if (ret)
		qtfs_release_raw(inode->i_sb, handle, gen);
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
	struct qtfs_file *qf = file->private_data;

	if (qf) {
		qtfs_release_raw(inode->i_sb, qf->handle, qf->gen);
		file->private_data = NULL;
		kfree(qf);
	}
	return 0;
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

/* One WRITE of at most the connection's I/O size.  Returns bytes written. */
static ssize_t qtfs_write_chunk(struct file *file, struct qtfs_file *qf,
				loff_t *pos, struct iov_iter *from)
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
	/* an O_APPEND handle writes at the server's end of file */
	*pos = (file->f_flags & O_APPEND) ? attr.size : *pos + written;
	return written;
}

static ssize_t qtfs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct qtfs_file *qf = qtfs_file_handle(file);
	ssize_t total = 0, ret;
	loff_t pos;

	if (IS_ERR(qf))
		return PTR_ERR(qf);
	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out_unlock;
	pos = iocb->ki_pos;
	while (iov_iter_count(from)) {
		ret = qtfs_write_chunk(file, qf, &pos, from);
		if (ret <= 0)
			break;
		total += ret;
	}
	iocb->ki_pos = pos;
out_unlock:
	inode_unlock(inode);
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
 * qtfs_fsync() - ->fsync: FSYNC on the server
 * @file:     file
 * @start:    first byte (the whole file is synced)
 * @end:      last byte
 * @datasync: only data and what is needed to read it back
 *
 * Return: 0 or the server's -errno.
 */
int qtfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct qtfs_file *qf = qtfs_file_handle(file);
	struct qtfs_req *req;
	int ret;

	if (IS_ERR(qf))
		return PTR_ERR(qf);
	req = qtfs_req_new(qtfs_conn(file_inode(file)->i_sb), QTFS_OP_FSYNC,
			   0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, qf->handle, (u32)datasync);
	ret = qtfs_req_run(req);
	qtfs_req_put(req);
	return ret;
}

const struct file_operations qtfs_file_fops = {
	.open = qtfs_open,
	.release = qtfs_release_file,
	.read_iter = qtfs_read_iter,
	.write_iter = qtfs_write_iter,
	.llseek = qtfs_llseek,
	.fsync = qtfs_fsync,
	.lock = qtfs_lock,
	.flock = qtfs_flock,
};
