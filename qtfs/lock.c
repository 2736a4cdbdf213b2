// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client: POSIX, OFD and flock() locks.
 *
 * The server is the lock manager: every lock and unlock is a LOCK request,
 * and the server takes the lock on its own file, so client processes,
 * server processes and other clients all see each other's locks.  A
 * granted lock is also recorded on the client inode (as fs/9p and
 * fs/fuse do) so that the VFS unlocks through ->lock/->flock when the
 * holder closes the file or exits.  The local records never conflict:
 * a lock is recorded only after the server granted it, and removed before
 * the server is told, so they are always a subset of the server's.
 *
 * Blocking requests (F_SETLKW, flock without LOCK_NB) wait interruptibly:
 * a signal sends INTERRUPT, the server gives up the wait and answers
 * -EINTR, or reports the lock it granted just before, which is then kept.
 * Owners travel as keyed hashes, never as pointers.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/once.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/siphash.h>
#include "qtfs_i.h"

/*
 * Key for the owner ids sent to the server: random, set once on first use,
 * read-only after, so owners cannot be turned back into kernel addresses.
 */
static siphash_key_t qtfs_lock_key;

static u64 qtfs_lock_owner_id(fl_owner_t owner)
{
	get_random_once(&qtfs_lock_key, sizeof(qtfs_lock_key));
	return siphash_1u64((u64)(unsigned long)owner, &qtfs_lock_key);
}

static u32 qtfs_lock_wire_type(int type)
{
	return type == F_RDLCK ? QTFS_LCK_RD :
	       type == F_WRLCK ? QTFS_LCK_WR : QTFS_LCK_UN;
}

/* Take the conflicting lock a GET reply describes into @fl. */
static int qtfs_lock_conflict(struct file_lock *fl, u32 type, u64 start,
			      u64 end, u32 pid)
{
	if (type > QTFS_LCK_UN || start > end || end > QTFS_LOCK_END_MAX ||
	    (pid > QTFS_LOCK_PID_MAX && pid != QTFS_LOCK_NOPID))
		return -EPROTO;
	if (type == QTFS_LCK_UN) {
		fl->fl_type = F_UNLCK;
		return 0;
	}
	fl->fl_type = type == QTFS_LCK_RD ? F_RDLCK : F_WRLCK;
	fl->fl_start = start;
	fl->fl_end = end;
	/* OFD locks have no pid (-1), as locally; see doc/protocol.md */
	if (pid == QTFS_LOCK_NOPID) {
		fl->fl_flags |= FL_OFDLCK;
		fl->fl_pid = -1;
		return 0;
	}
	fl->fl_flags &= ~FL_OFDLCK;
	fl->fl_pid = pid;
	return 0;
}

/*
 * One LOCK request for @fl.  @cmd is QTFS_LOCK_GET/SET/SETW ORed with the
 * kind.  For GET, @fl receives the conflicting lock.  Return: 0 or -errno.
 */
static int qtfs_lock_req(struct file *file, u32 cmd, struct file_lock *fl)
{
	struct qtfs_conn *conn = qtfs_conn(file_inode(file)->i_sb);
	struct qtfs_file *qf = qtfs_file_handle(file);
	u32 type, pid;
	u64 start, end;
	struct qtfs_req *req;
	int ret;

	if (IS_ERR(qf))
		return PTR_ERR(qf);
	req = qtfs_req_new(conn, QTFS_OP_LOCK, 0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, qf->handle, qtfs_lock_owner_id(fl->fl_owner), cmd,
		      qtfs_lock_wire_type(fl->fl_type), (u64)fl->fl_start,
		      (u64)fl->fl_end, (u32)max(fl->fl_pid, 0));
	/* waiting for another holder is unbounded; a signal interrupts it */
	req->interruptible = (cmd & ~(QTFS_LOCK_FLOCK | QTFS_LOCK_OFD)) ==
			     QTFS_LOCK_SETW;
	ret = qtfs_req_run(req);
	/* the server gave the wait up for our signal: restart if it says so */
	if (ret == -EINTR && signal_pending(current))
		ret = -ERESTARTSYS;
	if (!ret && (cmd & ~(QTFS_LOCK_FLOCK | QTFS_LOCK_OFD)) ==
		    QTFS_LOCK_GET) {
		ret = qtfs_req_result(req, &type, &start, &end, &pid);
		if (!ret)
			ret = qtfs_lock_conflict(fl, type, start, end, pid);
		if (ret == -EPROTO)
			qtfs_err("malformed LOCK reply\n");
	}
	qtfs_req_put(req);
	return ret;
}

