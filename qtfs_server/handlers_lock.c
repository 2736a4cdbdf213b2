// SPDX-License-Identifier: GPL-2.0
/*
 * LOCK: POSIX, OFD and flock() locks taken on the server's own files, so
 * that they are enforced against server processes and against every other
 * client session, as lockd and ksmbd do.
 *
 * Owners.  flock() and OFD locks belong to an open file description: on the
 * server that is the &struct file behind the handle, one per client open
 * file.  POSIX locks belong to a client process (its files_struct); the
 * client sends an opaque 64-bit id for it, and each (session, id) pair gets
 * a &struct qtsrv_lock_owner whose address is the fl_owner of the locks.
 * Owners are counted by the locks that use them (lm_get_owner and
 * lm_put_owner, as nfsd does), so an owner lives exactly as long as it
 * holds or waits for a lock, plus the handler that looks it up.
 *
 * Release.  The client unlocks at close and exit because it records every
 * granted lock on its own inode too (the VFS then calls ->lock/->flock with
 * F_UNLCK).  flock and OFD locks also go when the server file is released.
 * POSIX locks would not (their owner is not the file), so RELEASE and the
 * end of a session first drop every POSIX lock of our owners that still
 * names the file: qtsrv_lock_forget_file().
 *
 * Blocking.  A blocking request waits in the worker (an engine thread),
 * interruptibly: INTERRUPT from the client or the end of its connection
 * signals the worker (qtsrv_req_watch()), and the reply is -EINTR.  At most
 * half of the engine's workers may wait for locks at a time, and a
 * connection whose workers all wait is still served, so waiters never
 * starve other operations (qtsrv_lock_wait_begin()); a blocking request
 * that would wait beyond the limits fails with -ENOLCK at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include "compat.h"
#include "handlers.h"

/* the wire and the VFS agree on "to EOF" */
static_assert(QTFS_LOCK_END_MAX == OFFSET_MAX);

#define QTSRV_LOCK_OWNER_BITS	6
/* POSIX lock owners (client processes holding locks) per session */
#define QTSRV_LOCK_OWNERS_MAX	4096

/**
 * struct qtsrv_lock_tbl - the POSIX lock owners of one session
 * @ref:    references: the session's and one per owner
 * @lock:   protects @owners and @nr
 * @nr:     owners in @owners
 * @owners: &struct qtsrv_lock_owner by client owner id
 *
 * Owners outlive the session while a lock copy (a server process's F_GETLK
 * result, say) still names them, hence the separate reference count.
 */
struct qtsrv_lock_tbl {
	refcount_t ref;
	spinlock_t lock;	/* see above */
	unsigned int nr;
	DECLARE_HASHTABLE(owners, QTSRV_LOCK_OWNER_BITS);
};

/**
 * struct qtsrv_lock_owner - the server's fl_owner for one client owner
 * @ref:  references: one per lock (or lock copy) naming it, and the
 *        handler that looked it up
 * @id:   opaque owner id from the client
 * @tbl:  table it is in (referenced)
 * @node: link in &qtsrv_lock_tbl.owners
 */
struct qtsrv_lock_owner {
	refcount_t ref;
	u64 id;
	struct qtsrv_lock_tbl *tbl;
	struct hlist_node node;
};

static void qtsrv_lock_tbl_put(struct qtsrv_lock_tbl *tbl)
{
	if (tbl && refcount_dec_and_test(&tbl->ref)) {
		WARN_ON_ONCE(tbl->nr);
		kfree(tbl);
	}
}

static fl_owner_t qtsrv_lock_owner_get(fl_owner_t owner)
{
	struct qtsrv_lock_owner *o = owner;

	refcount_inc(&o->ref);
	return owner;
}

static void qtsrv_lock_owner_put(fl_owner_t owner)
{
	struct qtsrv_lock_owner *o = owner;
	struct qtsrv_lock_tbl *tbl = o->tbl;

	/*
	 * refcount_dec_and_lock(), spelt out: sparse 0.6.4 (Debian 12) does
	 * not understand its __cond_acquires() and would report the unlock
	 * below as unbalanced.
	 */
	if (refcount_dec_not_one(&o->ref))
		return;
	spin_lock(&tbl->lock);
	if (!refcount_dec_and_test(&o->ref)) {
		spin_unlock(&tbl->lock);
		return;
	}
	hash_del(&o->node);
	tbl->nr--;
	spin_unlock(&tbl->lock);
	kfree(o);
	qtsrv_lock_tbl_put(tbl);
}

