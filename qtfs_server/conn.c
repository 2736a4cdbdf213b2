// SPDX-License-Identifier: GPL-2.0
/*
 * Listeners, client connections and mount sessions.
 *
 * Each listener has an accept thread; each accepted connection gets a
 * &struct qtsrv_conn and a receive thread.  The receive thread reads whole
 * messages, does the HELLO exchange itself and queues every later request
 * (already validated against its opcode's format) for the engine's workers.
 *
 * Replies.  Nobody who serves requests waits for a peer to read: a reply is
 * queued on its connection (&qtsrv_conn.sendq), in the order the replies
 * were made, and sent at once by whoever gets the send lock without
 * waiting, as far as the socket has room.  The rest is sent by the
 * connection's send work, which waits for the peer at most
 * qtfs_server_send_timeout seconds per reply and otherwise closes the
 * connection.  Every request reserves the largest reply it can get when it
 * is admitted, so what a connection holds in requests and unsent replies
 * stays within qtfs_conn_max_inflight_bytes and no worker ever waits for
 * room either.
 *
 * Connection lifetime: a connection sits on &qtsrv.conns while its receive
 * thread runs.  When the thread ends (peer gone, protocol violation, failed
 * send, server stop) it shuts the transport down, drops the session, moves
 * the connection to &qtsrv.dead_conns and kicks &qtsrv.reap_work, which
 * stops the thread (kthread_stop() also waits until it has left this
 * module's code) and drops the list's reference.  Requests hold their own
 * references until their reply is sent or dropped, so the socket is closed
 * and the memory freed only after the last reply attempt.  Killing a
 * connection signals the workers running its requests, so that no wait
 * in a handler outlives it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "qtfs_auth.h"
#include "qtsrv.h"

/* The largest HELLO reply: fixed fields, the server's nonce and proof. */
#define QTSRV_HELLO_RSP_MAX	(QTFS_HDR_SIZE + 20 + QTFS_AUTH_NONCE_SIZE + \
				 QTFS_AUTH_MAC_SIZE)

/* Runs the send work of every connection; see qtsrv_conn_init(). */
static struct workqueue_struct *qtsrv_send_wq;

/* ----- mount sessions ----- */

/**
 * qtsrv_sess_get() - reference the session of a connection
 * @conn: connection
 *
 * Return: the session, or NULL if the connection has not mounted.
 */
struct qtsrv_sess *qtsrv_sess_get(struct qtsrv_conn *conn)
{
	struct qtsrv_sess *sess;

	spin_lock(&conn->lock);
	sess = conn->sess;
	if (sess)
		refcount_inc(&sess->ref);
	spin_unlock(&conn->lock);
	return sess;
}

/**
 * qtsrv_sess_put() - drop a session reference
 * @sess: session, may be NULL
 *
 * The last reference drops the POSIX locks the session's clients hold,
 * closes every file still open in the session and releases the export
 * root.
 */
void qtsrv_sess_put(struct qtsrv_sess *sess)
{
	unsigned int nr = 0;
	struct file *file;
	unsigned long idx;

	if (!sess || !refcount_dec_and_test(&sess->ref))
		return;
	xa_for_each(&sess->files, idx, file) {
		qtsrv_lock_forget_file(file);
		fput(file);
		nr++;
	}
	xa_destroy(&sess->files);
	qtsrv_handles_uncharge(sess, nr);
	qtsrv_lock_sess_end(sess);
	path_put(&sess->root);
	kfree(sess);
}

/**
 * qtsrv_sess_install() - make @sess the session of @conn
 * @conn: connection
 * @sess: new session; on success the connection owns this reference
 *
 * Return: 0, -EBUSY if the connection has a session already, -ENOTCONN if
 * it is shutting down.
 */
int qtsrv_sess_install(struct qtsrv_conn *conn, struct qtsrv_sess *sess)
{
	int ret = 0;

	spin_lock(&conn->lock);
	if (test_bit(QTSRV_CONN_DEAD, &conn->flags))
		ret = -ENOTCONN;
	else if (conn->sess)
		ret = -EBUSY;
	else
		conn->sess = sess;
	spin_unlock(&conn->lock);
	return ret;
}

/**
 * qtsrv_sess_detach() - take the session away from a connection
 * @conn: connection
 *
 * Return: the session with the connection's reference, or NULL.
 */
struct qtsrv_sess *qtsrv_sess_detach(struct qtsrv_conn *conn)
{
	struct qtsrv_sess *sess;

	spin_lock(&conn->lock);
	sess = conn->sess;
	conn->sess = NULL;
	spin_unlock(&conn->lock);
	return sess;
}

/* ----- connections ----- */

/**
 * qtsrv_conn_put() - drop a connection reference
 * @conn: connection
 *
 * The last reference closes the transport and frees the connection.
 */
void qtsrv_conn_put(struct qtsrv_conn *conn)
{
	if (!refcount_dec_and_test(&conn->ref))
		return;
	/* a MOUNT that raced with the teardown may have left a session */
	qtsrv_sess_put(conn->sess);
	conn->tc.ops->close(&conn->tc);
	qtfs_frame_auth_stop(&conn->tc);
	kfree(conn);
}

/**
 * qtsrv_conn_init() - set up what all connections share
 *
 * Return: 0 or -ENOMEM.
 */
int qtsrv_conn_init(void)
{
	/*
	 * Unbound and as wide as allowed: a send work may wait for its peer
	 * for up to qtfs_server_send_timeout, which must not hold up the
	 * replies of other connections.
	 */
	qtsrv_send_wq = alloc_workqueue("qtsrv_send", WQ_UNBOUND,
					WQ_UNBOUND_MAX_ACTIVE);
	return qtsrv_send_wq ? 0 : -ENOMEM;
}

/**
 * qtsrv_conn_exit() - undo qtsrv_conn_init(), once no connection is left
 */
void qtsrv_conn_exit(void)
{
	destroy_workqueue(qtsrv_send_wq);
}

/* Run @conn's send work; it holds a connection reference while queued. */
static void qtsrv_send_kick(struct qtsrv_conn *conn)
{
	refcount_inc(&conn->ref);
	if (!queue_work(qtsrv_send_wq, &conn->send_work))
		qtsrv_conn_put(conn);
}

