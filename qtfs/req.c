// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client requests: build, send, wait, complete.
 *
 * Reference ownership of a &struct qtfs_req (see qtfs_req_new()):
 *   - the caller that built it holds one from qtfs_req_new() until
 *     qtfs_req_put();
 *   - the request table (@conn->reqs) holds one while the request is in it:
 *     from qtfs_req_send() until the receive thread claims the reply
 *     (qtfs_req_claim()) or qtfs_req_fail_all() empties the table; whoever
 *     removes the entry inherits that reference and drops it after
 *     completing the request.
 * A waiter that is killed or times out marks the request ABANDONED and
 * leaves it in the table, so that the late reply is recognised and dropped
 * rather than taken for a protocol violation.
 */
#include <linux/cred.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include "qtfs_i.h"
#include "qtfs_stats.h"

/* Size of a format's largest payload with each 'B' holding @blob bytes. */
static u32 qtfs_fmt_size(const char *fmt, u32 blob)
{
	u32 min, max;
	const char *c;

	if (qtfs_fmt_bounds(fmt, &min, &max))
		return 0;
	for (c = fmt; *c; c++)
		if (*c == 'B')
			max = max - QTFS_IO_MAX + blob;
	return max;
}

/**
 * qtfs_req_new() - allocate a request and start its message
 * @conn:     connection it will be sent on
 * @opcode:   &enum qtfs_op
 * @req_blob: bytes of the request's blob field, if its format has one
 * @rsp_blob: room for the reply's blob field, if its format has one
 *
 * The caller owns the only reference; qtfs_req_send() adds the table's.
 *
 * Return: the request, or an ERR_PTR().
 */
struct qtfs_req *qtfs_req_new(struct qtfs_conn *conn, u16 opcode,
			      u32 req_blob, u32 rsp_blob)
{
	const struct qtfs_op_desc *desc = qtfs_op_desc(opcode);
	struct qtfs_req *req;
	u32 out_size;
	void *out;

	if (WARN_ON_ONCE(!desc) || req_blob > QTFS_IO_MAX ||
	    rsp_blob > QTFS_IO_MAX)
		return ERR_PTR(-EINVAL);
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return ERR_PTR(-ENOMEM);
	out_size = QTFS_HDR_SIZE + qtfs_fmt_size(desc->req_fmt, req_blob);
	req->rsp_size = QTFS_HDR_SIZE + qtfs_fmt_size(desc->rsp_fmt, rsp_blob);
	out = kvmalloc(out_size, GFP_KERNEL);
	req->rsp = kvmalloc(req->rsp_size, GFP_KERNEL);
	if (!out || !req->rsp) {
		kvfree(out);
		kvfree(req->rsp);
		kfree(req);
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&req->ref, 1);
	req->conn = conn;
	req->opcode = opcode;
	req->state = QTFS_REQ_NEW;
	init_completion(&req->done);
	qtfs_buf_init(&req->out, out, out_size);
	qtfs_proto_begin(&req->out, opcode, 0, 0, 0);
	return req;
}

/**
 * qtfs_req_put() - drop a reference to a request
 * @req: request
 */
void qtfs_req_put(struct qtfs_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	kvfree(req->out.data);
	kvfree(req->rsp);
	kfree(req);
}

static void qtfs_cred_current(struct qtfs_cred *qc)
{
	const struct cred *cred = current_cred();
	const struct group_info *gi = cred->group_info;
	u32 i;

	qc->fsuid = from_kuid_munged(&init_user_ns, cred->fsuid);
	qc->fsgid = from_kgid_munged(&init_user_ns, cred->fsgid);
	/*
	 * Like AUTH_SYS, carry a bounded list; a caller in more groups than
	 * the wire allows is checked against the first QTFS_NGROUPS_MAX.
	 */
	qc->ngroups = min_t(u32, gi->ngroups, QTFS_NGROUPS_MAX);
	for (i = 0; i < qc->ngroups; i++)
		qc->groups[i] = from_kgid_munged(&init_user_ns, gi->gid[i]);
}

