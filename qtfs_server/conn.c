// SPDX-License-Identifier: GPL-2.0
/*
 * Listeners, client connections and mount sessions.
 *
 * Each listener has an accept thread; each accepted connection gets a
 * &struct qtsrv_conn and a receive thread.  The receive thread reads whole
 * messages, does the HELLO exchange itself and queues every later request
 * (already validated against its opcode's format) for the engine's workers.
 *
 * Connection lifetime: a connection sits on &qtsrv.conns while its receive
 * thread runs.  When the thread ends (peer gone, protocol violation, failed
 * send, server stop) it shuts the transport down, drops the session, moves
 * the connection to &qtsrv.dead_conns and kicks &qtsrv.reap_work, which
 * stops the thread (kthread_stop() also waits until it has left this
 * module's code) and drops the list's reference.  Queued and running
 * requests hold their own references, so the socket is closed and the
 * memory freed only after the last reply attempt.
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
#include "qtfs_auth.h"
#include "qtsrv.h"

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
 * qtsrv_conn_kill() - shut a connection down
 * @conn: connection
 *
 * Wakes the receive thread (which then tears the connection down) and
 * makes further sends fail.  Safe to call more than once, from any context
 * that may sleep.
 */
void qtsrv_conn_kill(struct qtsrv_conn *conn)
{
	if (test_and_set_bit(QTSRV_CONN_DEAD, &conn->flags))
		return;
	conn->tc.ops->shutdown(&conn->tc);
	wake_up_all(&conn->inflight_wq);
}

/**
 * qtsrv_conn_send() - send one whole message
 * @conn: connection
 * @msg:  message, header included
 * @len:  its length
 *
 * A failed send may have left part of the message on the stream, so it
 * kills the connection.
 *
 * Return: 0 or -errno.
 */
int qtsrv_conn_send(struct qtsrv_conn *conn, void *msg, u32 len)
{
	struct kvec vec = { .iov_base = msg, .iov_len = len };
	int ret;

	ret = mutex_lock_interruptible(&conn->send_lock);
	if (ret)
		goto out_kill;
	if (test_bit(QTSRV_CONN_DEAD, &conn->flags))
		ret = -ENOTCONN;
	else
		ret = qtfs_frame_send(&conn->tc, &vec, 1, len);
	mutex_unlock(&conn->send_lock);
	if (!ret)
		return 0;
out_kill:
	qtsrv_dbg_rl("conn %u: send failed: %d\n", conn->id, ret);
	qtsrv_conn_kill(conn);
	return ret;
}

/**
 * qtsrv_send_error() - reply to a request with an error and no payload
 * @conn:  connection
 * @h:     the request's header
 * @error: negative errno, valid on the wire
 *
 * Return: 0 or -errno, as qtsrv_conn_send().
 */
int qtsrv_send_error(struct qtsrv_conn *conn, const struct qtfs_msg_hdr *h,
		     int error)
{
	u8 raw[QTFS_HDR_SIZE];
	struct qtfs_buf b;

	qtfs_buf_init(&b, raw, sizeof(raw));
	qtfs_proto_begin(&b, h->opcode, QTFS_HDR_REPLY, h->id, error);
	qtfs_proto_end(&b);
	return qtsrv_conn_send(conn, raw, b.pos);
}

/**
 * qtsrv_req_free() - free a request and drop its connection reference
 * @req: request, no longer on any list
 */
void qtsrv_req_free(struct qtsrv_req *req)
{
	struct qtsrv_conn *conn = req->conn;

	spin_lock(&conn->lock);
	conn->inflight--;
	conn->inflight_bytes -= req->hdr.len - QTFS_HDR_SIZE;
	spin_unlock(&conn->lock);
	wake_up(&conn->inflight_wq);
	qtsrv_req_untrack(req);
	kvfree(req->payload);
	kfree(req);
	qtsrv_conn_put(conn);
}

/**
 * qtsrv_req_untrack() - make a request unreachable for INTERRUPT
 * @req: request about to be answered or dropped
 *
 * Called before the reply is sent: once the client has the reply it may
 * reuse the id.  Safe to call more than once.
 */
void qtsrv_req_untrack(struct qtsrv_req *req)
{
	xa_cmpxchg(&req->conn->reqs, req->hdr.id, req, NULL, 0);
}

