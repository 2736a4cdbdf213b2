// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client page cache, used only behind mmap: read(2) and write(2) stay
 * uncached (file.c).
 *
 * Pages are read with READ through any readable open handle of the inode
 * and written back with WRITE through a writable, non-O_APPEND one
 * (qtfs_inode_handle()), so writeback needs no handle of its own: a shared
 * writable mapping holds its file, and with it a writable handle, until the
 * mapping's ->close has written the pages back.
 *
 * Dirty pages reach the server on msync/fsync, close (->flush), munmap
 * (vm_ops->close) and by background writeback; errors are recorded with
 * mapping_set_error() and reported by fsync, msync and close.
 *
 * Coherence with the server: there are no change notifications, so the
 * cache is checked against the server's mtime, ctime and size whenever
 * fresh attributes arrive at open, mmap and stat (qtfs_cache_revalidate())
 * and dropped when they changed behind our back; our own writes record the
 * attributes they produced (qtfs_cache_note()) so they do not count as
 * foreign changes.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/writeback.h>
#include "qtfs_i.h"

/* Do @attr match what the page cache was last known consistent with? */
static bool qtfs_cache_current(struct qtfs_inode *qi,
			       const struct qtfs_attr *attr)
{
	return qi->cache_size == attr->size &&
	       qi->cache_mtime.tv_sec == (s64)attr->mtime_sec &&
	       qi->cache_mtime.tv_nsec == attr->mtime_nsec &&
	       qi->cache_ctime.tv_sec == (s64)attr->ctime_sec &&
	       qi->cache_ctime.tv_nsec == attr->ctime_nsec;
}

/**
 * qtfs_cache_note() - the page cache is consistent with these attributes
 * @inode: regular file
 * @attr:  attributes the server returned for a change made by this client
 */
void qtfs_cache_note(struct inode *inode, const struct qtfs_attr *attr)
{
	struct qtfs_inode *qi = QTFS_I(inode);

	spin_lock(&qi->lock);
	qi->cache_size = attr->size;
	qi->cache_mtime.tv_sec = attr->mtime_sec;
	qi->cache_mtime.tv_nsec = attr->mtime_nsec;
	qi->cache_ctime.tv_sec = attr->ctime_sec;
	qi->cache_ctime.tv_nsec = attr->ctime_nsec;
	spin_unlock(&qi->lock);
}

/**
 * qtfs_cache_revalidate() - drop the page cache if the file changed
 * @inode: regular file
 * @attr:  fresh attributes from the server
 *
 * When the server's size or times differ from those the cache was filled
 * under, somebody else changed the file: our dirty pages are written back
 * (they are newer than anything cached) and every cached page dropped, so
 * the next access through a mapping reads the server's data.
 */
void qtfs_cache_revalidate(struct inode *inode, const struct qtfs_attr *attr)
{
	struct qtfs_inode *qi = QTFS_I(inode);
	bool same;

	spin_lock(&qi->lock);
	same = qtfs_cache_current(qi, attr);
	spin_unlock(&qi->lock);
	if (same)
		return;
	if (inode->i_mapping->nrpages) {
		filemap_write_and_wait(inode->i_mapping);
		invalidate_inode_pages2(inode->i_mapping);
	}
	qtfs_cache_note(inode, attr);
}

/**
 * qtfs_cache_drop() - drop cached pages of a byte range changed uncached
 * @inode: regular file
 * @start: first byte
 * @end:   last byte
 *
 * Mapped pages of the range are unmapped; the caller has written back the
 * dirty ones, a page dirtied again meanwhile is written by ->launder_folio.
 */
void qtfs_cache_drop(struct inode *inode, loff_t start, loff_t end)
{
	struct address_space *mapping = inode->i_mapping;

	if (!mapping->nrpages || end < start)
		return;
	/* nothing useful to do if a page cannot go: it is refetched later */
	invalidate_inode_pages2_range(mapping, start >> PAGE_SHIFT,
				      end >> PAGE_SHIFT);
}

/* ----- reading ----- */

static int qtfs_read_folio(struct file *file, struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	struct qtfs_conn *conn = qtfs_conn(inode->i_sb);
	u32 count = folio_size(folio), len = 0;
	struct qtfs_file *qf;
	struct qtfs_req *req;
	const void *data;
	int ret;

	qf = qtfs_inode_handle(inode, FMODE_READ);
	if (!qf) {
		ret = -EBADF;
		goto out;
	}
	req = qtfs_req_new(conn, QTFS_OP_READ, 0, count);
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto out_put;
	}
	qtfs_req_args(req, qf->handle, (u64)folio_pos(folio), count);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &data, &len);
	if (!ret && len > count)
		ret = -EPROTO;
	if (!ret) {
		/* qtfs mappings hold order-0 folios only */
		void *kaddr = kmap_local_folio(folio, 0);

		memcpy(kaddr, data, len);
		memset(kaddr + len, 0, count - len);
		kunmap_local(kaddr);
		flush_dcache_folio(folio);
	}
	qtfs_req_put(req);