/**
 * qtfs_req_args() - append the caller's credentials and the arguments
 * @req: request from qtfs_req_new()
 * @...: arguments matching the opcode's request format after its 'C',
 *       see qtfs_proto_vpack()
 *
 * Errors are kept in the request and reported by qtfs_req_run().
 *
 * Return: 0 or -errno.
 */
int qtfs_req_args(struct qtfs_req *req, ...)
{
	const char *fmt = qtfs_op_desc(req->opcode)->req_fmt;
	struct qtfs_cred *cred;
	va_list ap;

	if (*fmt == 'C') {
		cred = kmalloc(sizeof(*cred), GFP_KERNEL);
		if (!cred)
			return req->out.err = -ENOMEM;
		qtfs_cred_current(cred);
		qtfs_proto_pack(&req->out, "C", cred);
		kfree(cred);
		fmt++;
	}
	va_start(ap, req);
	qtfs_proto_vpack(&req->out, fmt, ap);
	va_end(ap);
	return req->out.err;
}

/*
 * Put @vec on the stream of generation @gen.  Only SIGKILL may cut a
 * frame short: the other signals are blocked while it goes out, as cifs
 * does in __smb_send_rqst(), because a frame cut short takes the
 * connection, and every request on it, down with it.  A server that stops
 * reading holds the send for at most the timeout= option (-ETIMEDOUT).
 * Any error leaves the stream undefined and fails the connection.
 */
static void qtfs_conn_send(struct qtfs_conn *conn, u32 gen, struct kvec *vec)
	__must_hold(&conn->send_lock)
{
	sigset_t mask, old;
	int ret;

	lockdep_assert_held(&conn->send_lock);
	siginitsetinv(&mask, sigmask(SIGKILL));
	sigprocmask(SIG_BLOCK, &mask, &old);
	ret = qtfs_frame_send(&conn->tc, vec, 1, vec->iov_len);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		if (ret == -ETIMEDOUT)
			qtfs_err("%s: server took nothing for %us; dropping the connection\n",
				 conn->export, conn->tc.send_timeout);
		qtfs_conn_fail(conn, gen, ret);
	}
}

/*
 * Take @send_lock: killably, since its holder may be stuck on a server that
 * stopped reading, but for a request that must be sent only if the send
 * timeout bounds that holder.
 */
static int qtfs_send_lock(struct qtfs_req *req)
{
	struct qtfs_conn *conn = req->conn;

	if (req->must_send && conn->tc.send_timeout) {
		mutex_lock(&conn->send_lock);
		return 0;
	}
	return mutex_lock_killable(&conn->send_lock);
}

/**
 * qtfs_req_send() - put a request in the table and send it
 * @req: request whose message is complete
 *
 * Only MOUNT and HELLO may be sent while the connection is in handshake.
 * The wait for the send lock is killable (see qtfs_send_lock()); the holder
 * sends for at most the send timeout (see qtfs_conn_send()).
 *
 * Return: 0, -EINTR if killed before the request was sent (it is then in
 * no table), or -errno if the request could not be sent (a failure of the
 * connection while sending completes the request instead, with 0 here).
 */