/**
 * qtsrv_req_wait_begin() - let INTERRUPT wake the worker running @req
 * @req: request of the calling worker
 *
 * Until qtsrv_req_wait_end(), an INTERRUPT for @req sends SIGUSR1 to the
 * calling thread, so that an interruptible wait in the handler returns
 * -ERESTARTSYS (the engine handles SIGUSR1 and goes on serving).
 *
 * Return: 0, or -EINTR if the client has given up on @req already.
 */
int qtsrv_req_wait_begin(struct qtsrv_req *req)
{
	struct xarray *reqs = &req->conn->reqs;
	int ret = 0;

	xa_lock(reqs);
	if (req->interrupted)
		ret = -EINTR;
	else
		req->waiter = current;
	xa_unlock(reqs);
	return ret;
}

/**
 * qtsrv_req_wait_end() - end of the section started by qtsrv_req_wait_begin()
 * @req: request of the calling worker
 */
void qtsrv_req_wait_end(struct qtsrv_req *req)
{
	struct xarray *reqs = &req->conn->reqs;

	xa_lock(reqs);
	req->waiter = NULL;
	xa_unlock(reqs);
}

/*
 * INTERRUPT "Cq", handled by the receive thread so that it works while
 * every worker is busy: mark the request the client abandoned, and wake
 * its worker if that is in an interruptible wait.  A request that is not
 * found has been answered already.  The reply carries no payload.
 */
static int qtsrv_interrupt(struct qtsrv_conn *conn,
			   const struct qtfs_msg_hdr *h, void *payload)
{
	struct qtsrv_req *req;
	struct qtfs_cred *cred;
	struct qtfs_buf b;
	u64 id;
	int ret;

	cred = kmalloc(sizeof(*cred), GFP_KERNEL);
	if (!cred)
		return qtsrv_send_error(conn, h, -ENOMEM);
	qtfs_buf_init(&b, payload, h->len - QTFS_HDR_SIZE);
	ret = qtfs_proto_unpack(&b, "Cq", cred, &id);
	kfree(cred);
	if (WARN_ON_ONCE(ret))	/* qtfs_proto_validate() passed */
		return -EPROTO;

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
	return qtsrv_send_error(conn, h, 0);
}