/**
 * qtsrv_conn_kill() - shut a connection down
 * @conn: connection
 *
 * Wakes the receive thread (which then tears the connection down), makes
 * further sends fail, drops the replies not sent yet and signals every
 * worker running one of its requests, so that a wait in a handler ends
 * (see qtsrv_req_watch()).  Safe to call more than once, from any context
 * that may sleep.
 */
void qtsrv_conn_kill(struct qtsrv_conn *conn)
{
	struct qtsrv_req *req;
	unsigned long id;

	if (test_and_set_bit(QTSRV_CONN_DEAD, &conn->flags))
		return;
	conn->tc.ops->shutdown(&conn->tc);
	xa_lock(&conn->reqs);
	xa_for_each(&conn->reqs, id, req)
		if (req->waiter)
			send_sig(SIGUSR1, req->waiter, 1);
	xa_unlock(&conn->reqs);
	wake_up_all(&conn->inflight_wq);
	qtsrv_send_kick(conn);
}

/* Free the replies of a dead connection that were not sent. */
static void qtsrv_send_drop(struct qtsrv_conn *conn)
{
	struct qtsrv_req *req, *tmp;
	LIST_HEAD(drop);

	spin_lock(&conn->lock);
	list_splice_init(&conn->sendq, &drop);
	spin_unlock(&conn->lock);
	list_for_each_entry_safe(req, tmp, &drop, node) {
		list_del(&req->node);
		qtsrv_req_free(req);
	}
}

/* Send what fits of the rest of @req's frame, from @conn->send_off. */
static int qtsrv_send_part(struct qtsrv_conn *conn, struct qtsrv_req *req,
			   long timeout)
	__must_hold(&conn->send_lock)
{
	struct kvec vec[2] = {
		{ .iov_base = req->rsp, .iov_len = req->rsp_len },
		{ .iov_base = req->tag, .iov_len = req->tag_len },
	};
	u32 off = conn->send_off;
	int i = 0;

	lockdep_assert_held(&conn->send_lock);
	if (off >= req->rsp_len) {
		off -= req->rsp_len;
		i = 1;
	}
	vec[i].iov_base += off;
	vec[i].iov_len -= off;
	return conn->tc.ops->send_part(&conn->tc, &vec[i], 2 - i,
				       req->rsp_len + req->tag_len -
				       conn->send_off, timeout);
}

/*
 * Send the queued replies of @conn in order, waiting up to @timeout
 * jiffies for each (0: not at all); drop them if the connection is dead.
 * Return: 0 once the queue is empty, -EAGAIN if the socket is full and
 * @timeout is 0, -ETIMEDOUT, or the transport's -errno.
 */
static int qtsrv_send_queued(struct qtsrv_conn *conn, long timeout)
	__must_hold(&conn->send_lock)
{
	unsigned long deadline;
	struct qtsrv_req *req;
	struct kvec vec[1];
	long left = 0;
	int ret;

	lockdep_assert_held(&conn->send_lock);
	for (;;) {
		spin_lock(&conn->lock);
		req = list_first_entry_or_null(&conn->sendq, struct qtsrv_req,
					       node);
		spin_unlock(&conn->lock);
		if (!req)
			return 0;
		if (test_bit(QTSRV_CONN_DEAD, &conn->flags)) {
			qtsrv_send_drop(conn);
			return 0;
		}
		if (!conn->send_off) {
			/* tags are numbered in the order frames start */
			vec[0].iov_base = req->rsp;
			vec[0].iov_len = req->rsp_len;
			ret = qtfs_frame_tag(&conn->tc, vec, 1, req->tag);
			if (ret < 0)
				return ret;
			req->tag_len = ret;
		}
		deadline = jiffies + timeout;
		while (conn->send_off < req->rsp_len + req->tag_len) {
			if (timeout) {
				left = (long)(deadline - jiffies);
				if (left <= 0)
					return -ETIMEDOUT;
			}
			ret = qtsrv_send_part(conn, req, left);
			if (ret == -EAGAIN && timeout)
				return -ETIMEDOUT;
			if (ret < 0)
				return ret;
			conn->send_off += ret;
		}
		conn->send_off = 0;
		spin_lock(&conn->lock);
		list_del(&req->node);
		spin_unlock(&conn->lock);
		qtsrv_req_free(req);
	}
}

/* A send failed: part of a reply may be on the stream, so close. */
static void qtsrv_send_failed(struct qtsrv_conn *conn, int err)
{
	if (err == -ETIMEDOUT)
		qtsrv_warn_rl("conn %u (%s): peer took no reply for %u s, closing\n",
			      conn->id, conn->peer, READ_ONCE(qtsrv_send_timeout));
	else
		qtsrv_dbg_rl("conn %u: send failed: %d\n", conn->id, err);
	qtsrv_conn_kill(conn);
}

static bool qtsrv_sendq_empty(struct qtsrv_conn *conn)
{
	bool empty;

	spin_lock(&conn->lock);
	empty = list_empty(&conn->sendq);
	spin_unlock(&conn->lock);
	return empty;
}

/*
 * Send what is queued on @conn without waiting for the peer; leave the
 * rest to the send work.  Whoever holds the send lock comes back here
 * after letting it go, so a reply queued by a worker that found the lock
 * taken is never left behind.
 */
static void qtsrv_conn_push(struct qtsrv_conn *conn)
{
	int ret;

	while (!qtsrv_sendq_empty(conn) && mutex_trylock(&conn->send_lock)) {
		ret = qtsrv_send_queued(conn, 0);
		mutex_unlock(&conn->send_lock);
		if (ret == -EAGAIN) {
			qtsrv_send_kick(conn);
			return;
		}
		if (ret) {
			qtsrv_send_failed(conn, ret);
			return;
		}
	}
}

