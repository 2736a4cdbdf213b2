/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtfs client: internal definitions.
 *
 * Lock order (outermost first):
 *   VFS inode locks, mapping->invalidate_lock
 *   folio lock                (writeback and launder send WRITE under it)
 *   qtfs_conn.connect_lock   (held across connect + HELLO + MOUNT)
 *   qtfs_conn.send_lock      (one message at a time on the transport;
 *                             killable, held at most the send timeout)
 *   qtfs_conn.reqs xa_lock   (request table and connection state)
 * qtfs_inode.lock is a leaf spinlock: nothing is taken or sent under it.
 *
 * qtfs_info_lock (info.c, the list of all connections) is taken with no
 * other qtfs lock held, and nests only the reqs xa_lock inside.
 */
#ifndef _QTFS_I_H
#define _QTFS_I_H

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/xarray.h>
#include "qtfs_proto.h"
#include "qtfs_trans.h"
#include "qtfs_log.h"
#include "compat.h"

#ifdef pr_fmt
#undef pr_fmt
#endif
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/* Everything the client logs about a connection is peer-triggered. */
#define qtfs_err(fmt, ...) \
	qtfs_log(QTFS_LOG_ERROR, pr_err_ratelimited, fmt, ##__VA_ARGS__)
#define qtfs_warn(fmt, ...) \
	qtfs_log(QTFS_LOG_WARN, pr_warn_ratelimited, fmt, ##__VA_ARGS__)
#define qtfs_info(fmt, ...) \
	qtfs_log(QTFS_LOG_INFO, pr_info_ratelimited, fmt, ##__VA_ARGS__)

/**
 * enum qtfs_conn_state - state of the transport connection of a mount
 * @QTFS_CONN_DOWN:      no connection; the next request connects
 * @QTFS_CONN_HANDSHAKE: connected, HELLO done, MOUNT in flight: only the
 *                       connecting task may send
 * @QTFS_CONN_UP:        session established, requests flow
 * @QTFS_CONN_ABORTED:   umount -f or umount: requests fail at once
 */
enum qtfs_conn_state {
	QTFS_CONN_DOWN,
	QTFS_CONN_HANDSHAKE,
	QTFS_CONN_UP,
	QTFS_CONN_ABORTED,
};

/**
 * struct qtfs_conn - one mount's connection to the server (sb->s_fs_info)
 * @trans:        transport ops, pinned for the mount's life
 * @addr:         server address
 * @export:       server path given as mount source
 * @timeout:      bound on waiting for one reply, and on a send to a server
 *                that takes nothing, in jiffies (MAX_SCHEDULE_TIMEOUT:
 *                wait until killed)
 * @connect_lock: serialises (re)connection; protects @tc, @recv_task,
 *                @max_msg and @gen against concurrent replacement
 * @send_lock:    serialises senders on @tc
 * @tc:           transport endpoint of the current connection
 * @recv_task:    receive thread of the current connection
 * @reqs:         requests sent and not yet answered, by id; its xa_lock
 *                also protects @state
 * @next_id:      where the cyclic allocation of the next id starts, under
 *                the @reqs xa_lock
 * @state:        &enum qtfs_conn_state; read locklessly with READ_ONCE()
 * @gen:          connection generation, bumped at every (re)connect; open
 *                handles from an older generation are stale
 * @max_msg:      negotiated max message size
 * @next_try:     jiffies before which no reconnect is attempted (backoff)
 * @backoff:      current reconnect backoff, in jiffies
 * @root_ino:     server inode number of the export root
 * @proto_minor:  negotiated protocol minor version (written at HELLO)
 * @info_node:    link in the connection list of info.c (qtfs_info_lock)
 * @info_id:      mount number shown by qtinfo
 * @flags:        QTFS_MNT_* mount options, fixed at mount
 */
struct qtfs_conn {
	const struct qtfs_trans_ops *trans;
	struct qtfs_trans_addr addr;
	char *export;
	long timeout;

	struct mutex connect_lock;	/* see above */
	struct mutex send_lock;		/* see above */
	struct qtfs_tconn tc;
	struct task_struct *recv_task;

	struct xarray reqs;
	u32 next_id;
	int state;
	u32 gen;
	u32 max_msg;
	unsigned long next_try;
	unsigned long backoff;
	u64 root_ino;
	u16 proto_minor;
	struct list_head info_node;
	u32 info_id;
	unsigned int flags;
};

/* Mount options of &qtfs_conn.flags (super.c). */
#define QTFS_MNT_DEVICES	0x1	/* devices=local: open device nodes */
#define QTFS_MNT_SETID		0x2	/* setid=allow: execve() honours set-id */

/* Request states, read and written with READ_ONCE()/WRITE_ONCE(). */
enum qtfs_req_state {
	QTFS_REQ_NEW,		/* being built, not in @reqs */
	QTFS_REQ_SENT,		/* in @reqs, waiting for the reply */
	QTFS_REQ_ABANDONED,	/* waiter gone; reply will be dropped */
	QTFS_REQ_DONE,		/* @error and the reply are final */
};

/**
 * struct qtfs_req - one request and its reply
 * @ref:      references, see qtfs_req_new()
 * @conn:     connection it is sent on
 * @id:       request id, unique within @conn->reqs while sent
 * @gen:      connection generation it was sent on
 * @opcode:   &enum qtfs_op
 * @state:    &enum qtfs_req_state
 * @error:    0 or -errno once @state is DONE
 * @done:     completed when @state becomes DONE
 * @out:      request message being built
 * @rsp:      reply buffer of @rsp_size bytes; after success @in parses it
 * @rsp_size: room for the whole reply message, header included
 * @in:       cursor over the reply payload
 * @interruptible: wait for the reply without timeout until a signal, then
 *            send INTERRUPT and wait for the server's answer (a blocking
 *            lock)
 * @must_send: the server must see it even if its caller is being killed
 *            (RELEASE, sent from the last close of a killed process): it
 *            waits for its turn to send unkillably, which the send timeout
 *            bounds, instead of giving up at SIGKILL
 */
struct qtfs_req {
	refcount_t ref;
	struct qtfs_conn *conn;
	u32 id;
	u32 gen;
	u16 opcode;
	int state;
	int error;
	struct completion done;
	struct qtfs_buf out;
	void *rsp;
	u32 rsp_size;
	struct qtfs_buf in;
	bool interruptible;
	bool must_send;
};

/**
 * struct qtfs_dir_walk - loop detection in one walk of a directory
 * @mark:  a position the walk went through (Brent's "tortoise")
 * @steps: positions since @mark was taken
 * @power: @steps at which @mark moves on; 0 before the walk starts
 * @loop:  the walk came back to @mark: every getdents() fails with -EIO
 *         until a seek
 *
 * READDIR cookies are the server's directory positions.  A server whose
 * replies lead back to a position the walk went through already would
 * make getdents() loop for ever.  Brent's cycle detection finds every such
 * loop within twice its length, in constant space; a legitimate walk
 * never returns to a position.  Serialised like &qtfs_file.dir, by
 * fdget_pos() (dir.c).
 */
struct qtfs_dir_walk {
	u64 mark;
	u64 steps;
	u64 power;
	bool loop;
};

/**
 * struct qtfs_file - per open file state (file->private_data)
 * @handle: server handle from OPEN or CREATE
 * @gen:    connection generation the handle belongs to
 * @ref:    one for the open file, one per user borrowing the handle from
 *          the inode (writeback, reads of the page cache); the last put
 *          RELEASEs the handle on the server
 * @mode:   FMODE_READ/FMODE_WRITE of the open
 * @flags:  open flags (O_APPEND handles never serve writeback)
 * @sb:     super block, for the RELEASE at the last put
 * @link:   entry in &qtfs_inode.files, under &qtfs_inode.lock; empty once
 *          the file is released
 * @dir:    directories: the READDIR reply not yet read (dir.c)
 * @walk:   directories: the positions of the current walk (dir.c)
 */
struct qtfs_file {
	u64 handle;
	u32 gen;
	refcount_t ref;
	fmode_t mode;
	unsigned int flags;
	struct super_block *sb;
	struct list_head link;
	struct qtfs_dir_buf *dir;
	struct qtfs_dir_walk walk;
};

/**
 * struct qtfs_inode - client inode
 * @vfs_inode:   the VFS inode
 * @lock:        protects @files, @cache_mtime, @cache_ctime, @cache_size
 * @files:       open &struct qtfs_file of this inode.  Their handles keep
 *               an unlinked file reachable (getattr/setattr by handle) and
 *               serve the page cache: read_folio reads through any of them,
 *               writeback writes through a writable, non-O_APPEND one,
 *               borrowed with a reference so that a close racing with
 *               writeback cannot RELEASE it under the WRITE.
 * @cache_mtime: server mtime the page cache is known to be consistent with
 * @cache_ctime: server ctime, likewise
 * @cache_size:  server size, likewise
 * @setid:       S_ISUID and S_ISGID of a regular file as the server has
 *               them, when setid=ignore keeps them out of i_mode (so that
 *               execve() ignores them) but stat() still shows them; read
 *               and written with READ_ONCE()/WRITE_ONCE()
 */
struct qtfs_inode {
	struct inode vfs_inode;
	spinlock_t lock;	/* see above */
	struct list_head files;
	struct timespec64 cache_mtime;
	struct timespec64 cache_ctime;
	u64 cache_size;
	umode_t setid;
};

static inline struct qtfs_inode *QTFS_I(struct inode *inode)
{
	return container_of(inode, struct qtfs_inode, vfs_inode);
}

static inline struct qtfs_conn *qtfs_conn(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* conn.c */
struct qtfs_conn *qtfs_conn_create(const struct qtfs_trans_ops *trans,
				   const struct qtfs_trans_addr *addr,
				   const char *export, long timeout);
int qtfs_conn_start(struct qtfs_conn *conn, struct qtfs_attr *root);
void qtfs_conn_abort(struct qtfs_conn *conn);
void qtfs_conn_destroy(struct qtfs_conn *conn);
int qtfs_conn_ready(struct qtfs_conn *conn);
void qtfs_conn_fail(struct qtfs_conn *conn, u32 gen, int error);

/* info.c */
int qtfs_info_init(void);
void qtfs_info_exit(void);
void qtfs_info_add_conn(struct qtfs_conn *conn);
void qtfs_info_del_conn(struct qtfs_conn *conn);

/* req.c */
struct qtfs_req *qtfs_req_new(struct qtfs_conn *conn, u16 opcode,
			      u32 req_blob, u32 rsp_blob);
int qtfs_req_args(struct qtfs_req *req, ...);
int qtfs_req_run(struct qtfs_req *req);
int qtfs_req_send(struct qtfs_req *req);
int qtfs_req_result(struct qtfs_req *req, ...);
void qtfs_req_put(struct qtfs_req *req);
struct qtfs_req *qtfs_req_claim(struct qtfs_conn *conn,
				const struct qtfs_msg_hdr *h);
int qtfs_req_finish(struct qtfs_req *req, const struct qtfs_msg_hdr *h,
		    int error);
void qtfs_req_fail_all(struct qtfs_conn *conn, int error);

/* inode.c */
extern const struct inode_operations qtfs_file_iops;
extern const struct inode_operations qtfs_symlink_iops;
extern const struct inode_operations qtfs_special_iops;
extern const struct dentry_operations qtfs_dentry_ops;
struct inode *qtfs_iget(struct super_block *sb, const struct qtfs_attr *attr);
void qtfs_fill_inode(struct inode *inode, const struct qtfs_attr *attr);
char *qtfs_dentry_path(struct dentry *dentry, char **buf);
void qtfs_put_path(char *buf);
struct qtfs_req *qtfs_path_req(struct dentry *dentry, u16 opcode,
			       u32 rsp_blob, char **buf, char **path);
int qtfs_getattr_req(struct dentry *dentry, u64 handle,
		     struct qtfs_attr *attr);
int qtfs_refresh(struct dentry *dentry);
int qtfs_getattr(struct qtfs_idmap *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags);
int qtfs_setattr(struct qtfs_idmap *idmap, struct dentry *dentry,
		 struct iattr *iattr);
int qtfs_permission(struct qtfs_idmap *idmap, struct inode *inode, int mask);

/* Do server attributes describe @inode (and not a replacement)? */
static inline bool qtfs_attr_matches(struct inode *inode,
				     const struct qtfs_attr *attr)
{
	return attr->ino == inode->i_ino &&
	       (attr->mode & S_IFMT) == (inode->i_mode & S_IFMT);
}

/* Mark @dentry as just confirmed by the server. */
static inline void qtfs_dentry_touch(struct dentry *dentry)
{
	WRITE_ONCE(dentry->d_time, jiffies);
}

/* dir.c */
#define QTFS_READDIR_CHUNK	(32U << 10)	/* reply blob per READDIR */
extern const struct inode_operations qtfs_dir_iops;
extern const struct file_operations qtfs_dir_fops;

/* xattr.c */
extern const struct xattr_handler *qtfs_xattr_handlers[];
ssize_t qtfs_listxattr(struct dentry *dentry, char *list, size_t size);

/* file.c */
extern const struct file_operations qtfs_file_fops;
int qtfs_open(struct inode *inode, struct file *file);
void qtfs_open_truncated(struct inode *inode, const struct qtfs_attr *attr);
int qtfs_release_file(struct inode *inode, struct file *file);
int qtfs_fsync(struct file *file, loff_t start, loff_t end, int datasync);
int qtfs_open_handle(struct file *file, struct inode *inode, u64 handle,
		     u32 gen);
void qtfs_release_raw(struct super_block *sb, u64 handle, u32 gen);
struct qtfs_file *qtfs_file_handle(struct file *file);
void qtfs_file_put(struct qtfs_file *qf);
struct qtfs_file *qtfs_inode_handle(struct inode *inode, fmode_t mode);
u32 qtfs_io_max(struct qtfs_conn *conn);

/* addr.c */
extern const struct address_space_operations qtfs_aops;
int qtfs_file_mmap(struct file *file, struct vm_area_struct *vma);
void qtfs_cache_revalidate(struct inode *inode, const struct qtfs_attr *attr);
void qtfs_cache_note(struct inode *inode, const struct qtfs_attr *attr);
void qtfs_cache_drop(struct inode *inode, loff_t start, loff_t end);

/* lock.c */
int qtfs_lock(struct file *file, int cmd, struct file_lock *fl);
int qtfs_flock(struct file *file, int cmd, struct file_lock *fl);

#endif /* _QTFS_I_H */