/* The lock manager of the POSIX locks we take for clients. */
static const struct lock_manager_operations qtsrv_lock_lmops = {
	.lm_mod_owner = THIS_MODULE,
	.lm_get_owner = qtsrv_lock_owner_get,
	.lm_put_owner = qtsrv_lock_owner_put,
};

/*
 * The session's owner table, allocated by the first LOCK.  The acquire
 * loads pair with the release cmpxchg: a table is seen initialised.
 */
static struct qtsrv_lock_tbl *qtsrv_lock_tbl(struct qtsrv_sess *sess)
{
	struct qtsrv_lock_tbl *tbl, *old;

	/* pairs with cmpxchg_release() below */
	tbl = smp_load_acquire(&sess->locks);
	if (tbl)
		return tbl;
	tbl = kzalloc(sizeof(*tbl), GFP_KERNEL);
	if (!tbl)
		return NULL;
	refcount_set(&tbl->ref, 1);
	spin_lock_init(&tbl->lock);
	hash_init(tbl->owners);
	/* publish the initialised table; pairs with smp_load_acquire() */
	old = cmpxchg_release(&sess->locks, NULL, tbl);
	if (!old)
		return tbl;
	kfree(tbl);
	/* another LOCK won the race: acquire its table as above */
	return smp_load_acquire(&sess->locks);
}

/* The owner for client owner @id, with a reference; ERR_PTR on failure. */
static struct qtsrv_lock_owner *qtsrv_lock_owner_find(struct qtsrv_sess *sess,
						      u64 id)
{
	struct qtsrv_lock_tbl *tbl = qtsrv_lock_tbl(sess);
	struct qtsrv_lock_owner *o, *new;

	if (!tbl)
		return ERR_PTR(-ENOMEM);
	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return ERR_PTR(-ENOMEM);
	spin_lock(&tbl->lock);
	hash_for_each_possible(tbl->owners, o, node, id) {
		/* a listed owner has a reference: the put takes the lock */
		if (o->id == id) {
			refcount_inc(&o->ref);
			spin_unlock(&tbl->lock);
			kfree(new);
			return o;
		}
	}
	if (tbl->nr >= QTSRV_LOCK_OWNERS_MAX) {
		spin_unlock(&tbl->lock);
		kfree(new);
		return ERR_PTR(-ENOLCK);
	}
	refcount_set(&new->ref, 1);
	new->id = id;
	new->tbl = tbl;
	refcount_inc(&tbl->ref);
	hash_add(tbl->owners, &new->node, id);
	tbl->nr++;
	spin_unlock(&tbl->lock);
	return new;
}

/**
 * qtsrv_lock_forget_file() - drop the clients' POSIX locks naming a file
 * @file: server file of a handle that is being released
 *
 * Removes, owner by owner, the POSIX locks our lock manager holds through
 * @file, which would otherwise outlive it.  Call before the last fput().
 */
void qtsrv_lock_forget_file(struct file *file)
{
	struct file_lock_context *ctx;
	struct qtsrv_lock_owner *o;
	struct file_lock *fl;

	/* pairs with the barrier in qtsrv_lock(): handle gone, then scan */
	smp_mb();
	ctx = qtsrv_locks_context(file_inode(file));
	if (!ctx)
		return;
	for (;;) {
		o = NULL;
		spin_lock(&ctx->flc_lock);
		list_for_each_entry(fl, &ctx->flc_posix, fl_list) {
			if (fl->fl_file == file &&
			    fl->fl_lmops == &qtsrv_lock_lmops) {
				o = qtsrv_lock_owner_get(fl->fl_owner);
				break;
			}
		}
		spin_unlock(&ctx->flc_lock);
		if (!o)
			return;
		/* every lock of @o on the inode: the process closed a file */
		locks_remove_posix(file, o);
		qtsrv_lock_owner_put(o);
	}
}

/**
 * qtsrv_lock_sess_end() - drop the session's reference to its owner table
 * @sess: session whose files are all released
 */