out_put:
	qtfs_file_put(qf);
out:
	if (!ret)
		folio_mark_uptodate(folio);
	folio_unlock(folio);
	return ret;
}

/*
 * ->readahead: one READ per window of up to the connection's I/O size
 * instead of one per page.  Folios left over after an error are unlocked
 * by the caller and read later through ->read_folio.
 */
static void qtfs_readahead(struct readahead_control *rac)
{
	struct inode *inode = rac->mapping->host;
	struct qtfs_conn *conn = qtfs_conn(inode->i_sb);
	u32 count, len, done;
	struct qtfs_file *qf;
	struct qtfs_req *req;
	struct folio *folio;
	const void *data;
	void *kaddr;
	int ret;

	qf = qtfs_inode_handle(inode, FMODE_READ);
	if (!qf)
		return;
	while (readahead_count(rac)) {
		count = min_t(size_t, readahead_length(rac), qtfs_io_max(conn));
		req = qtfs_req_new(conn, QTFS_OP_READ, 0, count);
		if (IS_ERR(req))
			break;
		qtfs_req_args(req, qf->handle, (u64)readahead_pos(rac), count);
		ret = qtfs_req_run(req);
		if (!ret)
			ret = qtfs_req_result(req, &data, &len);
		if (!ret && len > count)
			ret = -EPROTO;
		if (ret) {
			qtfs_req_put(req);
			break;
		}
		for (done = 0; done < count; done += PAGE_SIZE) {
			folio = readahead_folio(rac);
			if (!folio)
				break;
			kaddr = kmap_local_folio(folio, 0);
			if (len > done) {
				memcpy(kaddr, data + done,
				       min_t(u32, len - done, PAGE_SIZE));
			}
			if (len < done + PAGE_SIZE) {
				u32 keep = len > done ? len - done : 0;

				memset(kaddr + keep, 0, PAGE_SIZE - keep);
			}
			kunmap_local(kaddr);
			flush_dcache_folio(folio);
			folio_mark_uptodate(folio);
			folio_unlock(folio);
		}
		qtfs_req_put(req);
	}
	qtfs_file_put(qf);
}

/* ----- writing back ----- */

/*
 * WRITE @len bytes of @buf at @pos through @qf.  Returns 0 or -errno; a
 * short WRITE that makes no progress is -EIO.
 */
static int qtfs_write_buf(struct inode *inode, struct qtfs_file *qf,
			  loff_t pos, const void *buf, u32 len)
{
	struct qtfs_conn *conn = qtfs_conn(inode->i_sb);
	unsigned int nofs = memalloc_nofs_save();
	u32 done = 0, written, chunk;
	struct qtfs_attr attr;
	struct qtfs_req *req;
	int ret = 0;

	while (done < len) {
		chunk = min(len - done, qtfs_io_max(conn));
		req = qtfs_req_new(conn, QTFS_OP_WRITE, chunk, 0);
		if (IS_ERR(req)) {
			ret = PTR_ERR(req);
			break;
		}
		qtfs_req_args(req, qf->handle, (u64)(pos + done), NULL, chunk);
		ret = req->out.err;
		if (!ret) {
			memcpy(req->out.data + req->out.pos - chunk, buf + done,
			       chunk);
			ret = qtfs_req_run(req);
		}
		if (!ret)
			ret = qtfs_req_result(req, &written, &attr);
		qtfs_req_put(req);
		if (!ret && (!written || written > chunk))
			ret = written ? -EPROTO : -EIO;
		if (ret)
			break;
		done += written;
		/* our own change: not a reason to drop the cache later */
		if (qtfs_attr_matches(inode, &attr))
			qtfs_cache_note(inode, &attr);
	}
	memalloc_nofs_restore(nofs);
	return ret;
}

/* Bytes of @folio below i_size: what writeback sends of it. */
static u32 qtfs_folio_wb_len(struct inode *inode, struct folio *folio)
{
	loff_t pos = folio_pos(folio), size = i_size_read(inode);

	if (pos >= size)
		return 0;	/* truncated meanwhile: nothing to keep */
	return min_t(loff_t, folio_size(folio), size - pos);
}

