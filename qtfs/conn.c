// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client connection: connect, HELLO, MOUNT, the receive thread,
 * failure, reconnection with backoff, abort and teardown.
 *
 * A mount owns one &struct qtfs_conn for its whole life.  The transport
 * connection underneath may be replaced: when it fails, the state drops to
 * DOWN, every waiter is completed with -ENOTCONN, and the next request
 * reconnects (HELLO + MOUNT of the same export) under @connect_lock, no
 * sooner than the backoff allows.  Handles opened on an older connection
 * belong to an older generation and are refused locally.
 */
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "qtfs_auth.h"
#include "qtfs_i.h"

#define QTFS_BACKOFF_MIN	(HZ / 10)
#define QTFS_BACKOFF_MAX	(5 * HZ)

/* Unsolicited messages: the largest payload we accept (an EVENT). */
#define QTFS_EVENT_MAX		64

/* Read and drop an unsolicited message; only EVENT is defined. */
static int qtfs_recv_unsolicited(struct qtfs_conn *conn,
				 const struct qtfs_msg_hdr *h)
{
	u8 payload[QTFS_EVENT_MAX];
	u32 plen = h->len - QTFS_HDR_SIZE;
	int ret;

	if ((h->flags & QTFS_HDR_REPLY) || h->opcode != QTFS_OP_EVENT ||
	    plen > sizeof(payload))
		return -EPROTO;
	ret = qtfs_frame_recv(&conn->tc, payload, plen) ?:
	      qtfs_frame_end(&conn->tc);
	if (ret)
		return ret;
	/* nothing subscribes to events yet: validate and drop */
	return qtfs_proto_validate(h, payload) ? -EPROTO : 0;
}