void qtsrv_lock_sess_end(struct qtsrv_sess *sess)
{
	qtsrv_lock_tbl_put(sess->locks);
}

/* F_SETLK needs the file open for the lock's access, as fcntl(2) says. */
static int qtsrv_lock_fmode(struct file *file, int type)
{
	if (type == F_RDLCK && !(file->f_mode & FMODE_READ))
		return -EBADF;
	if (type == F_WRLCK && !(file->f_mode & FMODE_WRITE))
		return -EBADF;
	return 0;
}

/* Blocking POSIX or OFD lock, as fs/locks.c do_lock_file_wait() does it. */
static int qtsrv_lock_posix_wait(struct file *file, unsigned int cmd,
				 struct file_lock *fl)
{
	int ret;

	for (;;) {
		ret = vfs_lock_file(file, cmd, fl, NULL);
		if (ret != FILE_LOCK_DEFERRED)
			break;
		ret = wait_event_interruptible(fl->fl_wait,
					       !qtsrv_lock_blocked(fl));
		if (ret)
			break;
	}
	locks_delete_block(fl);
	return ret;
}

/* Set or clear @fl; F_SETLK/F_SETLKW semantics by FL_SLEEP. */
static int qtsrv_lock_set(struct file *file, struct file_lock *fl)
{
	bool wait = fl->fl_flags & FL_SLEEP;
	unsigned int cmd;

	if (fl->fl_flags & FL_FLOCK) {
		if (file->f_op->flock)
			return file->f_op->flock(file, wait ? F_SETLKW : F_SETLK,
						 fl);
		return locks_lock_inode_wait(file_inode(file), fl);
	}
	if (fl->fl_flags & FL_OFDLCK)
		cmd = wait ? F_OFD_SETLKW : F_OFD_SETLK;
	else
		cmd = wait ? F_SETLKW : F_SETLK;
	if (!wait)
		return vfs_lock_file(file, cmd, fl, NULL);
	return qtsrv_lock_posix_wait(file, cmd, fl);
}

/*
 * A blocking request: wait in a worker if one may, else only try.  The
 * worker can be interrupted by the client while it waits.
 */
static int qtsrv_lock_set_wait(struct qtsrv_ctx *ctx, struct file *file,
			       struct file_lock *fl)
{
	struct qtsrv_conn *conn = ctx->conn;
	int ret;

	if (!qtsrv_lock_wait_begin(ctx->srv, conn)) {
		fl->fl_flags &= ~FL_SLEEP;
		ret = qtsrv_lock_set(file, fl);
		if (ret == -EAGAIN || ret == -EWOULDBLOCK) {
			qtsrv_dbg_rl("conn %u: lock wait refused: too many waits\n",
				     conn->id);
			ret = -ENOLCK;
		}
		return ret;
	}
	ret = qtsrv_lock_set(file, fl);
	qtsrv_lock_wait_end(ctx->srv, conn);
	return ret;
}

/* F_GETLK/F_OFD_GETLK: fill @fl with the first conflicting lock. */
static int qtsrv_lock_test(struct file *file, struct file_lock *fl,
			   u32 *pid)
{
	int ret;

	/* vfs_test_lock() wants no lock manager on the probe */
	fl->fl_lmops = NULL;
	ret = vfs_test_lock(file, fl);
	if (ret)
		return ret;
	/*
	 * The holder's pid as the server knows it: a server process's pid,
	 * or the pid a client sent with its lock; OFD locks have none (-1),
	 * as F_OFD_GETLK reports them locally.
	 */
	*pid = fl->fl_flags & FL_OFDLCK ? QTFS_LOCK_NOPID : (u32)fl->fl_pid;
	/* the conflict's copy may reference its owner */
	if (fl->fl_type != F_UNLCK)
		locks_release_private(fl);
	return 0;
}

/* Checked by qtfs_proto_lock_check(). */
static int qtsrv_lock_type(u32 type)
{
	return type == QTFS_LCK_RD ? F_RDLCK :
	       type == QTFS_LCK_WR ? F_WRLCK : F_UNLCK;
}