int qtfs_req_send(struct qtfs_req *req)
{
	struct qtfs_conn *conn = req->conn;
	struct qtfs_hdr *hdr = (struct qtfs_hdr *)req->out.data;
	struct kvec vec;
	u32 id, gen;
	int ret, state;

	ret = qtfs_proto_end(&req->out);
	if (ret)
		return ret;
	if (req->out.pos > READ_ONCE(conn->max_msg))
		return -EMSGSIZE;
	if (qtfs_send_lock(req))
		return -EINTR;

	/*
	 * Under @send_lock the state says whether @tc is the live stream:
	 * qtfs_conn_teardown() closes it under @send_lock, and only after the
	 * state left UP and HANDSHAKE.
	 */
	xa_lock(&conn->reqs);
	state = conn->state;
	gen = conn->gen;
	if (state != QTFS_CONN_UP &&
	    !(state == QTFS_CONN_HANDSHAKE &&
	      (req->opcode == QTFS_OP_HELLO || req->opcode == QTFS_OP_MOUNT))) {
		ret = state == QTFS_CONN_ABORTED ? -EIO : -ENOTCONN;
		goto out_unlock;
	}
	ret = __xa_alloc_cyclic(&conn->reqs, &id, req, XA_LIMIT(1, U32_MAX),
				&conn->next_id, GFP_ATOMIC);
	if (ret < 0)
		goto out_unlock;
	req->id = id;
	req->gen = gen;
	refcount_inc(&req->ref);
	WRITE_ONCE(req->state, QTFS_REQ_SENT);
	xa_unlock(&conn->reqs);

	hdr->id = cpu_to_le64(id);
	vec.iov_base = req->out.data;
	vec.iov_len = req->out.pos;
	qtfs_conn_send(conn, gen, &vec);
	mutex_unlock(&conn->send_lock);
	/* a failed connection completed the request already */
	return 0;

out_unlock:
	xa_unlock(&conn->reqs);
	mutex_unlock(&conn->send_lock);
	return ret;
}

/*
 * Tell the server that nobody waits for @req any more, so that it can give
 * up a blocking wait (a lock) instead of holding a worker.  Fire and
 * forget: the reply completes the INTERRUPT request in the table.
 */
static void qtfs_req_interrupt(struct qtfs_req *req)
{
	struct qtfs_req *ir;

	if (req->gen != READ_ONCE(req->conn->gen))
		return;
	ir = qtfs_req_new(req->conn, QTFS_OP_INTERRUPT, 0, 0);
	if (IS_ERR(ir))
		return;
	if (!qtfs_req_args(ir, (u64)req->id))
		qtfs_req_send(ir);
	qtfs_req_put(ir);
}

/*
 * Wait for @req; leaves it ABANDONED on a fatal signal or timeout and tells
 * the server.  An interruptible request that a signal interrupts sends
 * INTERRUPT first and then waits (killably, bounded) for the server's
 * answer, as fuse does: the server either gave the wait up (-EINTR) or had
 * granted it already, and the caller must know which.
 */
static int qtfs_req_wait(struct qtfs_req *req)
{
	struct qtfs_conn *conn = req->conn;
	bool interrupted = false;
	long left;

	if (req->interruptible &&
	    !wait_for_completion_interruptible(&req->done))
		return 0;
	if (req->interruptible) {
		qtfs_req_interrupt(req);
		interrupted = true;
	}
	left = wait_for_completion_killable_timeout(&req->done, conn->timeout);
	if (left > 0)
		return 0;
	xa_lock(&conn->reqs);
	if (READ_ONCE(req->state) == QTFS_REQ_SENT) {
		WRITE_ONCE(req->state, QTFS_REQ_ABANDONED);
		xa_unlock(&conn->reqs);
		if (!left)
			qtfs_warn("%s request %u timed out\n",
				  qtfs_op_desc(req->opcode)->name, req->id);
		if (!interrupted)
			qtfs_req_interrupt(req);
		return left ? -EINTR : -ETIMEDOUT;
	}
	xa_unlock(&conn->reqs);
	/* completed while we gave up: the reply is there, use it */
	wait_for_completion(&req->done);
	return 0;
}

/**
 * qtfs_req_run() - connect if needed, send, and wait for the reply
 * @req: request with its arguments
 *
 * Return: 0 with the reply ready for qtfs_req_result(), the server's
 * negative errno, or a local -errno (-EINTR when killed, -ETIMEDOUT,
 * -ENOTCONN, -EIO after umount -f, -EPROTO for a malformed reply).  An
 * interruptible request that a signal ended gets the server's answer to
 * INTERRUPT, normally -EINTR.
 */
int qtfs_req_run(struct qtfs_req *req)
{
	u64 start;
	int ret;

	if (req->out.err)
		return req->out.err;
	if (req->opcode != QTFS_OP_HELLO && req->opcode != QTFS_OP_MOUNT) {
		ret = qtfs_conn_ready(req->conn);
		if (ret)
			return ret;
	}
	start = qtfs_stats_start();
	ret = qtfs_req_send(req);
	if (!ret)
		ret = qtfs_req_wait(req);
	if (!ret)
		ret = READ_ONCE(req->error);
	qtfs_stats_account(req->opcode, start, ret);
	return ret;
}