static int qtfs_recv_thread(void *data)
{
	struct qtfs_conn *conn = data;
	u8 raw[QTFS_HDR_SIZE];
	struct qtfs_msg_hdr h;
	struct qtfs_req *req;
	int ret;

	for (;;) {
		ret = qtfs_frame_recv_hdr(&conn->tc, &h, raw, QTFS_MSG_MAX);
		if (ret)
			break;
		if (h.id == 0) {
			ret = qtfs_recv_unsolicited(conn, &h);
			if (ret)
				break;
			continue;
		}
		req = qtfs_req_claim(conn, &h);
		if (IS_ERR(req)) {
			ret = PTR_ERR(req);
			qtfs_err("reply %llu (op %u, %u bytes) matches no request in flight\n",
				 h.id, h.opcode, h.len);
			break;
		}
		memcpy(req->rsp, raw, QTFS_HDR_SIZE);
		ret = qtfs_frame_recv(&conn->tc, req->rsp + QTFS_HDR_SIZE,
				      h.len - QTFS_HDR_SIZE) ?:
		      qtfs_frame_end(&conn->tc);
		if (ret == -EBADMSG)
			qtfs_err("reply %llu failed authentication\n", h.id);
		ret = qtfs_req_finish(req, &h, ret);
		if (ret)
			break;
	}
	if (ret != -ECONNRESET && ret != -EPIPE)
		qtfs_warn("connection to %s lost: %d\n", conn->export, ret);
	qtfs_conn_fail(conn, conn->gen, ret);

	/* teardown stops us; until then stay out of the way */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/**
 * qtfs_conn_fail() - drop the connection of generation @gen
 * @conn:  connection
 * @gen:   generation the caller saw failing; stale reports are ignored
 * @error: the cause, for the waiters' benefit (-EPROTO and -ETIMEDOUT stay,
 *         anything else becomes -ENOTCONN)
 *
 * Called by the receive thread, by a sender holding @send_lock, or by the
 * task holding @connect_lock: each keeps @tc alive while it runs.
 */
void qtfs_conn_fail(struct qtfs_conn *conn, u32 gen, int error)
{
	bool failed = false;

	xa_lock(&conn->reqs);
	if (conn->gen == gen && (conn->state == QTFS_CONN_UP ||
				 conn->state == QTFS_CONN_HANDSHAKE)) {
		WRITE_ONCE(conn->state, QTFS_CONN_DOWN);
		failed = true;
	}
	xa_unlock(&conn->reqs);
	if (!failed)
		return;
	conn->trans->shutdown(&conn->tc);
	if (error != -EPROTO && error != -ETIMEDOUT)
		error = -ENOTCONN;
	qtfs_req_fail_all(conn, error);
}

/* Stop the receive thread and close the transport.  @connect_lock held. */
static void qtfs_conn_teardown(struct qtfs_conn *conn)
	__must_hold(&conn->connect_lock)
{
	lockdep_assert_held(&conn->connect_lock);
	conn->trans->shutdown(&conn->tc);
	if (conn->recv_task) {
		kthread_stop(conn->recv_task);
		put_task_struct(conn->recv_task);
		conn->recv_task = NULL;
	}
	mutex_lock(&conn->send_lock);
	conn->trans->close(&conn->tc);
	qtfs_frame_auth_stop(&conn->tc);
	mutex_unlock(&conn->send_lock);
	qtfs_req_fail_all(conn, -ENOTCONN);
}

/*
 * One HELLO round trip carrying @blob; the reply's blob is left in
 * @rblob (@rbloblen bytes, at most @rsp_blob), which points into @*reqp:
 * the caller puts that request.
 */
static int qtfs_conn_hello_leg(struct qtfs_conn *conn, u32 features,
			       const void *blob, u32 bloblen, u32 rsp_blob,
			       struct qtfs_req **reqp, u32 *rfeatures,
			       const u8 **rblob, u32 *rbloblen)
{
	u32 magic, max_msg;
	u16 major, minor;
	struct qtfs_req *req;
	int ret;

	req = qtfs_req_new(conn, QTFS_OP_HELLO, bloblen, rsp_blob);
	if (IS_ERR(req))
		return PTR_ERR(req);
	*reqp = req;
	qtfs_req_args(req, QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR, QTFS_PROTO_MINOR,
		      features, QTFS_MSG_MAX, blob, bloblen);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &magic, &major, &minor, rfeatures,
				      &max_msg, rblob, rbloblen);
	if (ret == -EPROTONOSUPPORT)
		pr_err("server refused protocol %u.%u\n", QTFS_PROTO_MAJOR,
		       QTFS_PROTO_MINOR);
	if (ret == -EACCES)
		qtfs_err("server refused authentication (qtfs_auth_key missing or different)\n");
	if (ret)
		return ret;
	if (magic != QTFS_PROTO_MAGIC || major != QTFS_PROTO_MAJOR) {
		pr_err("server speaks %s protocol %u.%u, we speak %u.%u\n",
		       magic == QTFS_PROTO_MAGIC ? "qtfs" : "an unknown",
		       major, minor, QTFS_PROTO_MAJOR, QTFS_PROTO_MINOR);
		return -EPROTONOSUPPORT;
	}
	if (max_msg < QTFS_MSG_MIN) {
		pr_err("server max message size %u below %u\n", max_msg,
		       QTFS_MSG_MIN);
		return -EPROTO;
	}
	WRITE_ONCE(conn->max_msg, min3(max_msg, QTFS_MSG_MAX,
				       conn->trans->maxsize));
	WRITE_ONCE(conn->proto_minor, min_t(u16, minor, QTFS_PROTO_MINOR));
	return 0;
}

/*
 * HELLO, with the mutual pre-shared key exchange when we have a key (see
 * include/uapi/qtfs_proto.h).  A keyed client never talks to a server that
 * does not prove it has the same key.
 */