/*
 * Set or clear @fl on the server and in the local records.  @kind is
 * 0 (POSIX), QTFS_LOCK_OFD or QTFS_LOCK_FLOCK.
 */
static int qtfs_lock_set(struct file *file, u32 kind, bool wait,
			 struct file_lock *fl)
{
	int ret;

	if (fl->fl_type == F_UNLCK) {
		locks_lock_file_wait(file, fl);
		ret = qtfs_lock_req(file, QTFS_LOCK_SET | kind, fl);
		/*
		 * Without a connection the server has dropped the session's
		 * locks, or will when it notices; a new session (-ESTALE) has
		 * none of them.  The VFS does not expect unlocks to fail
		 * (fcntl_setlk() warns when its close-race unlock does).
		 */
		if (ret == -ESTALE || ret == -ENOTCONN || ret == -EIO ||
		    ret == -EINTR || ret == -ETIMEDOUT)
			ret = 0;
		return ret;
	}
	ret = qtfs_lock_req(file, (wait ? QTFS_LOCK_SETW : QTFS_LOCK_SET) | kind,
			    fl);
	if (ret)
		return ret;
	/* a subset of the server's locks: recording never has to wait */
	fl->fl_flags &= ~FL_SLEEP;
	ret = locks_lock_file_wait(file, fl);
	if (ret)
		qtfs_warn("cannot record a granted lock locally: %d\n", ret);
	return ret;
}

/**
 * qtfs_lock() - ->lock: POSIX and OFD byte-range locks
 * @file: open qtfs file
 * @cmd:  F_GETLK, F_SETLK or F_SETLKW (the VFS maps the OFD commands and
 *        marks the lock %FL_OFDLCK)
 * @fl:   the lock; for F_GETLK receives the conflicting one
 *
 * Return: 0 or -errno (-EAGAIN on conflict, -ERESTARTSYS when a signal
 * interrupted F_SETLKW, -ENOLCK when the server has no worker to wait in).
 */
int qtfs_lock(struct file *file, int cmd, struct file_lock *fl)
{
	u32 kind = 0;

	if (!(fl->fl_flags & FL_POSIX))
		return -ENOLCK;
	/* locks_remove_file() unlocks OFD locks by owner, without the flag */
	if (fl->fl_flags & FL_OFDLCK || fl->fl_owner == file)
		kind = QTFS_LOCK_OFD;
	if (IS_GETLK(cmd))
		return qtfs_lock_req(file, QTFS_LOCK_GET | kind, fl);
	return qtfs_lock_set(file, kind, IS_SETLKW(cmd), fl);
}

/**
 * qtfs_flock() - ->flock: flock() locks of the open file description
 * @file: open qtfs file
 * @cmd:  F_SETLK or F_SETLKW (LOCK_NB or not)
 * @fl:   the lock
 *
 * Return: 0 or -errno, as qtfs_lock().
 */
int qtfs_flock(struct file *file, int cmd, struct file_lock *fl)
{
	if (!(fl->fl_flags & FL_FLOCK))
		return -ENOLCK;
	return qtfs_lock_set(file, QTFS_LOCK_FLOCK, fl->fl_flags & FL_SLEEP,
			     fl);
}