/* The send work: what the socket had no room for, waiting for the peer. */
static void qtsrv_send_work(struct work_struct *work)
{
	struct qtsrv_conn *conn = container_of(work, struct qtsrv_conn,
					       send_work);
	int ret;

	mutex_lock(&conn->send_lock);
	ret = qtsrv_send_queued(conn, READ_ONCE(qtsrv_send_timeout) * HZ);
	mutex_unlock(&conn->send_lock);
	if (ret)
		qtsrv_send_failed(conn, ret);
	else
		qtsrv_conn_push(conn);
	qtsrv_conn_put(conn);
}

/**
 * qtsrv_req_reply() - answer a request
 * @req: request; its connection's send path owns it from now on
 * @rsp: the finished reply: kvmalloc'd (the request takes it) or
 *       @req->rsp_err
 * @len: its length, at most what the request reserved
 *
 * Never waits for the peer: the reply goes on the connection's send queue
 * and out as far as the socket has room; the send work does the rest.
 * On a dead connection the request is just freed.
 */
void qtsrv_req_reply(struct qtsrv_req *req, void *rsp, u32 len)
{
	struct qtsrv_conn *conn = req->conn;
	bool dead;

	/* once the client has the reply it may reuse the id */
	xa_cmpxchg(&conn->reqs, req->hdr.id, req, NULL, 0);
	kvfree(req->payload);
	req->payload = NULL;
	req->rsp = rsp;
	req->rsp_len = len;
	WARN_ON_ONCE(len > req->charge);
	spin_lock(&conn->lock);
	if (len < req->charge) {
		conn->inflight_bytes -= req->charge - len;
		req->charge = len;
	}
	dead = test_bit(QTSRV_CONN_DEAD, &conn->flags);
	if (!dead)
		list_add_tail(&req->node, &conn->sendq);
	spin_unlock(&conn->lock);
	wake_up(&conn->inflight_wq);
	if (dead)
		qtsrv_req_free(req);
	else
		qtsrv_conn_push(conn);
}

/**
 * qtsrv_req_reply_error() - answer a request with an error and no payload
 * @req:   request, as for qtsrv_req_reply()
 * @error: negative errno valid on the wire, or 0
 */
void qtsrv_req_reply_error(struct qtsrv_req *req, int error)
{
	struct qtfs_buf b;

	qtfs_buf_init(&b, req->rsp_err, sizeof(req->rsp_err));
	qtfs_proto_begin(&b, req->hdr.opcode, QTFS_HDR_REPLY, req->hdr.id,
			 error);
	qtfs_proto_end(&b);
	qtsrv_req_reply(req, req->rsp_err, b.pos);
}

/**
 * qtsrv_req_free() - free a request and drop its connection reference
 * @req: request, no longer on any list
 */
void qtsrv_req_free(struct qtsrv_req *req)
{
	struct qtsrv_conn *conn = req->conn;

	xa_cmpxchg(&conn->reqs, req->hdr.id, req, NULL, 0);
	spin_lock(&conn->lock);
	conn->inflight--;
	conn->inflight_bytes -= req->charge;
	spin_unlock(&conn->lock);
	wake_up(&conn->inflight_wq);
	kvfree(req->payload);
	if (req->rsp != req->rsp_err)
		kvfree(req->rsp);
	kfree(req);
	qtsrv_conn_put(conn);
}

/**
 * qtsrv_req_watch() - let INTERRUPT and the connection's end reach a worker
 * @req: request the calling worker is about to run
 *
 * Until qtsrv_req_unwatch(), an INTERRUPT for @req or the death of its
 * connection sends SIGUSR1 to the calling thread, so that an
 * interruptible wait in the handler (a lock, a blocking read of a
 * server-side file) returns -ERESTARTSYS; the engine handles SIGUSR1 and
 * goes on serving.  If either happened already, the signal comes now:
 * a wait the handler starts ends at once, work that does not wait still
 * runs.
 */
void qtsrv_req_watch(struct qtsrv_req *req)
{
	struct qtsrv_conn *conn = req->conn;

	xa_lock(&conn->reqs);
	req->waiter = current;
	if (req->interrupted || test_bit(QTSRV_CONN_DEAD, &conn->flags))
		send_sig(SIGUSR1, current, 1);
	xa_unlock(&conn->reqs);
}

/**
 * qtsrv_req_unwatch() - end of the section started by qtsrv_req_watch()
 * @req: request of the calling worker
 */
void qtsrv_req_unwatch(struct qtsrv_req *req)
{
	struct xarray *reqs = &req->conn->reqs;

	xa_lock(reqs);
	req->waiter = NULL;
	xa_unlock(reqs);
}

/*
 * INTERRUPT "Cq", handled by the receive thread so that it works while
 * every worker is busy: mark the request the client abandoned, and signal
 * its worker if one runs it.  A request that is not found has been
 * answered already.  The reply carries no payload.
 */
static int qtsrv_interrupt(struct qtsrv_conn *conn, struct qtsrv_req *ir)
{
	struct qtsrv_req *req;
	struct qtfs_cred *cred;
	struct qtfs_buf b;
	u64 id;
	int ret;

	cred = kmalloc(sizeof(*cred), GFP_KERNEL);
	if (!cred) {
		qtsrv_req_reply_error(ir, -ENOMEM);
		return 0;
	}
	qtfs_buf_init(&b, ir->payload, ir->hdr.len - QTFS_HDR_SIZE);
	ret = qtfs_proto_unpack(&b, "Cq", cred, &id);
	kfree(cred);
	if (WARN_ON_ONCE(ret)) {	/* qtfs_proto_validate() passed */
		qtsrv_req_free(ir);
		return -EPROTO;
	}

	xa_lock(&conn->reqs);
	req = id == (unsigned long)id ? xa_load(&conn->reqs, id) : NULL;
	if (req) {
		req->interrupted = true;
		if (req->waiter)
			send_sig(SIGUSR1, req->waiter, 1);
	}
	xa_unlock(&conn->reqs);
	qtsrv_dbg_rl("conn %u: INTERRUPT %llu: %s\n", conn->id, id,
		     req ? "pending" : "already answered");
	qtsrv_req_reply_error(ir, 0);
	return 0;
}