static int qtfs_conn_hello(struct qtfs_conn *conn)
{
	u8 cnonce[QTFS_AUTH_NONCE_SIZE], mac[QTFS_AUTH_MAC_SIZE];
	u32 features, bloblen, want = QTFS_FEAT_AUTH;
	struct qtfs_fmac *fmac = NULL;
	struct qtfs_req *req = NULL;
	const u8 *blob;
	int ret;

	if (!qtfs_auth_keyed()) {
		ret = qtfs_conn_hello_leg(conn, 0, NULL, 0, 0, &req, &features,
					  &blob, &bloblen);
		if (!ret && ((features & QTFS_FEAT_AUTH) || bloblen)) {
			qtfs_err("server wants authentication; set qtfs_auth_key\n");
			ret = -EACCES;
		}
		goto out_put;
	}

	if (conn->trans->frame_mac)
		want |= QTFS_FEAT_FRAME_MAC;
	qtfs_auth_nonce(cnonce);
	ret = qtfs_conn_hello_leg(conn, want, cnonce, sizeof(cnonce),
				  QTFS_AUTH_NONCE_SIZE + QTFS_AUTH_MAC_SIZE,
				  &req, &features, &blob, &bloblen);
	if (ret)
		goto out_put;
	if (!(features & QTFS_FEAT_AUTH)) {
		qtfs_err("server is not authenticated; refusing it (qtfs_auth_key is set)\n");
		ret = -EACCES;
		goto out_put;
	}
	if ((features & want) != want) {
		qtfs_err("server does not authenticate frames over %s; refusing it\n",
			 conn->trans->name);
		ret = -EACCES;
		goto out_put;
	}
	if (bloblen != QTFS_AUTH_NONCE_SIZE + QTFS_AUTH_MAC_SIZE) {
		ret = -EPROTO;
		goto out_put;
	}
	ret = qtfs_auth_check(QTFS_AUTH_LABEL_SERVER, cnonce, blob,
			      blob + QTFS_AUTH_NONCE_SIZE);
	if (ret) {
		qtfs_err("server failed authentication (different qtfs_auth_key?)\n");
		goto out_put;
	}
	ret = qtfs_auth_mac(QTFS_AUTH_LABEL_CLIENT, cnonce, blob, mac);
	if (!ret && (want & QTFS_FEAT_FRAME_MAC)) {
		fmac = qtfs_fmac_new(cnonce, blob, false);
		if (IS_ERR(fmac)) {
			ret = PTR_ERR(fmac);
			fmac = NULL;
		}
	}
	qtfs_req_put(req);
	req = NULL;
	if (ret)
		goto out_put;
	ret = qtfs_conn_hello_leg(conn, QTFS_FEAT_AUTH, mac, sizeof(mac), 0,
				  &req, &features, &blob, &bloblen);
	if (!ret && (!(features & QTFS_FEAT_AUTH) || bloblen))
		ret = -EPROTO;
	if (!ret && fmac) {
		/*
		 * The server tags what it sends from now on, but only in
		 * answer to what we send next: nothing races with this.
		 */
		mutex_lock(&conn->send_lock);
		qtfs_frame_auth_start(&conn->tc, fmac);
		mutex_unlock(&conn->send_lock);
		fmac = NULL;
	}
out_put:
	if (req)
		qtfs_req_put(req);
	qtfs_fmac_free(fmac);
	memzero_explicit(mac, sizeof(mac));
	return ret;
}

static int qtfs_conn_mount(struct qtfs_conn *conn, struct qtfs_attr *root)
{
	struct qtfs_req *req;
	int ret;

	req = qtfs_req_new(conn, QTFS_OP_MOUNT, 0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, conn->export);
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, root);
	qtfs_req_put(req);
	if (!ret && !S_ISDIR(root->mode))
		ret = -EPROTO;
	return ret;
}

/* Connect, HELLO and MOUNT.  @connect_lock held, state DOWN. */
static int qtfs_conn_connect(struct qtfs_conn *conn, struct qtfs_attr *root)
	__must_hold(&conn->connect_lock)
{
	struct task_struct *task;
	int ret;

	lockdep_assert_held(&conn->connect_lock);
	qtfs_conn_teardown(conn);
	conn->tc.ops = conn->trans;
	ret = conn->trans->connect(&conn->tc, &conn->addr);
	if (ret)
		return ret;

	xa_lock(&conn->reqs);
	conn->gen++;
	conn->max_msg = QTFS_MSG_MIN;
	WRITE_ONCE(conn->state, QTFS_CONN_HANDSHAKE);
	xa_unlock(&conn->reqs);

	task = kthread_create(qtfs_recv_thread, conn, "qtfs-recv");
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		goto out_down;
	}
	get_task_struct(task);
	conn->recv_task = task;
	wake_up_process(task);

	ret = qtfs_conn_hello(conn);
	if (!ret)
		ret = qtfs_conn_mount(conn, root);
	if (ret)
		goto out_down;

	xa_lock(&conn->reqs);
	if (conn->state == QTFS_CONN_HANDSHAKE)
		WRITE_ONCE(conn->state, QTFS_CONN_UP);
	else
		ret = -ENOTCONN;
	xa_unlock(&conn->reqs);
	if (ret)
		goto out_teardown;
	return 0;

out_down:
	xa_lock(&conn->reqs);
	if (conn->state == QTFS_CONN_HANDSHAKE)
		WRITE_ONCE(conn->state, QTFS_CONN_DOWN);
	xa_unlock(&conn->reqs);
out_teardown:
	qtfs_conn_teardown(conn);
	return ret;
}

/**
 * qtfs_conn_create() - allocate the connection of a new mount
 * @trans:   transport, pinned by the caller; the connection takes it over
 * @addr:    server address
 * @export:  server path to mount
 * @timeout: bound on a reply and on a send that makes no progress, in
 *           jiffies, or MAX_SCHEDULE_TIMEOUT
 *
 * Return: the connection (not yet connected), or an ERR_PTR().
 */