static u32 qtsrv_lock_wire_type(int type)
{
	return type == F_RDLCK ? QTFS_LCK_RD :
	       type == F_WRLCK ? QTFS_LCK_WR : QTFS_LCK_UN;
}

/*
 * LOCK "Cqqddqqd": q[0] handle, q[1] client owner id, d[0] QTFS_LOCK_*
 * command and kind, d[1] QTFS_LCK_* type, q[2] first byte, q[3] last byte
 * (OFFSET_MAX: to the end of the file), d[2] client pid
 * -> "dqqd": type, start, end and pid of the conflicting lock (GET; type
 * QTFS_LCK_UN if none), or the request's own values (SET, SETW).
 *
 * flock() requests ignore the range and owner, and cannot be tested.
 */
int qtsrv_lock(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
	       struct qtfs_buf *rsp)
{
	u32 op = a->d[0] & ~(QTFS_LOCK_FLOCK | QTFS_LOCK_OFD);
	u32 kind = a->d[0] & (QTFS_LOCK_FLOCK | QTFS_LOCK_OFD);
	int type = qtsrv_lock_type(a->d[1]);
	struct qtsrv_lock_owner *owner = NULL;
	struct file_lock fl;
	struct file *file;
	u32 pid = a->d[2];
	int ret;

	ret = qtfs_proto_lock_check(a->d[0], a->d[1], a->q[2], a->q[3], pid);
	if (ret)
		return ret;
	file = qtsrv_handle_get(ctx, a->q[0]);
	if (IS_ERR(file))
		return PTR_ERR(file);

	locks_init_lock(&fl);
	fl.fl_file = file;
	fl.fl_type = type;
	fl.fl_pid = pid;
	fl.fl_start = a->q[2];
	fl.fl_end = a->q[3];
	if (kind == QTFS_LOCK_FLOCK) {
		fl.fl_flags = FL_FLOCK;
		fl.fl_owner = file;
		fl.fl_start = 0;
		fl.fl_end = OFFSET_MAX;
	} else if (kind == QTFS_LOCK_OFD) {
		fl.fl_flags = FL_POSIX | FL_OFDLCK;
		fl.fl_owner = file;
	} else {
		owner = qtsrv_lock_owner_find(ctx->sess, a->q[1]);
		if (IS_ERR(owner)) {
			ret = PTR_ERR(owner);
			goto out_fput;
		}
		fl.fl_flags = FL_POSIX;
		fl.fl_owner = owner;
		fl.fl_lmops = &qtsrv_lock_lmops;
	}

	if (op == QTFS_LOCK_GET) {
		ret = qtsrv_lock_test(file, &fl, &pid);
		if (ret)
			goto out_put_owner;
		if (fl.fl_type == F_UNLCK)
			pid = 0;
		ret = qtfs_proto_pack(rsp, "dqqd",
				      qtsrv_lock_wire_type(fl.fl_type),
				      (u64)fl.fl_start, (u64)fl.fl_end, pid);
		goto out_put_owner;
	}

	if (kind != QTFS_LOCK_FLOCK) {
		ret = qtsrv_lock_fmode(file, type);
		if (ret)
			goto out_put_owner;
	}
	if (op == QTFS_LOCK_SETW && type != F_UNLCK) {
		fl.fl_flags |= FL_SLEEP;
		ret = qtsrv_lock_set_wait(ctx, file, &fl);
	} else {
		ret = qtsrv_lock_set(file, &fl);
	}
	if (ret)
		goto out_put_owner;
	/*
	 * A RELEASE of the handle that ran meanwhile dropped the locks it
	 * could see; make sure ours is not left behind on a closed file.
	 */
	if (owner) {
		struct file *now;

		smp_mb();	/* our lock before the look at the handle */
		now = qtsrv_handle_get(ctx, a->q[0]);
		if (IS_ERR(now) || now != file) {
			qtsrv_lock_forget_file(file);
			ret = -EBADF;
		}
		if (!IS_ERR(now))
			fput(now);
		if (ret)
			goto out_put_owner;
	}
	ret = qtfs_proto_pack(rsp, "dqqd", a->d[1], a->q[2], a->q[3], a->d[2]);

out_put_owner:
	if (owner)
		qtsrv_lock_owner_put(owner);
out_fput:
	fput(file);
	return ret;
}