/**
 * qtfs_req_result() - decode the reply payload
 * @req: request completed by qtfs_req_run() with 0
 * @...: outputs matching the opcode's reply format, see
 *       qtfs_proto_vunpack()
 *
 * Return: 0 or -EPROTO.
 */
int qtfs_req_result(struct qtfs_req *req, ...)
{
	va_list ap;
	int ret;

	va_start(ap, req);
	ret = qtfs_proto_vunpack(&req->in, qtfs_op_desc(req->opcode)->rsp_fmt,
				 ap);
	va_end(ap);
	return ret;
}

/**
 * qtfs_req_claim() - take the request a reply header answers
 * @conn: connection
 * @h:    reply header, already checked by qtfs_frame_recv_hdr()
 *
 * Removes the request from the table; the caller inherits the table's
 * reference and must pass the request to qtfs_req_finish().
 *
 * Return: the request, or ERR_PTR(-EPROTO) if @h answers nothing we sent,
 * has the wrong opcode, or does not fit the request's reply buffer.
 */
struct qtfs_req *qtfs_req_claim(struct qtfs_conn *conn,
				const struct qtfs_msg_hdr *h)
{
	struct qtfs_req *req;

	if (!(h->flags & QTFS_HDR_REPLY) || h->id == 0 || h->id > U32_MAX)
		return ERR_PTR(-EPROTO);
	xa_lock(&conn->reqs);
	req = xa_load(&conn->reqs, h->id);
	if (!req || req->opcode != h->opcode || h->len > req->rsp_size) {
		xa_unlock(&conn->reqs);
		return ERR_PTR(-EPROTO);
	}
	__xa_erase(&conn->reqs, h->id);
	xa_unlock(&conn->reqs);
	return req;
}

/**
 * qtfs_req_finish() - complete a claimed request
 * @req:   request from qtfs_req_claim(), reply (header included) in
 *         @req->rsp unless @error
 * @h:     decoded reply header
 * @error: 0, or the error that prevented receiving the payload
 *
 * Return: 0, or the error that must bring the connection down: @error, or
 * -EPROTO for a payload that does not match the opcode's reply format.
 */
int qtfs_req_finish(struct qtfs_req *req, const struct qtfs_msg_hdr *h,
		    int error)
{
	if (!error && qtfs_proto_validate(h, req->rsp + QTFS_HDR_SIZE)) {
		qtfs_err("malformed %s reply %llu\n",
			 qtfs_op_desc(h->opcode)->name, h->id);
		error = -EPROTO;
	}
	if (!error)
		qtfs_buf_init(&req->in, req->rsp + QTFS_HDR_SIZE,
			      h->len - QTFS_HDR_SIZE);
	WRITE_ONCE(req->error, error ? error : h->error);
	WRITE_ONCE(req->state, QTFS_REQ_DONE);
	complete_all(&req->done);
	qtfs_req_put(req);
	return error;
}

/**
 * qtfs_req_fail_all() - complete every request in the table with @error
 * @conn:  connection
 * @error: negative errno for the waiters
 */
void qtfs_req_fail_all(struct qtfs_conn *conn, int error)
{
	struct qtfs_req *req;
	unsigned long id;

	xa_for_each(&conn->reqs, id, req) {
		bool mine;

		/* the receive thread may be claiming it right now */
		xa_lock(&conn->reqs);
		mine = xa_load(&conn->reqs, id) == req;
		if (mine)
			__xa_erase(&conn->reqs, id);
		xa_unlock(&conn->reqs);
		if (!mine)
			continue;
		WRITE_ONCE(req->error, error);
		WRITE_ONCE(req->state, QTFS_REQ_DONE);
		complete_all(&req->done);
		qtfs_req_put(req);
	}
}