/*
 * May the receive thread admit a message charging @charge bytes?  Requests
 * for the workers take a slot and bytes; messages the receive thread
 * answers itself (@ctrl) may use %QTSRV_CONN_CTRL_SLACK more slots and
 * ignore the byte limit, so that INTERRUPT gets through to a connection
 * whose slots are all taken by waiting requests.
 */
static bool qtsrv_conn_room(struct qtsrv_conn *conn, u32 charge, bool ctrl)
{
	u32 max = QTSRV_CONN_MAX_INFLIGHT + (ctrl ? QTSRV_CONN_CTRL_SLACK : 0);
	bool room;

	if (test_bit(QTSRV_CONN_DEAD, &conn->flags))
		return true;
	spin_lock(&conn->lock);
	/* nothing outstanding: any one message fits, however large */
	room = conn->inflight < max &&
	       (ctrl || !conn->inflight_bytes ||
		conn->inflight_bytes + charge <=
		qtsrv_limit(qtsrv_conn_max_inflight_bytes));
	spin_unlock(&conn->lock);
	return room;
}

/*
 * Make a request of a received message once @conn has room for it (see
 * qtsrv_conn_room()), charging it @charge bytes: its payload and the
 * largest reply it can get.  This is the back-pressure that bounds what a
 * peer makes us hold.  Return: the request, which owns @payload, or an
 * ERR_PTR() (and @payload freed) if the connection died or memory ran out.
 */
static struct qtsrv_req *qtsrv_req_new(struct qtsrv_conn *conn,
				       const struct qtfs_msg_hdr *h,
				       void *payload, u32 charge, bool ctrl)
{
	struct qtsrv_req *req;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req) {
		kvfree(payload);
		return ERR_PTR(-ENOMEM);
	}
	wait_event_interruptible(conn->inflight_wq,
				 qtsrv_conn_room(conn, charge, ctrl));
	if (test_bit(QTSRV_CONN_DEAD, &conn->flags)) {
		kvfree(payload);
		kfree(req);
		return ERR_PTR(-ECONNRESET);
	}
	req->conn = conn;
	req->hdr = *h;
	req->payload = payload;
	req->charge = charge;
	spin_lock(&conn->lock);
	conn->inflight++;
	conn->inflight_bytes += charge;
	spin_unlock(&conn->lock);
	refcount_inc(&conn->ref);
	return req;
}

/* ----- HELLO and authentication ----- */

/* Closes connections that sit in HELLO too long (or never send it). */
static void qtsrv_hello_timeout(struct work_struct *work)
{
	struct qtsrv_conn *conn = container_of(to_delayed_work(work),
					       struct qtsrv_conn,
					       hello_timeout);

	qtsrv_warn_rl("conn %u (%s): no HELLO within %u s, closing\n",
		      conn->id, conn->peer, QTSRV_HELLO_TIMEOUT / HZ);
	qtsrv_conn_kill(conn);
}

/* Answer HELLO with our fields and @blob of @bloblen bytes. */
static int qtsrv_hello_reply(struct qtsrv_conn *conn, struct qtsrv_req *req,
			     u16 minor, u32 features, const void *blob,
			     u32 bloblen)
{
	u32 size = QTFS_HDR_SIZE + 20 + bloblen;
	struct qtfs_buf b;
	u8 *rsp;
	int ret;

	rsp = kvzalloc(size, GFP_KERNEL);
	if (!rsp) {
		qtsrv_req_reply_error(req, -ENOMEM);
		return -ENOMEM;
	}
	qtfs_buf_init(&b, rsp, size);
	qtfs_proto_begin(&b, QTFS_OP_HELLO, QTFS_HDR_REPLY, req->hdr.id, 0);
	qtfs_proto_pack(&b, "dhhddB", QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR, minor,
			features, conn->max_msg, blob, bloblen);
	ret = qtfs_proto_end(&b);
	if (WARN_ON_ONCE(ret)) {
		kvfree(rsp);
		qtsrv_req_free(req);
		return ret;
	}
	qtsrv_req_reply(req, rsp, b.pos);
	return 0;
}

/* Answer HELLO with @err, which closes the connection. */
static int qtsrv_hello_fail(struct qtsrv_req *req, int err)
{
	qtsrv_req_reply_error(req, err);
	return err;
}

/*
 * HELLO succeeded: the connection leaves the pre-auth pool, or is refused
 * with the pool's error (answered here) and closes.
 */
static int qtsrv_hello_admit(struct qtsrv_conn *conn, struct qtsrv_req *req)
{
	int ret;

	ret = qtsrv_preauth_done(conn);
	if (ret)
		qtsrv_hello_fail(req, ret);
	return ret;
}

/* The final HELLO reply, of an admitted connection; requests may flow. */
static int qtsrv_hello_accept(struct qtsrv_conn *conn, struct qtsrv_req *req,
			      u16 minor, u32 features)
{
	int ret;

	ret = qtsrv_hello_reply(conn, req, minor, features, NULL, 0);
	if (ret)
		return ret;
	conn->hello = QTSRV_HELLO_DONE;
	/* the negotiated version, for diagnostics (qtinfo) */
	conn->proto_minor = minor;
	WRITE_ONCE(conn->proto_major, QTFS_PROTO_MAJOR);
	return 0;
}

/* Refuse authentication: answer -EACCES, then the connection closes. */
static int qtsrv_hello_refuse(struct qtsrv_conn *conn, struct qtsrv_req *req,
			      const char *why)
{
	qtsrv_warn_rl("conn %u (%s): %s, closing\n", conn->id, conn->peer, why);
	return qtsrv_hello_fail(req, -EACCES);
}

/*
 * The client proved it has the key: open the connection, tagging every
 * later frame if the first leg agreed on it.  The last HELLO reply itself
 * is never tagged, so it may leave after tagging started.
 */
static int qtsrv_hello_authenticated(struct qtsrv_conn *conn,
				     struct qtsrv_req *req, u16 minor)
{
	struct qtfs_fmac *fmac;
	int ret;