/* Send a locked or under-writeback folio to the server through @qf. */
static int qtfs_write_folio_data(struct inode *inode, struct folio *folio,
				 struct qtfs_file *qf)
{
	u32 len = qtfs_folio_wb_len(inode, folio);
	void *kaddr;
	int ret;

	if (!len)
		return 0;
	kaddr = kmap_local_folio(folio, 0);
	ret = qtfs_write_buf(inode, qf, folio_pos(folio), kaddr, len);
	kunmap_local(kaddr);
	return ret;
}

/*
 * Write one locked dirty folio (its dirty bit already cleared by the
 * caller) and unlock it.  Errors go to the mapping for fsync/close.
 */
static int qtfs_writepage_locked(struct folio *folio, struct qtfs_file *qf)
{
	struct inode *inode = folio->mapping->host;
	int ret;

	folio_start_writeback(folio);
	ret = qf ? qtfs_write_folio_data(inode, folio, qf) : -EBADF;
	if (ret) {
		/* the data is lost like on a local disk error */
		mapping_set_error(folio->mapping, ret);
	}
	folio_unlock(folio);
	folio_end_writeback(folio);
	return ret;
}

static int qtfs_writepage(struct page *page, struct writeback_control *wbc)
{
	struct folio *folio = page_folio(page);
	struct qtfs_file *qf;
	int ret;

	qf = qtfs_inode_handle(folio->mapping->host, FMODE_WRITE);
	ret = qtfs_writepage_locked(folio, qf);
	if (qf)
		qtfs_file_put(qf);
	return ret;
}

/* Most folios one WRITE of writepages carries. */
#define QTFS_WB_BATCH	64

/**
 * struct qtfs_wb_batch - contiguous dirty folios gathered for one WRITE
 * @inode:  the file
 * @qf:     handle written through, or NULL (every folio fails)
 * @buf:    copy of the folios' bytes, @max bytes of room
 * @max:    room in @buf
 * @pos:    file position of @buf[0]
 * @len:    bytes in @buf
 * @nr:     folios in @folios, under writeback and referenced
 * @folios: the folios, contiguous from @pos
 *
 * The folios are copied and unlocked at once, so a store through a mapping
 * meanwhile just dirties the folio again for the next pass.
 */
struct qtfs_wb_batch {
	struct inode *inode;
	struct qtfs_file *qf;
	char *buf;
	u32 max;
	loff_t pos;
	u32 len;
	unsigned int nr;
	struct folio *folios[QTFS_WB_BATCH];
};

static void qtfs_wb_flush(struct qtfs_wb_batch *b)
{
	int ret = -EBADF;
	unsigned int i;

	if (!b->nr)
		return;
	if (b->qf)
		ret = qtfs_write_buf(b->inode, b->qf, b->pos, b->buf, b->len);
	if (ret)
		mapping_set_error(b->inode->i_mapping, ret);
	for (i = 0; i < b->nr; i++) {
		folio_end_writeback(b->folios[i]);
		folio_put(b->folios[i]);
	}
	b->nr = 0;
	b->len = 0;
}

static int qtfs_writepages_one(struct page *page,
			       struct writeback_control *wbc, void *data)
{
	struct folio *folio = page_folio(page);
	struct qtfs_wb_batch *b = data;
	u32 len = qtfs_folio_wb_len(b->inode, folio);
	void *kaddr;

	if (!len) {
		folio_unlock(folio);
		return 0;
	}
	/* only whole folios may be followed by another one */
	if (b->nr && (folio_pos(folio) != b->pos + b->len ||
		      b->nr == QTFS_WB_BATCH || b->len + len > b->max ||
		      b->len % PAGE_SIZE))
		qtfs_wb_flush(b);
	folio_start_writeback(folio);
	kaddr = kmap_local_folio(folio, 0);
	memcpy(b->buf + b->len, kaddr, len);
	kunmap_local(kaddr);
	folio_unlock(folio);
	folio_get(folio);
	if (!b->nr)
		b->pos = folio_pos(folio);
	b->folios[b->nr++] = folio;
	b->len += len;
	return 0;
}

/* Without memory for a batch: one WRITE per folio. */
static int qtfs_writepages_single(struct page *page,
				  struct writeback_control *wbc, void *data)
{
	/* an error is recorded in the mapping; go on with the next pages */
	qtfs_writepage_locked(page_folio(page), data);
	return 0;
}

static int qtfs_writepages(struct address_space *mapping,
			   struct writeback_control *wbc)
{
	struct inode *inode = mapping->host;
	unsigned int nofs = memalloc_nofs_save();
	struct qtfs_wb_batch *b;
	struct qtfs_file *qf;
	int ret;