/* May the receive thread queue another @len payload bytes? */
static bool qtsrv_conn_room(struct qtsrv_conn *conn, u32 len)
{
	bool room;

	if (test_bit(QTSRV_CONN_DEAD, &conn->flags))
		return true;
	spin_lock(&conn->lock);
	room = conn->inflight < QTSRV_CONN_MAX_INFLIGHT &&
	       (!conn->inflight ||
		conn->inflight_bytes + len <=
		qtsrv_limit(qtsrv_conn_max_inflight_bytes));
	spin_unlock(&conn->lock);
	return room;
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

/* Send our HELLO reply with @blob of @bloblen bytes. */
static int qtsrv_hello_reply(struct qtsrv_conn *conn,
			     const struct qtfs_msg_hdr *h, u16 minor,
			     u32 features, const void *blob, u32 bloblen)
{
	u32 size = QTFS_HDR_SIZE + 20 + bloblen;
	struct qtfs_buf b;
	u8 *rsp;
	int ret;

	rsp = kzalloc(size, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	qtfs_buf_init(&b, rsp, size);
	qtfs_proto_begin(&b, QTFS_OP_HELLO, QTFS_HDR_REPLY, h->id, 0);
	qtfs_proto_pack(&b, "dhhddB", QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR, minor,
			features, conn->max_msg, blob, bloblen);
	ret = qtfs_proto_end(&b);
	if (!WARN_ON_ONCE(ret))
		ret = qtsrv_conn_send(conn, rsp, b.pos);
	kfree(rsp);
	return ret;
}

/*
 * HELLO succeeded: the connection leaves the pre-auth pool, or is refused
 * with the pool's error (answered here) and closes.
 */
static int qtsrv_hello_admit(struct qtsrv_conn *conn,
			     const struct qtfs_msg_hdr *h)
{
	int ret;

	ret = qtsrv_preauth_done(conn);
	if (ret)
		qtsrv_send_error(conn, h, ret);
	return ret;
}

/* The final HELLO reply, of an admitted connection; requests may flow. */
static int qtsrv_hello_accept(struct qtsrv_conn *conn,
			      const struct qtfs_msg_hdr *h, u16 minor,
			      u32 features)
{
	int ret;

	ret = qtsrv_hello_reply(conn, h, minor, features, NULL, 0);
	if (ret)
		return ret;
	conn->hello = QTSRV_HELLO_DONE;
	/* the negotiated version, for diagnostics (qtinfo) */
	conn->proto_minor = minor;
	WRITE_ONCE(conn->proto_major, QTFS_PROTO_MAJOR);
	return 0;
}

/* Refuse authentication: answer -EACCES, then the connection closes. */
static int qtsrv_hello_refuse(struct qtsrv_conn *conn,
			      const struct qtfs_msg_hdr *h, const char *why)
{
	qtsrv_warn_rl("conn %u (%s): %s, closing\n", conn->id, conn->peer, why);
	qtsrv_send_error(conn, h, -EACCES);
	return -EACCES;
}

/*
 * The client proved it has the key: open the connection, tagging every
 * later frame if the first leg agreed on it.  The last HELLO reply itself
 * is never tagged, so it may leave after tagging started.
 */
static int qtsrv_hello_authenticated(struct qtsrv_conn *conn,
				     const struct qtfs_msg_hdr *h, u16 minor)
{
	struct qtfs_fmac *fmac;
	int ret;

	ret = qtsrv_hello_admit(conn, h);
	if (ret)
		return ret;
	if (conn->frame_mac) {
		fmac = qtfs_fmac_new(conn->cnonce, conn->snonce, true);
		if (IS_ERR(fmac)) {
			qtsrv_warn_rl("conn %u (%s): no frame authentication: %ld, closing\n",
				      conn->id, conn->peer, PTR_ERR(fmac));
			qtsrv_send_error(conn, h, -EACCES);
			return PTR_ERR(fmac);
		}
		mutex_lock(&conn->send_lock);
		qtfs_frame_auth_start(&conn->tc, fmac);
		mutex_unlock(&conn->send_lock);
	}
	ret = qtsrv_hello_accept(conn, h, minor, QTFS_FEAT_AUTH);
	if (ret)
		return ret;
	qtsrv_info_rl("conn %u (%s): authenticated%s\n", conn->id, conn->peer,
		      conn->frame_mac ? ", frames tagged" : "");
	return 0;
}

/*
 * HELLO: check the peer speaks our protocol, agree on the limits and, with
 * a key, run the exchange described in include/uapi/qtfs_proto.h.  A
 * refused HELLO is answered with the error, then the connection closes.
 *
 * Return: 0 when the connection may go on (requests once @conn->hello is
 * %QTSRV_HELLO_DONE), -errno to close it.
 */
static int qtsrv_hello(struct qtsrv_conn *conn, const struct qtfs_msg_hdr *h,
		       void *payload)
{
	u32 plen = h->len - QTFS_HDR_SIZE;
	u32 magic, features, maxmsg, bloblen;
	u8 proof[QTFS_AUTH_NONCE_SIZE + QTFS_AUTH_MAC_SIZE];
	const u8 *blob;
	u16 major, minor;
	struct qtfs_buf b;
	int ret;

	/* magic and major first, so any old or alien peer gets a clear line */
	qtfs_buf_init(&b, payload, plen);
	if (qtfs_proto_unpack(&b, "dh", &magic, &major)) {
		magic = 0;
		major = 0;
	}
	if (magic != QTFS_PROTO_MAGIC || major != QTFS_PROTO_MAJOR) {
		qtsrv_warn_rl("conn %u (%s): protocol %#x/%u unsupported (want %#x/%u), closing\n",
			      conn->id, conn->peer, magic, major,
			      QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR);
		qtsrv_send_error(conn, h, -EPROTONOSUPPORT);
		return -EPROTONOSUPPORT;
	}
	qtfs_buf_init(&b, payload, plen);
	if (qtfs_proto_validate(h, payload) ||
	    qtfs_proto_unpack(&b, "dhhddB", &magic, &major, &minor, &features,
			      &maxmsg, &blob, &bloblen)) {
		qtsrv_warn_rl("conn %u (%s): malformed HELLO, closing\n",
			      conn->id, conn->peer);
		return -EPROTO;
	}
	minor = min_t(u16, minor, QTFS_PROTO_MINOR);

	if (conn->hello == QTSRV_HELLO_CHALLENGED) {
		/* second leg: the client's proof */
		if (!(features & QTFS_FEAT_AUTH) ||
		    bloblen != QTFS_AUTH_MAC_SIZE)
			return qtsrv_hello_refuse(conn, h,
						  "malformed authentication proof");
		ret = qtfs_auth_check(QTFS_AUTH_LABEL_CLIENT, conn->cnonce,
				      conn->snonce, blob);
		if (ret)
			return qtsrv_hello_refuse(conn, h,
						  "client failed authentication (wrong key?)");
		return qtsrv_hello_authenticated(conn, h, minor);
	}

	if (maxmsg < QTFS_MSG_MIN) {
		qtsrv_warn_rl("conn %u (%s): max message size %u below %u, closing\n",
			      conn->id, conn->peer, maxmsg, QTFS_MSG_MIN);
		qtsrv_send_error(conn, h, -EINVAL);
		return -EINVAL;
	}
	conn->max_msg = min_t(u32, maxmsg, QTFS_MSG_MAX);

	if (!(features & QTFS_FEAT_AUTH)) {
		if (qtfs_auth_keyed())
			return qtsrv_hello_refuse(conn, h,
						  "client did not authenticate and qtfs_auth_key is set");
		if (bloblen)
			return qtsrv_hello_refuse(conn, h,
						  "authentication data without QTFS_FEAT_AUTH");
		ret = qtsrv_hello_admit(conn, h) ?:
		      qtsrv_hello_accept(conn, h, minor, 0);
		if (ret)
			return ret;
		qtsrv_info("conn %u (%s): protocol %u.%u, max message %u\n",
			   conn->id, conn->peer, QTFS_PROTO_MAJOR, minor,
			   conn->max_msg);
		return 0;
	}

	/* first leg: prove we know the key over the client's nonce and ours */
	if (!qtfs_auth_keyed())
		return qtsrv_hello_refuse(conn, h,
					  "client wants authentication but no qtfs_auth_key is set");
	if (bloblen != QTFS_AUTH_NONCE_SIZE)
		return qtsrv_hello_refuse(conn, h,
					  "malformed authentication nonce");
	conn->frame_mac = features & QTFS_FEAT_FRAME_MAC;
	if (conn->tc.ops->frame_mac && !conn->frame_mac)
		return qtsrv_hello_refuse(conn, h,
					  "client does not authenticate frames (older qtfs.ko?)");
	memcpy(conn->cnonce, blob, QTFS_AUTH_NONCE_SIZE);
	qtfs_auth_nonce(conn->snonce);
	memcpy(proof, conn->snonce, QTFS_AUTH_NONCE_SIZE);
	ret = qtfs_auth_mac(QTFS_AUTH_LABEL_SERVER, conn->cnonce, conn->snonce,
			    proof + QTFS_AUTH_NONCE_SIZE);
	if (ret) {
		qtsrv_warn_rl("conn %u (%s): cannot compute HMAC-SHA256: %d, closing\n",
			      conn->id, conn->peer, ret);
		qtsrv_send_error(conn, h, -EACCES);
		return ret;
	}
	ret = qtsrv_hello_reply(conn, h, minor,
				QTFS_FEAT_AUTH | (conn->frame_mac ?
						  QTFS_FEAT_FRAME_MAC : 0),
				proof, sizeof(proof));
	if (!ret)
		conn->hello = QTSRV_HELLO_CHALLENGED;
	return ret;
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
 * Receive and act on one message.  Return: 0 to go on, -errno to close the
 * connection.
 */
static int qtsrv_recv_one(struct qtsrv_conn *conn)
{
	u8 raw[QTFS_HDR_SIZE];
	struct qtfs_msg_hdr h;
	struct qtsrv_req *req;
	void *payload;
	u32 plen;
	int ret;

	ret = qtfs_frame_recv_hdr(&conn->tc, &h, raw, conn->max_msg);
	if (ret == -EPROTO)
		qtsrv_warn_rl("conn %u (%s): malformed or oversized message header, closing\n",
			      conn->id, conn->peer);
	if (ret)
		return ret;
	if (h.flags & QTFS_HDR_REPLY) {
		qtsrv_warn_rl("conn %u (%s): unexpected reply message, closing\n",
			      conn->id, conn->peer);
		return -EPROTO;
	}

	plen = h.len - QTFS_HDR_SIZE;
	payload = kvmalloc(max_t(u32, plen, 1), GFP_KERNEL);
	if (!payload) {
		ret = qtfs_frame_skip(&conn->tc, plen) ?:
		      qtsrv_frame_end(conn);
		return ret ?: qtsrv_send_error(conn, &h, -ENOMEM);
	}
	ret = qtfs_frame_recv(&conn->tc, payload, plen) ?:
	      qtsrv_frame_end(conn);
	if (ret)
		goto out_free;

	if (conn->hello != QTSRV_HELLO_DONE) {
		if (h.opcode != QTFS_OP_HELLO) {
			qtsrv_warn_rl("conn %u (%s): opcode %u before HELLO, closing\n",
				      conn->id, conn->peer, h.opcode);
			ret = -EPROTO;
		} else {
			ret = qtsrv_hello(conn, &h, payload);
		}
		if (!ret && conn->hello == QTSRV_HELLO_DONE)
			cancel_delayed_work(&conn->hello_timeout);
		goto out_free;
	}

	ret = qtfs_proto_validate(&h, payload);
	if (ret == QTSRV_ERR_UNKNOWN_OP) {
		qtsrv_dbg_rl("conn %u: unknown opcode %u\n", conn->id, h.opcode);
		ret = qtsrv_send_error(conn, &h, QTSRV_ERR_UNKNOWN_OP);
		goto out_free;
	}
	if (ret) {
		qtsrv_warn_rl("conn %u (%s): malformed %s request, closing\n",
			      conn->id, conn->peer,
			      qtfs_op_desc(h.opcode)->name);
		goto out_free;
	}
	if (h.opcode == QTFS_OP_HELLO) {
		ret = qtsrv_send_error(conn, &h, -EISCONN);
		goto out_free;
	}
	if (h.opcode == QTFS_OP_INTERRUPT) {
		ret = qtsrv_interrupt(conn, &h, payload);
		goto out_free;
	}

	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!req) {
		ret = qtsrv_send_error(conn, &h, -ENOMEM);
		goto out_free;
	}
	/* back-pressure: a peer cannot make us queue without bound */
	wait_event_interruptible(conn->inflight_wq,
				 qtsrv_conn_room(conn, plen));
	if (test_bit(QTSRV_CONN_DEAD, &conn->flags)) {
		kfree(req);
		ret = -ECONNRESET;
		goto out_free;
	}
	req->conn = conn;
	req->hdr = h;
	req->payload = payload;
	req->waiter = NULL;
	req->interrupted = false;
	/* ids of requests in flight are unique: a reused one is a bad peer */
	ret = h.id == (unsigned long)h.id ?
	      xa_insert(&conn->reqs, h.id, req, GFP_KERNEL) : -EBUSY;
	if (ret) {
		kfree(req);
		if (ret == -EBUSY) {
			qtsrv_warn_rl("conn %u (%s): request id %llu is in use, closing\n",
				      conn->id, conn->peer, h.id);
			ret = -EPROTO;
		}
		goto out_free;
	}
	spin_lock(&conn->lock);
	conn->inflight++;
	conn->inflight_bytes += plen;
	spin_unlock(&conn->lock);
	refcount_inc(&conn->ref);
	qtsrv_queue_req(conn->srv, req);
	return 0;

out_free:
	kvfree(payload);
	return ret;
}

static int qtsrv_recv_thread(void *data)
{
	struct qtsrv_conn *conn = data;
	struct qtsrv *srv = conn->srv;
	int ret;

	do {
		ret = qtsrv_recv_one(conn);
	} while (!ret);

	if (ret == -ECONNRESET || test_bit(QTSRV_CONN_DEAD, &conn->flags))
		qtsrv_info("conn %u (%s): closed\n", conn->id, conn->peer);
	else
		qtsrv_info("conn %u (%s): closing: %d\n", conn->id, conn->peer,
			   ret);
	qtsrv_conn_kill(conn);
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
 * one per queued or running request (qtsrv_recv_one() to qtsrv_req_free()).
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
	conn->peer_id = id;
	INIT_LIST_HEAD(&conn->node);
	INIT_LIST_HEAD(&conn->preauth_node);
	conn->max_msg = QTFS_MSG_MIN;	/* until HELLO */
	mutex_init(&conn->send_lock);
	xa_init(&conn->reqs);
	spin_lock_init(&conn->lock);
	init_waitqueue_head(&conn->inflight_wq);
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