	ret = qtsrv_hello_admit(conn, req);
	if (ret)
		return ret;
	if (conn->frame_mac) {
		fmac = qtfs_fmac_new(conn->cnonce, conn->snonce, true);
		if (IS_ERR(fmac)) {
			qtsrv_warn_rl("conn %u (%s): no frame authentication: %ld, closing\n",
				      conn->id, conn->peer, PTR_ERR(fmac));
			qtsrv_hello_fail(req, -EACCES);
			return PTR_ERR(fmac);
		}
		mutex_lock(&conn->send_lock);
		qtfs_frame_auth_start(&conn->tc, fmac);
		mutex_unlock(&conn->send_lock);
	}
	ret = qtsrv_hello_accept(conn, req, minor, QTFS_FEAT_AUTH);
	if (ret)
		return ret;
	qtsrv_info_rl("conn %u (%s): authenticated%s\n", conn->id, conn->peer,
		      conn->frame_mac ? ", frames tagged" : "");
	return 0;
}

/* The fields of a HELLO request, from qtsrv_hello_parse(). */
struct qtsrv_hello_msg {
	u32 magic;
	u16 major;
	u16 minor;		/* already the one both sides speak */
	u32 features;
	u32 maxmsg;
	const u8 *blob;		/* points into the request's payload */
	u32 bloblen;
};

/*
 * Read HELLO: magic and major first, so that any old or alien peer gets a
 * clear line, then the whole message against HELLO's format.  Return: 0,
 * or -errno to close the connection (@req answered or freed).
 */
static int qtsrv_hello_parse(struct qtsrv_conn *conn, struct qtsrv_req *req,
			     struct qtsrv_hello_msg *m)
{
	const struct qtfs_msg_hdr *h = &req->hdr;
	u32 plen = h->len - QTFS_HDR_SIZE;
	struct qtfs_buf b;

	qtfs_buf_init(&b, req->payload, plen);
	if (qtfs_proto_unpack(&b, "dh", &m->magic, &m->major)) {
		m->magic = 0;
		m->major = 0;
	}
	if (m->magic != QTFS_PROTO_MAGIC || m->major != QTFS_PROTO_MAJOR) {
		qtsrv_warn_rl("conn %u (%s): protocol %#x/%u unsupported (want %#x/%u), closing\n",
			      conn->id, conn->peer, m->magic, m->major,
			      QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR);
		return qtsrv_hello_fail(req, -EPROTONOSUPPORT);
	}
	qtfs_buf_init(&b, req->payload, plen);
	if (qtfs_proto_validate(h, req->payload) ||
	    qtfs_proto_unpack(&b, "dhhddB", &m->magic, &m->major, &m->minor,
			      &m->features, &m->maxmsg, &m->blob,
			      &m->bloblen)) {
		qtsrv_warn_rl("conn %u (%s): malformed HELLO, closing\n",
			      conn->id, conn->peer);
		qtsrv_req_free(req);
		return -EPROTO;
	}
	m->minor = min_t(u16, m->minor, QTFS_PROTO_MINOR);
	return 0;
}

/* Second leg of a keyed HELLO: check the client's proof. */
static int qtsrv_hello_proof(struct qtsrv_conn *conn, struct qtsrv_req *req,
			     const struct qtsrv_hello_msg *m)
{
	if (!(m->features & QTFS_FEAT_AUTH) ||
	    m->bloblen != QTFS_AUTH_MAC_SIZE)
		return qtsrv_hello_refuse(conn, req,
					  "malformed authentication proof");
	if (qtfs_auth_check(QTFS_AUTH_LABEL_CLIENT, conn->cnonce, conn->snonce,
			    m->blob))
		return qtsrv_hello_refuse(conn, req,
					  "client failed authentication (wrong key?)");
	return qtsrv_hello_authenticated(conn, req, m->minor);
}

/* An unkeyed HELLO: the connection opens if we have no key either. */
static int qtsrv_hello_plain(struct qtsrv_conn *conn, struct qtsrv_req *req,
			     const struct qtsrv_hello_msg *m)
{
	int ret;

	if (qtfs_auth_keyed())
		return qtsrv_hello_refuse(conn, req,
					  "client did not authenticate and qtfs_auth_key is set");
	if (m->bloblen)
		return qtsrv_hello_refuse(conn, req,
					  "authentication data without QTFS_FEAT_AUTH");
	ret = qtsrv_hello_admit(conn, req) ?:
	      qtsrv_hello_accept(conn, req, m->minor, 0);
	if (ret)
		return ret;
	qtsrv_info("conn %u (%s): protocol %u.%u, max message %u\n",
		   conn->id, conn->peer, QTFS_PROTO_MAJOR, m->minor,
		   conn->max_msg);
	return 0;
}

/*
 * First leg of a keyed HELLO: prove we know the key over the client's
 * nonce and ours, and wait for the client's proof.
 */
static int qtsrv_hello_challenge(struct qtsrv_conn *conn,
				 struct qtsrv_req *req,
				 const struct qtsrv_hello_msg *m)
{
	u8 proof[QTFS_AUTH_NONCE_SIZE + QTFS_AUTH_MAC_SIZE];
	int ret;

	if (!qtfs_auth_keyed())
		return qtsrv_hello_refuse(conn, req,
					  "client wants authentication but no qtfs_auth_key is set");
	if (m->bloblen != QTFS_AUTH_NONCE_SIZE)
		return qtsrv_hello_refuse(conn, req,
					  "malformed authentication nonce");
	conn->frame_mac = m->features & QTFS_FEAT_FRAME_MAC;
	if (conn->tc.ops->frame_mac && !conn->frame_mac)
		return qtsrv_hello_refuse(conn, req,
					  "client does not authenticate frames (older qtfs.ko?)");
	memcpy(conn->cnonce, m->blob, QTFS_AUTH_NONCE_SIZE);
	qtfs_auth_nonce(conn->snonce);
	memcpy(proof, conn->snonce, QTFS_AUTH_NONCE_SIZE);
	ret = qtfs_auth_mac(QTFS_AUTH_LABEL_SERVER, conn->cnonce, conn->snonce,
			    proof + QTFS_AUTH_NONCE_SIZE);
	if (ret) {
		qtsrv_warn_rl("conn %u (%s): cannot compute HMAC-SHA256: %d, closing\n",
			      conn->id, conn->peer, ret);
		qtsrv_hello_fail(req, -EACCES);
		return ret;
	}
	ret = qtsrv_hello_reply(conn, req, m->minor,
				QTFS_FEAT_AUTH | (conn->frame_mac ?
						  QTFS_FEAT_FRAME_MAC : 0),
				proof, sizeof(proof));
	if (!ret)
		conn->hello = QTSRV_HELLO_CHALLENGED;
	return ret;
}