	/* one handle for the whole pass */
	qf = qtfs_inode_handle(inode, FMODE_WRITE);
	b = kmalloc(sizeof(*b), GFP_KERNEL);
	if (b) {
		b->max = min_t(u32, qtfs_io_max(qtfs_conn(inode->i_sb)),
			       QTFS_WB_BATCH * PAGE_SIZE);
		b->buf = kvmalloc(b->max, GFP_KERNEL);
	}
	if (!b || !b->buf) {
		kfree(b);
		ret = write_cache_pages(mapping, wbc, qtfs_writepages_single,
					qf);
		goto out;
	}
	b->inode = inode;
	b->qf = qf;
	b->nr = 0;
	b->len = 0;
	ret = write_cache_pages(mapping, wbc, qtfs_writepages_one, b);
	qtfs_wb_flush(b);
	kvfree(b->buf);
	kfree(b);
out:
	if (qf)
		qtfs_file_put(qf);
	memalloc_nofs_restore(nofs);
	return ret;
}

/*
 * ->launder_folio: invalidate_inode_pages2() found the folio dirty again;
 * write it synchronously so that dropping it loses nothing.
 */
static int qtfs_launder_folio(struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	struct qtfs_file *qf;
	int ret = -EBADF;

	if (!folio_clear_dirty_for_io(folio))
		return 0;
	qf = qtfs_inode_handle(inode, FMODE_WRITE);
	if (qf) {
		ret = qtfs_write_folio_data(inode, folio, qf);
		qtfs_file_put(qf);
	}
	if (ret)
		mapping_set_error(folio->mapping, ret);
	return ret;
}

const struct address_space_operations qtfs_aops = {
	.read_folio = qtfs_read_folio,
	.readahead = qtfs_readahead,
	.writepage = qtfs_writepage,
	.writepages = qtfs_writepages,
	.launder_folio = qtfs_launder_folio,
	.dirty_folio = filemap_dirty_folio,
};

/* ----- mappings ----- */

static vm_fault_t qtfs_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = page_folio(vmf->page);
	struct inode *inode = file_inode(vmf->vma->vm_file);

	/* the server stamps mtime when the page is written back */
	sb_start_pagefault(inode->i_sb);
	folio_lock(folio);
	if (folio->mapping != inode->i_mapping) {
		/* truncated or invalidated meanwhile: fault again */
		folio_unlock(folio);
		sb_end_pagefault(inode->i_sb);
		return VM_FAULT_NOPAGE;
	}
	/* no change while a WRITE of the old contents is in flight */
	folio_wait_stable(folio);
	sb_end_pagefault(inode->i_sb);
	return VM_FAULT_LOCKED;
}

/* munmap: what the mapping dirtied goes to the server now, as fuse does */
static void qtfs_vma_close(struct vm_area_struct *vma)
{
	filemap_write_and_wait(vma->vm_file->f_mapping);
}

static const struct vm_operations_struct qtfs_vm_ops = {
	.close = qtfs_vma_close,
	.fault = filemap_fault,
	.map_pages = filemap_map_pages,
	.page_mkwrite = qtfs_page_mkwrite,
};

/**
 * qtfs_file_mmap() - ->mmap of regular files
 * @file: open file
 * @vma:  new mapping
 *
 * The cache is revalidated against the server first, so a new mapping
 * sees what was written on the server before it.  A shared writable
 * mapping needs a handle that writes where it is told: when the inode has
 * only O_APPEND ones, a writable shared mapping is refused with -EACCES (as
 * for append-only files) and a read-only one cannot be made writable.
 *
 * Return: 0 or -errno.
 */
int qtfs_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct inode *inode = file_inode(file);
	struct qtfs_file *qf = qtfs_file_handle(file);
	struct qtfs_attr attr;
	int ret;

	if (IS_ERR(qf))
		return PTR_ERR(qf);
	if ((vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_MAYWRITE)) {
		struct qtfs_file *wqf = qtfs_inode_handle(inode, FMODE_WRITE);

		if (!wqf && (vma->vm_flags & VM_WRITE))
			return -EACCES;
		if (!wqf)
			vma->vm_flags &= ~VM_MAYWRITE;	/* no mprotect later */
		else
			qtfs_file_put(wqf);
	}
	ret = qtfs_getattr_req(file->f_path.dentry, qf->handle, &attr);
	if (ret)
		return ret;
	if (!qtfs_attr_matches(inode, &attr))
		return -ESTALE;
	qtfs_fill_inode(inode, &attr);
	qtfs_cache_revalidate(inode, &attr);
	file_accessed(file);
	vma->vm_ops = &qtfs_vm_ops;
	return 0;
}