struct qtfs_conn *qtfs_conn_create(const struct qtfs_trans_ops *trans,
				   const struct qtfs_trans_addr *addr,
				   const char *export, long timeout)
{
	struct qtfs_conn *conn = kzalloc(sizeof(*conn), GFP_KERNEL);

	if (!conn)
		return ERR_PTR(-ENOMEM);
	conn->export = kstrdup(export, GFP_KERNEL);
	if (!conn->export) {
		kfree(conn);
		return ERR_PTR(-ENOMEM);
	}
	conn->trans = trans;
	conn->addr = *addr;
	conn->timeout = timeout;
	if (timeout != MAX_SCHEDULE_TIMEOUT)
		conn->tc.send_timeout = DIV_ROUND_UP(timeout, HZ);
	conn->state = QTFS_CONN_DOWN;
	conn->max_msg = QTFS_MSG_MIN;
	mutex_init(&conn->connect_lock);
	mutex_init(&conn->send_lock);
	conn->tc.send_lock = &conn->send_lock;
	xa_init_flags(&conn->reqs, XA_FLAGS_ALLOC1);
	qtfs_info_add_conn(conn);
	return conn;
}

/**
 * qtfs_conn_start() - first connection of a mount
 * @conn: connection from qtfs_conn_create()
 * @root: attributes of the export root
 *
 * Return: 0, or the error of connect, HELLO or MOUNT (the server's -EPERM
 * for a path outside the [Mount] whitelist, -ENOENT, ...).
 */
int qtfs_conn_start(struct qtfs_conn *conn, struct qtfs_attr *root)
{
	int ret;

	mutex_lock(&conn->connect_lock);
	ret = qtfs_conn_connect(conn, root);
	if (!ret)
		conn->root_ino = root->ino;
	mutex_unlock(&conn->connect_lock);
	return ret;
}

/**
 * qtfs_conn_ready() - make sure the connection is up, reconnecting if needed
 * @conn: connection
 *
 * Return: 0, -ENOTCONN if the server is unreachable (or within the backoff
 * after a failed attempt), -EIO after an abort, -EINTR if killed.
 */
int qtfs_conn_ready(struct qtfs_conn *conn)
{
	struct qtfs_attr root;
	int ret = 0;

	switch (READ_ONCE(conn->state)) {
	case QTFS_CONN_UP:
		return 0;
	case QTFS_CONN_ABORTED:
		return -EIO;
	}
	if (mutex_lock_killable(&conn->connect_lock))
		return -EINTR;
	switch (READ_ONCE(conn->state)) {
	case QTFS_CONN_UP:
		break;
	case QTFS_CONN_DOWN:
		if (time_before(jiffies, conn->next_try)) {
			ret = -ENOTCONN;
			break;
		}
		ret = qtfs_conn_connect(conn, &root);
		if (ret) {
			conn->backoff = clamp(conn->backoff * 2,
					      (unsigned long)QTFS_BACKOFF_MIN,
					      (unsigned long)QTFS_BACKOFF_MAX);
			conn->next_try = jiffies + conn->backoff;
			qtfs_warn("reconnect to %s failed: %d\n",
				  conn->export, ret);
			ret = -ENOTCONN;
			break;
		}
		conn->backoff = 0;
		if (root.ino != conn->root_ino)
			qtfs_warn("export %s root changed after reconnect\n",
				  conn->export);
		qtfs_info("reconnected to %s\n", conn->export);
		break;
	default:
		ret = -EIO;
	}
	mutex_unlock(&conn->connect_lock);
	return ret;
}

/**
 * qtfs_conn_abort() - fail everything now and for good (umount -f, umount)
 * @conn: connection
 */
void qtfs_conn_abort(struct qtfs_conn *conn)
{
	mutex_lock(&conn->connect_lock);
	xa_lock(&conn->reqs);
	WRITE_ONCE(conn->state, QTFS_CONN_ABORTED);
	xa_unlock(&conn->reqs);
	qtfs_conn_teardown(conn);
	mutex_unlock(&conn->connect_lock);
}

/**
 * qtfs_conn_destroy() - abort and free a connection
 * @conn: connection; may never have connected
 */
void qtfs_conn_destroy(struct qtfs_conn *conn)
{
	qtfs_info_del_conn(conn);
	qtfs_conn_abort(conn);
	WARN_ON_ONCE(!xa_empty(&conn->reqs));
	xa_destroy(&conn->reqs);
	qtfs_trans_put(conn->trans);
	kfree(conn->export);
	kfree(conn);
}