/*
 * HELLO: check the peer speaks our protocol, agree on the limits and, with
 * a key, run the exchange described in include/uapi/qtfs_proto.h.  A
 * refused HELLO is answered with the error, then the connection closes.
 * Answers or frees @req.
 *
 * Return: 0 when the connection may go on (requests once @conn->hello is
 * %QTSRV_HELLO_DONE), -errno to close it.
 */
static int qtsrv_hello(struct qtsrv_conn *conn, struct qtsrv_req *req)
{
	struct qtsrv_hello_msg m;
	int ret;

	ret = qtsrv_hello_parse(conn, req, &m);
	if (ret)
		return ret;
	if (conn->hello == QTSRV_HELLO_CHALLENGED)
		return qtsrv_hello_proof(conn, req, &m);

	if (m.maxmsg < QTFS_MSG_MIN) {
		qtsrv_warn_rl("conn %u (%s): max message size %u below %u, closing\n",
			      conn->id, conn->peer, m.maxmsg, QTFS_MSG_MIN);
		return qtsrv_hello_fail(req, -EINVAL);
	}
	conn->max_msg = min_t(u32, m.maxmsg, QTFS_MSG_MAX);
	if (!(m.features & QTFS_FEAT_AUTH))
		return qtsrv_hello_plain(conn, req, &m);
	return qtsrv_hello_challenge(conn, req, &m);
}

/* Check the tag of the frame just read; a bad one ends the connection. */
static int qtsrv_frame_end(struct qtsrv_conn *conn)
{
	int ret = qtfs_frame_end(&conn->tc);

	if (ret == -EBADMSG)
		qtsrv_warn_rl("conn %u (%s): frame failed authentication, closing\n",
			      conn->id, conn->peer);
	return ret;
}

/*
 * Answer a message in the receive thread with @error, or run INTERRUPT
 * (@error 0).  Return: 0 to go on, -errno to close the connection.
 */
static int qtsrv_recv_answer(struct qtsrv_conn *conn,
			     const struct qtfs_msg_hdr *h, void *payload,
			     int error)
{
	struct qtsrv_req *req;

	req = qtsrv_req_new(conn, h, payload, QTFS_HDR_SIZE, true);
	if (IS_ERR(req))
		return PTR_ERR(req);
	if (h->opcode == QTFS_OP_INTERRUPT && !error)
		return qtsrv_interrupt(conn, req);
	qtsrv_req_reply_error(req, error);
	return 0;
}

/*
 * Receive step: one whole request frame within the negotiated size and,
 * once frames are tagged, authentic.  *@payload is then its payload
 * (kvmalloc'd), or NULL if there was no memory for it: the frame was read
 * and dropped, and the caller answers -ENOMEM.  Return: 0, or -errno to
 * close the connection.
 */
static int qtsrv_recv_msg(struct qtsrv_conn *conn, struct qtfs_msg_hdr *h,
			  void **payload)
{
	u8 raw[QTFS_HDR_SIZE];
	void *p;
	u32 plen;
	int ret;

	*payload = NULL;
	ret = qtfs_frame_recv_hdr(&conn->tc, h, raw, conn->max_msg);
	if (ret == -EPROTO)
		qtsrv_warn_rl("conn %u (%s): malformed or oversized message header, closing\n",
			      conn->id, conn->peer);
	if (ret)
		return ret;
	if (h->flags & QTFS_HDR_REPLY) {
		qtsrv_warn_rl("conn %u (%s): unexpected reply message, closing\n",
			      conn->id, conn->peer);
		return -EPROTO;
	}

	plen = h->len - QTFS_HDR_SIZE;
	p = kvmalloc(max_t(u32, plen, 1), GFP_KERNEL);
	if (!p)
		return qtfs_frame_skip(&conn->tc, plen) ?:
		       qtsrv_frame_end(conn);
	ret = qtfs_frame_recv(&conn->tc, p, plen) ?: qtsrv_frame_end(conn);
	if (ret) {
		kvfree(p);
		return ret;
	}
	*payload = p;
	return 0;
}

/*
 * Control step until HELLO is done: nothing but HELLO may come, and the
 * receive thread runs it itself.  Return: 0 to go on, -errno to close the
 * connection.
 */
static int qtsrv_recv_hello(struct qtsrv_conn *conn,
			    const struct qtfs_msg_hdr *h, void *payload)
{
	struct qtsrv_req *req;
	int ret;

	if (h->opcode != QTFS_OP_HELLO) {
		qtsrv_warn_rl("conn %u (%s): opcode %u before HELLO, closing\n",
			      conn->id, conn->peer, h->opcode);
		kvfree(payload);
		return -EPROTO;
	}
	req = qtsrv_req_new(conn, h, payload, QTSRV_HELLO_RSP_MAX, true);
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = qtsrv_hello(conn, req);
	if (!ret && conn->hello == QTSRV_HELLO_DONE)
		cancel_delayed_work(&conn->hello_timeout);
	return ret;
}

/*
 * Control step after HELLO: the request must be well formed for its
 * opcode (qtfs_proto_validate()); an unknown opcode, a second HELLO and
 * INTERRUPT are answered by the receive thread.  Return: 1 if the request
 * is for the workers, 0 if it was answered here, -errno to close the
 * connection.
 */
static int qtsrv_recv_control(struct qtsrv_conn *conn,
			      const struct qtfs_msg_hdr *h, void *payload)
{
	int ret;

	ret = qtfs_proto_validate(h, payload);
	if (ret == QTSRV_ERR_UNKNOWN_OP) {
		qtsrv_dbg_rl("conn %u: unknown opcode %u\n", conn->id,
			     h->opcode);
		return qtsrv_recv_answer(conn, h, payload, QTSRV_ERR_UNKNOWN_OP);
	}
	if (ret) {
		qtsrv_warn_rl("conn %u (%s): malformed %s request, closing\n",
			      conn->id, conn->peer,
			      qtfs_op_desc(h->opcode)->name);
		kvfree(payload);
		return ret;
	}
	if (h->opcode == QTFS_OP_HELLO)
		return qtsrv_recv_answer(conn, h, payload, -EISCONN);
	if (h->opcode == QTFS_OP_INTERRUPT)
		return qtsrv_recv_answer(conn, h, payload, 0);
	return 1;
}

/*
 * Enqueue step: admit the request within the connection's limits
 * (qtsrv_req_new() waits for room), claim its id and hand it to the
 * workers.  Return: 0, or -errno to close the connection.
 */
static int qtsrv_recv_enqueue(struct qtsrv_conn *conn,
			      const struct qtfs_msg_hdr *h, void *payload)
{
	u32 charge = h->len - QTFS_HDR_SIZE + qtsrv_rsp_max(conn, h, payload);
	struct qtsrv_req *req;
	int ret;

	req = qtsrv_req_new(conn, h, payload, charge, false);
	if (IS_ERR(req))
		return PTR_ERR(req);
	/* ids of requests in flight are unique: a reused one is a bad peer */
	ret = h->id == (unsigned long)h->id ?
	      xa_insert(&conn->reqs, h->id, req, GFP_KERNEL) : -EBUSY;
	if (ret) {
		qtsrv_req_free(req);
		if (ret == -EBUSY) {
			qtsrv_warn_rl("conn %u (%s): request id %llu is in use, closing\n",
				      conn->id, conn->peer, h->id);
			ret = -EPROTO;
		}
		return ret;
	}
	qtsrv_queue_req(conn->srv, req);
	return 0;
}

/*
 * Receive and act on one message, in three steps: receive a whole frame
 * (qtsrv_recv_msg()), control what it is and answer what the receive
 * thread answers itself (qtsrv_recv_hello(), qtsrv_recv_control()), and
 * enqueue the rest for the workers (qtsrv_recv_enqueue()).  Return: 0 to
 * go on, -errno to close the connection.
 */
static int qtsrv_recv_one(struct qtsrv_conn *conn)
{
	struct qtfs_msg_hdr h;
	void *payload;
	int ret;

	ret = qtsrv_recv_msg(conn, &h, &payload);
	if (ret)
		return ret;
	if (!payload)
		return qtsrv_recv_answer(conn, &h, NULL, -ENOMEM);

	if (conn->hello != QTSRV_HELLO_DONE)
		return qtsrv_recv_hello(conn, &h, payload);
	ret = qtsrv_recv_control(conn, &h, payload);
	if (ret <= 0)
		return ret;

	return qtsrv_recv_enqueue(conn, &h, payload);
}

static int qtsrv_recv_thread(void *data)
{
	struct qtsrv_conn *conn = data;
	struct qtsrv *srv = conn->srv;
	int ret;

	do {
		ret = qtsrv_recv_one(conn);
	} while (!ret);

	if (ret == -ECONNRESET || test_bit(QTSRV_CONN_DEAD, &conn->flags)) {
		qtsrv_info("conn %u (%s): closed\n", conn->id, conn->peer);
	} else {
		qtsrv_info("conn %u (%s): closing: %d\n", conn->id, conn->peer,
			   ret);
		/* the peer still listens: let it have the refusal first */
		mutex_lock(&conn->send_lock);
		qtsrv_send_queued(conn, READ_ONCE(qtsrv_send_timeout) * HZ);
		mutex_unlock(&conn->send_lock);
	}
	qtsrv_conn_kill(conn);
	qtsrv_unqueue_conn(srv, conn);
	cancel_delayed_work_sync(&conn->hello_timeout);
	memzero_explicit(conn->snonce, sizeof(conn->snonce));
	qtsrv_sess_put(qtsrv_sess_detach(conn));

	mutex_lock(&srv->conn_lock);
	qtsrv_preauth_forget(srv, conn);
	list_move_tail(&conn->node, &srv->dead_conns);
	WRITE_ONCE(srv->nr_conns, srv->nr_conns - 1);
	/* both under conn_lock: see qtsrv_conns_shutdown() */
	schedule_work(&srv->reap_work);
	wake_up(&srv->conn_wq);
	mutex_unlock(&srv->conn_lock);
	return 0;
}

/**
 * qtsrv_reap_work() - stop the receive threads of dead connections
 * @work: &qtsrv.reap_work
 */
void qtsrv_reap_work(struct work_struct *work)
{
	struct qtsrv *srv = container_of(work, struct qtsrv, reap_work);
	struct qtsrv_conn *conn, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&srv->conn_lock);
	list_splice_init(&srv->dead_conns, &dead);
	mutex_unlock(&srv->conn_lock);

	list_for_each_entry_safe(conn, tmp, &dead, node) {
		list_del_init(&conn->node);
		kthread_stop(conn->task);
		put_task_struct(conn->task);
		qtsrv_conn_put(conn);
	}
}

/*
 * A new connection, admitted by the peer restriction; it joins the
 * pre-auth pool until its HELLO is done.  References: one for the receive
 * thread, owned from here until qtsrv_reap_work() has stopped that thread;
 * one per request from its admission (qtsrv_req_new()) until its reply is
 * sent or dropped (qtsrv_req_free()); one per queued run of the send work;
 * one held by a worker while it runs one of its requests.
 */
static void qtsrv_conn_new(struct qtsrv *srv, struct qtfs_tconn *tc)
{
	struct qtfs_trans_peer id;
	struct task_struct *task;
	struct qtsrv_conn *conn;

	if (!qtsrv_peer_admit(srv, tc, &id)) {
		tc->ops->close(tc);
		return;
	}
	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn) {
		tc->ops->close(tc);
		qtsrv_warn_rl("out of memory for a new connection\n");
		return;
	}
	refcount_set(&conn->ref, 1);
	conn->srv = srv;
	conn->tc = *tc;
	conn->tc.send_lock = &conn->send_lock;
	conn->peer_id = id;
	INIT_LIST_HEAD(&conn->node);
	INIT_LIST_HEAD(&conn->preauth_node);
	conn->max_msg = QTFS_MSG_MIN;	/* until HELLO */
	mutex_init(&conn->send_lock);
	INIT_WORK(&conn->send_work, qtsrv_send_work);
	xa_init(&conn->reqs);
	spin_lock_init(&conn->lock);
	init_waitqueue_head(&conn->inflight_wq);
	INIT_LIST_HEAD(&conn->sendq);
	INIT_LIST_HEAD(&conn->pending);
	INIT_LIST_HEAD(&conn->ready_node);
	conn->hello = QTSRV_HELLO_WAIT;
	INIT_DELAYED_WORK(&conn->hello_timeout, qtsrv_hello_timeout);
	if (tc->ops->show(tc, conn->peer, sizeof(conn->peer)) < 0)
		strscpy(conn->peer, "?", sizeof(conn->peer));

	mutex_lock(&srv->conn_lock);
	if (!srv->accepting) {
		mutex_unlock(&srv->conn_lock);
		goto out_free;
	}
	conn->id = ++srv->next_conn_id;
	task = kthread_create(qtsrv_recv_thread, conn, "qtsrv-conn%u",
			      conn->id);
	if (IS_ERR(task)) {
		mutex_unlock(&srv->conn_lock);
		qtsrv_warn_rl("cannot start a thread for %s: %ld\n", conn->peer,
			      PTR_ERR(task));
		goto out_free;
	}
	get_task_struct(task);
	conn->task = task;
	qtsrv_preauth_add(srv, conn);
	list_add_tail(&conn->node, &srv->conns);
	WRITE_ONCE(srv->nr_conns, srv->nr_conns + 1);
	mutex_unlock(&srv->conn_lock);
	qtsrv_info("conn %u: accepted from %s\n", conn->id, conn->peer);
	schedule_delayed_work(&conn->hello_timeout, QTSRV_HELLO_TIMEOUT);
	wake_up_process(task);
	return;

out_free:
	tc->ops->close(&conn->tc);
	kfree(conn);
}

/**
 * qtsrv_conns_shutdown() - shut every connection down and reap them
 * @srv: server whose listeners are already gone
 *
 * Returns once every receive thread has finished and been stopped.
 */
void qtsrv_conns_shutdown(struct qtsrv *srv)
{
	struct qtsrv_conn *conn;

	mutex_lock(&srv->conn_lock);
	srv->accepting = false;
	list_for_each_entry(conn, &srv->conns, node)
		qtsrv_conn_kill(conn);
	mutex_unlock(&srv->conn_lock);

	/*
	 * A receive thread leaves &qtsrv.conns and schedules the reaper in
	 * one conn_lock section.  Once the count reads zero, taking the lock
	 * waits out the last such section; then every thread has scheduled
	 * the reaper, and cancelling it plus one direct run reaps them all.
	 */
	wait_event(srv->conn_wq, !READ_ONCE(srv->nr_conns));
	mutex_lock(&srv->conn_lock);
	WARN_ON_ONCE(!list_empty(&srv->conns));
	mutex_unlock(&srv->conn_lock);
	cancel_work_sync(&srv->reap_work);
	qtsrv_reap_work(&srv->reap_work);
}

/* ----- listeners ----- */

/*
 * Accept loop.  A vsock listener ignores shutdown, so the thread is
 * stopped with a signal (SIGKILL, allowed here only), which makes both
 * transports' accept return.
 */
static int qtsrv_accept_thread(void *data)
{
	struct qtsrv_listener *l = data;
	struct qtfs_tconn tc;
	int ret;

	allow_signal(SIGKILL);
	complete(&l->started);
	while (!kthread_should_stop() && !signal_pending(current)) {
		memset(&tc, 0, sizeof(tc));
		ret = l->ops->accept(&l->tc, &tc);
		if (!ret) {
			qtsrv_conn_new(l->srv, &tc);
			continue;
		}
		if (kthread_should_stop() || signal_pending(current))
			break;
		qtsrv_warn_rl("%s: accept failed: %d\n", l->ops->name, ret);
		if (ret != -ECONNABORTED)
			schedule_timeout_interruptible(HZ / 10);
	}
	return 0;
}

/**
 * qtsrv_listen() - start a listener and its accept thread
 * @srv:   server
 * @l:     listener to set up
 * @trans: transport name
 * @addr:  address to bind
 *
 * Return: 0 or -errno (the transport's bind or listen error).
 */
int qtsrv_listen(struct qtsrv *srv, struct qtsrv_listener *l,
		 const char *trans, const struct qtfs_trans_addr *addr)
{
	struct task_struct *task;
	int ret;

	memset(l, 0, sizeof(*l));
	l->srv = srv;
	init_completion(&l->started);
	l->ops = qtfs_trans_get(trans);
	if (!l->ops)
		return -EPROTONOSUPPORT;
	l->tc.ops = l->ops;
	ret = l->ops->listen(&l->tc, addr);
	if (ret)
		goto out_put_trans;
	task = kthread_create(qtsrv_accept_thread, l, "qtsrv-%s", trans);
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		goto out_close;
	}
	get_task_struct(task);
	l->task = task;
	wake_up_process(task);
	/* the thread must accept SIGKILL before qtsrv_unlisten() sends it */
	wait_for_completion(&l->started);
	qtsrv_info("listening on %s\n", trans);
	return 0;

out_close:
	l->ops->close(&l->tc);
out_put_trans:
	qtfs_trans_put(l->ops);
	l->ops = NULL;
	return ret;
}

/**
 * qtsrv_unlisten() - stop a listener started by qtsrv_listen()
 * @l: listener; nothing happens if it is not running
 */
void qtsrv_unlisten(struct qtsrv_listener *l)
{
	if (!l->task)
		return;
	send_sig(SIGKILL, l->task, 1);
	l->ops->shutdown(&l->tc);
	kthread_stop(l->task);
	put_task_struct(l->task);
	l->task = NULL;
	l->ops->close(&l->tc);
	qtfs_trans_put(l->ops);
	l->ops = NULL;
}
