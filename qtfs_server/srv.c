// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_server.ko: module parameters, the /dev/qtfs_server control device,
 * server instances and the worker loop engine threads run in.
 *
 * Each open of the device owns one &struct qtsrv.  The engine installs the
 * whitelist, starts the server (listeners and accept threads) and then
 * parks its worker threads in QTSRV_IOC_SERVE, where they execute client
 * requests.  QTSRV_IOC_STOP or the last close of the file stops the server.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/vm_sockets.h>
#include "qtsrv.h"
#include "qtfs_stats.h"
#include "uapi/qtfs_info.h"

static unsigned int qtfs_server_vsock_cid = VMADDR_CID_ANY;
module_param(qtfs_server_vsock_cid, uint, 0444);
MODULE_PARM_DESC(qtfs_server_vsock_cid,
		 "local vsock CID to listen on (default: any)");

static unsigned int qtfs_server_vsock_port = 12345;
module_param(qtfs_server_vsock_port, uint, 0444);
MODULE_PARM_DESC(qtfs_server_vsock_port,
		 "vsock port to listen on (default 12345)");

static char *qtfs_server_ip = "";
module_param(qtfs_server_ip, charp, 0444);
MODULE_PARM_DESC(qtfs_server_ip,
		 "IPv4 address for the TCP listener of a QTFS_TEST_MODE build (default: none)");

static unsigned short qtfs_server_port = 12345;
module_param(qtfs_server_port, ushort, 0444);
MODULE_PARM_DESC(qtfs_server_port,
		 "TCP port of the test mode listener (default 12345)");

#define QTSRV_MAX_CONN_LIMIT	4096

/* Read with READ_ONCE() by the accept threads. */
unsigned int qtsrv_max_conn = 16;

static int qtsrv_max_conn_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint_minmax(val, kp, 1, QTSRV_MAX_CONN_LIMIT);

	if (ret)
		pr_err("invalid qtfs_conn_max_conn '%s': use 1..%u\n", val,
		       QTSRV_MAX_CONN_LIMIT);
	return ret;
}

static const struct kernel_param_ops qtsrv_max_conn_ops = {
	.set = qtsrv_max_conn_set,
	.get = param_get_uint,
};
module_param_cb(qtfs_conn_max_conn, &qtsrv_max_conn_ops, &qtsrv_max_conn,
		0644);
MODULE_PARM_DESC(qtfs_conn_max_conn,
		 "maximum client connections past HELLO (default 16)");

/*
 * Limits on what peers can make the server hold, each a bounded module
 * parameter (struct qtsrv_limit), writable at run time.
 */
static int qtsrv_limit_set(const char *val, const struct kernel_param *kp)
{
	struct qtsrv_limit *l = kp->arg;
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < l->min || v > l->max) {
		pr_err("invalid %s '%s': use %u..%u\n", kp->name, val, l->min,
		       l->max);
		return -EINVAL;
	}
	WRITE_ONCE(l->val, v);
	return 0;
}

static int qtsrv_limit_get(char *buf, const struct kernel_param *kp)
{
	const struct qtsrv_limit *l = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%u\n", READ_ONCE(l->val));
}

static const struct kernel_param_ops qtsrv_limit_ops = {
	.set = qtsrv_limit_set,
	.get = qtsrv_limit_get,
};

struct qtsrv_limit qtsrv_sess_max_handles = {
	.val = 4096, .min = 1, .max = QTSRV_HANDLES_MAX,
};
module_param_cb(qtfs_sess_max_handles, &qtsrv_limit_ops,
		&qtsrv_sess_max_handles, 0644);
MODULE_PARM_DESC(qtfs_sess_max_handles,
		 "open files per mount session; more give EMFILE (default 4096)");

struct qtsrv_limit qtsrv_max_handles = {
	.val = 65536, .min = 1, .max = 1U << 24,
};
module_param_cb(qtfs_server_max_handles, &qtsrv_limit_ops,
		&qtsrv_max_handles, 0644);
MODULE_PARM_DESC(qtfs_server_max_handles,
		 "open files of all sessions together; more give ENFILE (default 65536)");

struct qtsrv_limit qtsrv_conn_max_inflight_bytes = {
	.val = 8U << 20, .min = QTFS_MSG_MAX, .max = 1U << 30,
};
module_param_cb(qtfs_conn_max_inflight_bytes, &qtsrv_limit_ops,
		&qtsrv_conn_max_inflight_bytes, 0644);
MODULE_PARM_DESC(qtfs_conn_max_inflight_bytes,
		 "bytes of requests and their unsent replies one connection may hold (default 8 MiB)");

struct qtsrv_limit qtsrv_max_preauth = {
	.val = 64, .min = 1, .max = 1024,
};
module_param_cb(qtfs_conn_max_preauth, &qtsrv_limit_ops, &qtsrv_max_preauth,
		0644);
MODULE_PARM_DESC(qtfs_conn_max_preauth,
		 "connections before HELLO, all peers together (default 64)");

struct qtsrv_limit qtsrv_max_preauth_per_peer = {
	.val = 8, .min = 1, .max = 1024,
};
module_param_cb(qtfs_conn_max_preauth_per_peer, &qtsrv_limit_ops,
		&qtsrv_max_preauth_per_peer, 0644);
MODULE_PARM_DESC(qtfs_conn_max_preauth_per_peer,
		 "connections before HELLO from one peer (default 8)");

/*
 * Root squash, read with READ_ONCE() when a request's credentials are
 * built, so a change applies to the next request.
 */
bool qtsrv_root_squash;
module_param_named(qtfs_server_root_squash, qtsrv_root_squash, bool, 0644);
MODULE_PARM_DESC(qtfs_server_root_squash,
		 "map client uid/gid 0 to qtfs_server_squash_uid/gid (default off)");

unsigned int qtsrv_squash_uid = 65534;
unsigned int qtsrv_squash_gid = 65534;

/* An id that is no id ((u32)-1) would fail every squashed request. */
static int qtsrv_squash_id_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint_minmax(val, kp, 0, U32_MAX - 1);

	if (ret)
		pr_err("invalid %s '%s': use 0..%u\n", kp->name, val,
		       U32_MAX - 1);
	return ret;
}

static const struct kernel_param_ops qtsrv_squash_id_ops = {
	.set = qtsrv_squash_id_set,
	.get = param_get_uint,
};
module_param_cb(qtfs_server_squash_uid, &qtsrv_squash_id_ops,
		&qtsrv_squash_uid, 0644);
MODULE_PARM_DESC(qtfs_server_squash_uid,
		 "uid a squashed client root acts as (default 65534)");
module_param_cb(qtfs_server_squash_gid, &qtsrv_squash_id_ops,
		&qtsrv_squash_gid, 0644);
MODULE_PARM_DESC(qtfs_server_squash_gid,
		 "gid a squashed client root acts as (default 65534)");

/* Read with READ_ONCE() by the senders; see conn.c. */
unsigned int qtsrv_send_timeout = 30;

#define QTSRV_SEND_TIMEOUT_MAX	3600

static int qtsrv_send_timeout_set(const char *val,
				  const struct kernel_param *kp)
{
	int ret = param_set_uint_minmax(val, kp, 1, QTSRV_SEND_TIMEOUT_MAX);

	if (ret)
		pr_err("invalid qtfs_server_send_timeout '%s': use 1..%u seconds\n",
		       val, QTSRV_SEND_TIMEOUT_MAX);
	return ret;
}

static const struct kernel_param_ops qtsrv_send_timeout_ops = {
	.set = qtsrv_send_timeout_set,
	.get = param_get_uint,
};
module_param_cb(qtfs_server_send_timeout, &qtsrv_send_timeout_ops,
		&qtsrv_send_timeout, 0644);
MODULE_PARM_DESC(qtfs_server_send_timeout,
		 "seconds a client may take to accept a reply before it is disconnected (default 30)");

/*
 * Workers one connection may occupy at a time; 0 means half of the
 * engine's workers (at least one).  Read with READ_ONCE().
 */
static unsigned int qtsrv_conn_workers;

#define QTSRV_CONN_WORKERS_MAX	4096

static int qtsrv_conn_workers_set(const char *val,
				  const struct kernel_param *kp)
{
	int ret = param_set_uint_minmax(val, kp, 0, QTSRV_CONN_WORKERS_MAX);

	if (ret)
		pr_err("invalid qtfs_server_conn_workers '%s': use 0 (half the workers) or 1..%u\n",
		       val, QTSRV_CONN_WORKERS_MAX);
	return ret;
}

static const struct kernel_param_ops qtsrv_conn_workers_ops = {
	.set = qtsrv_conn_workers_set,
	.get = param_get_uint,
};
module_param_cb(qtfs_server_conn_workers, &qtsrv_conn_workers_ops,
		&qtsrv_conn_workers, 0644);
MODULE_PARM_DESC(qtfs_server_conn_workers,
		 "engine workers one client connection may occupy at a time (default 0: half of them)");

/*
 * The server that holds the listeners, if any.  Besides the module
 * parameters this is the module's only mutable global; qtsrv_active_lock
 * protects it.
 */
static struct qtsrv *qtsrv_active;
static DEFINE_MUTEX(qtsrv_active_lock);

/*
 * Workers one connection may occupy at a time: qtfs_server_conn_workers,
 * or half the engine's workers (at least one) when that is 0.  The count
 * of workers dips while one passes through user mode (QTSRV_SERVE_AGAIN),
 * so the cap may shrink under a connection at any time.
 */
static unsigned int qtsrv_conn_worker_cap(struct qtsrv *srv)
{
	unsigned int cap = READ_ONCE(qtsrv_conn_workers);

	return cap ?: max(atomic_read(&srv->nr_workers) / 2, 1);
}

/*
 * Put @conn at the end of the ready list if it has requests waiting and
 * may have another worker: it has fewer than its share running, or every
 * worker it has is parked in a lock wait.  The second case keeps lock
 * waits from starving the connection's other requests even when the cap
 * has shrunk below the waits it admitted.  Return: true if it was added.
 */
static bool qtsrv_conn_make_ready(struct qtsrv *srv, struct qtsrv_conn *conn)
	__must_hold(&srv->q_lock)
{
	lockdep_assert_held(&srv->q_lock);
	if (list_empty(&conn->pending) || !list_empty(&conn->ready_node))
		return false;
	if (conn->running >= qtsrv_conn_worker_cap(srv) &&
	    conn->running > conn->lock_waits)
		return false;
	list_add_tail(&conn->ready_node, &srv->ready);
	return true;
}

/**
 * qtsrv_queue_req() - hand a request to the workers
 * @srv: server
 * @req: request, owned by the queue from now on
 *
 * A stopped server has no workers left; the request is dropped.
 */
void qtsrv_queue_req(struct qtsrv *srv, struct qtsrv_req *req)
{
	struct qtsrv_conn *conn = req->conn;
	bool queued = false, wake = false;

	spin_lock(&srv->q_lock);
	if (srv->state != QTSRV_STOPPED) {
		list_add_tail(&req->node, &conn->pending);
		qtsrv_conn_make_ready(srv, conn);
		wake = !list_empty(&conn->ready_node);
		queued = true;
	}
	spin_unlock(&srv->q_lock);
	if (wake)
		wake_up(&srv->q_wait);
	if (!queued)
		qtsrv_req_free(req);
}

/*
 * The next request for a worker: the first one of the connection whose
 * turn it is, which then goes to the end of the line (round robin), so a
 * connection with a long backlog delays the others by one request each.
 */
static struct qtsrv_req *qtsrv_take_req(struct qtsrv *srv)
	__must_hold(&srv->q_lock)
{
	struct qtsrv_conn *conn;
	struct qtsrv_req *req;

	lockdep_assert_held(&srv->q_lock);
	conn = list_first_entry_or_null(&srv->ready, struct qtsrv_conn,
					ready_node);
	if (!conn)
		return NULL;
	req = list_first_entry(&conn->pending, struct qtsrv_req, node);
	list_del(&req->node);
	conn->running++;
	list_del_init(&conn->ready_node);
	qtsrv_conn_make_ready(srv, conn);
	return req;
}

/* A worker is done with a request of @conn (answered or put back). */
static void qtsrv_req_done(struct qtsrv *srv, struct qtsrv_conn *conn)
{
	bool wake;

	spin_lock(&srv->q_lock);
	conn->running--;
	wake = qtsrv_conn_make_ready(srv, conn);
	spin_unlock(&srv->q_lock);
	if (wake)
		wake_up(&srv->q_wait);
}

/* Lock waits may occupy at most 1/QTSRV_LOCK_WAITERS_DIV of the workers. */
#define QTSRV_LOCK_WAITERS_DIV	2

/**
 * qtsrv_lock_wait_begin() - let a worker block in a LOCK wait, if it may
 * @srv:  server
 * @conn: connection of the request
 *
 * A wait is admitted while the waits of all connections stay within
 * 1/%QTSRV_LOCK_WAITERS_DIV of the workers and those of @conn leave at
 * least one of its share to its other requests.  Since a connection whose
 * workers all wait is served anyway (qtsrv_conn_make_ready()), its queued
 * requests are offered to the workers again here.  Pair with
 * qtsrv_lock_wait_end().
 *
 * Return: true if the worker may wait.
 */
bool qtsrv_lock_wait_begin(struct qtsrv *srv, struct qtsrv_conn *conn)
{
	unsigned int limit = atomic_read(&srv->nr_workers) /
			     QTSRV_LOCK_WAITERS_DIV;
	bool ok, wake = false;

	spin_lock(&srv->q_lock);
	ok = conn->lock_waits + 1 < qtsrv_conn_worker_cap(srv) &&
	     srv->nr_lock_waits < limit;
	if (ok) {
		conn->lock_waits++;
		srv->nr_lock_waits++;
		wake = qtsrv_conn_make_ready(srv, conn);
	}
	spin_unlock(&srv->q_lock);
	if (wake)
		wake_up(&srv->q_wait);
	return ok;
}

/**
 * qtsrv_lock_wait_end() - a worker admitted to a LOCK wait is done waiting
 * @srv:  server
 * @conn: connection of the request
 */
void qtsrv_lock_wait_end(struct qtsrv *srv, struct qtsrv_conn *conn)
{
	spin_lock(&srv->q_lock);
	conn->lock_waits--;
	srv->nr_lock_waits--;
	spin_unlock(&srv->q_lock);
}

/**
 * qtsrv_unqueue_conn() - drop the requests of a dead connection
 * @srv:  server
 * @conn: connection whose receive thread is ending (it queues nothing
 *        more, and requeueing refuses a dead connection)
 */
void qtsrv_unqueue_conn(struct qtsrv *srv, struct qtsrv_conn *conn)
{
	struct qtsrv_req *req, *tmp;
	LIST_HEAD(drop);

	spin_lock(&srv->q_lock);
	list_splice_init(&conn->pending, &drop);
	list_del_init(&conn->ready_node);
	spin_unlock(&srv->q_lock);
	list_for_each_entry_safe(req, tmp, &drop, node) {
		list_del(&req->node);
		qtsrv_req_free(req);
	}
}

static int qtsrv_dev_open(struct inode *inode, struct file *file)
{
	struct qtsrv *srv;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	srv = kzalloc(sizeof(*srv), GFP_KERNEL);
	if (!srv)
		return -ENOMEM;
	mutex_init(&srv->ctl_lock);
	srv->state = QTSRV_IDLE;
	mutex_init(&srv->conn_lock);
	INIT_LIST_HEAD(&srv->conns);
	INIT_LIST_HEAD(&srv->dead_conns);
	INIT_LIST_HEAD(&srv->preauth);
	init_waitqueue_head(&srv->conn_wq);
	INIT_WORK(&srv->reap_work, qtsrv_reap_work);
	spin_lock_init(&srv->q_lock);
	INIT_LIST_HEAD(&srv->ready);
	init_waitqueue_head(&srv->q_wait);
	atomic_set(&srv->nr_workers, 0);
	file->private_data = srv;
	return 0;
}

static int qtsrv_start_listeners(struct qtsrv *srv)
{
	struct qtfs_trans_addr addr = {
		.vsock_cid = qtfs_server_vsock_cid,
		.vsock_port = qtfs_server_vsock_port,
		.tcp_port = qtfs_server_port,
	};
	bool want_tcp = qtfs_server_ip && *qtfs_server_ip;
	int ret;

	ret = qtsrv_listen(srv, &srv->lis[0], "vsock", &addr);
	if (ret && !want_tcp) {
		qtsrv_err("cannot listen on vsock cid %u port %u: %d (check qtfs_server_vsock_cid and qtfs_server_vsock_port, and that a vsock transport is loaded)\n",
			  addr.vsock_cid, addr.vsock_port, ret);
		return ret;
	}
	if (ret)
		qtsrv_warn("no vsock listener (cid %u port %u): %d; serving TCP only\n",
			   addr.vsock_cid, addr.vsock_port, ret);
	if (!want_tcp)
		return 0;
#ifdef QTFS_TEST_MODE
	strscpy(addr.ip, qtfs_server_ip, sizeof(addr.ip));
	ret = qtsrv_listen(srv, &srv->lis[1], "tcp", &addr);
	if (ret) {
		qtsrv_err("cannot listen on tcp %s:%u: %d (check qtfs_server_ip and qtfs_server_port)\n",
			  qtfs_server_ip, addr.tcp_port, ret);
		qtsrv_unlisten(&srv->lis[0]);
	}
	return ret;
#else
	qtsrv_err("qtfs_server_ip is set but this module was built without QTFS_TEST_MODE: no TCP listener\n");
	qtsrv_unlisten(&srv->lis[0]);
	return -EINVAL;
#endif
}

static int qtsrv_ioc_start(struct qtsrv *srv, void __user *uarg)
{
	struct qtsrv_ioc_start arg;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* a bad argument is reported as such even while another server runs */
	ret = qtsrv_peers_valid(&arg);
	if (ret)
		return ret;

	mutex_lock(&qtsrv_active_lock);
	mutex_lock(&srv->ctl_lock);
	ret = -EBUSY;
	if (qtsrv_active)
		goto out_unlock;
	ret = -EINVAL;
	if (srv->state != QTSRV_IDLE)
		goto out_unlock;
	ret = qtsrv_peers_start(srv, &arg);
	if (ret)
		goto out_unlock;

	mutex_lock(&srv->conn_lock);
	srv->accepting = true;
	mutex_unlock(&srv->conn_lock);
	ret = qtsrv_start_listeners(srv);
	if (ret) {
		mutex_lock(&srv->conn_lock);
		srv->accepting = false;
		mutex_unlock(&srv->conn_lock);
		goto out_unlock;
	}
	WRITE_ONCE(srv->state, QTSRV_RUNNING);
	qtsrv_active = srv;
	qtsrv_info("server started\n");
out_unlock:
	mutex_unlock(&srv->ctl_lock);
	mutex_unlock(&qtsrv_active_lock);
	return ret;
}

/*
 * Stop @srv: no new connections, every connection shut down and reaped
 * (which drops its queued requests), workers sent home.  Requests already
 * running finish on their own; their replies are dropped and they drop
 * their references.
 */
static void qtsrv_stop(struct qtsrv *srv)
{
	int i;

	mutex_lock(&qtsrv_active_lock);
	mutex_lock(&srv->ctl_lock);
	if (srv->state == QTSRV_RUNNING) {
		for (i = 0; i < QTSRV_NR_LISTENERS; i++)
			qtsrv_unlisten(&srv->lis[i]);
		qtsrv_conns_shutdown(srv);
		qtsrv_info("server stopped\n");
	}
	spin_lock(&srv->q_lock);
	WRITE_ONCE(srv->state, QTSRV_STOPPED);
	WARN_ON_ONCE(!list_empty(&srv->ready));
	spin_unlock(&srv->q_lock);
	wake_up_all(&srv->q_wait);
	if (qtsrv_active == srv)
		qtsrv_active = NULL;
	mutex_unlock(&srv->ctl_lock);
	mutex_unlock(&qtsrv_active_lock);
}

/**
 * qtsrv_requeue_req() - put back a request a signal interrupted
 * @srv: server
 * @req: request whose handler returned -ERESTART*
 *
 * The request goes back to the head of its connection's queue, to run
 * again once the
 * worker has passed through user mode to take its signal (a job-control
 * stop of the engine, say), like a restarted system call.
 *
 * Return: true if queued; false if the server or the connection is going
 * away, and the caller replies instead.
 */
bool qtsrv_requeue_req(struct qtsrv *srv, struct qtsrv_req *req)
{
	bool queued = false;

	spin_lock(&srv->q_lock);
	if (srv->state != QTSRV_STOPPED &&
	    !test_bit(QTSRV_CONN_DEAD, &req->conn->flags)) {
		/* made ready again by qtsrv_req_done() */
		list_add(&req->node, &req->conn->pending);
		queued = true;
	}
	spin_unlock(&srv->q_lock);
	return queued;
}

static bool qtsrv_serve_wake(struct qtsrv *srv)
{
	return READ_ONCE(srv->state) == QTSRV_STOPPED ||
	       !list_empty_careful(&srv->ready);
}

/*
 * QTSRV_IOC_SERVE: the calling engine thread executes requests until the
 * server stops.  The wait is exclusive so that one request wakes one
 * worker; a worker that leaves without taking a request passes the wakeup
 * on.
 */
static long qtsrv_ioc_serve(struct qtsrv *srv)
{
	struct qtsrv_conn *conn;
	struct qtsrv_req *req;
	long ret;

	if (READ_ONCE(srv->state) == QTSRV_IDLE)
		return -EINVAL;
	atomic_inc(&srv->nr_workers);
	for (;;) {
		wait_event_interruptible_exclusive(srv->q_wait,
						   qtsrv_serve_wake(srv));
		req = NULL;
		spin_lock(&srv->q_lock);
		if (srv->state == QTSRV_STOPPED) {
			spin_unlock(&srv->q_lock);
			ret = 0;
			break;
		}
		if (!signal_pending(current))
			req = qtsrv_take_req(srv);
		spin_unlock(&srv->q_lock);
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (!req)
			continue;
		/* the request may be gone when the dispatch returns */
		conn = req->conn;
		refcount_inc(&conn->ref);
		qtsrv_dispatch(srv, req);
		qtsrv_req_done(srv, conn);
		qtsrv_conn_put(conn);
		if (task_work_pending(current)) {
			ret = QTSRV_SERVE_AGAIN;
			break;
		}
		cond_resched();
	}
	atomic_dec(&srv->nr_workers);
	if (ret && !list_empty_careful(&srv->ready))
		wake_up(&srv->q_wait);
	return ret;
}

/* Largest &struct qtfs_info_conns.cap honoured; more than can exist. */
#define QTSRV_INFO_CONNS_MAX	QTSRV_MAX_CONN_LIMIT

static void qtsrv_info_conn_fill(struct qtsrv_conn *conn,
				 struct qtfs_info_conn *ic)
{
	memset(ic, 0, sizeof(*ic));
	ic->id = conn->id;
	ic->proto_major = READ_ONCE(conn->proto_major);
	if (ic->proto_major) {
		ic->proto_minor = conn->proto_minor;
		ic->max_msg = conn->max_msg;
	}
	strscpy(ic->peer, conn->peer, sizeof(ic->peer));
	spin_lock(&conn->lock);
	ic->inflight = conn->inflight;
	if (test_bit(QTSRV_CONN_DEAD, &conn->flags))
		ic->state = QTFS_INFO_CONN_CLOSED;
	else if (ic->proto_major && conn->sess)
		ic->state = QTFS_INFO_CONN_UP;
	else
		ic->state = QTFS_INFO_CONN_HANDSHAKE;
	spin_unlock(&conn->lock);
}

/*
 * QTFS_INFO_IOC_CONNS: the connections of the running server (whichever
 * open of the device started it).  Filled into a kernel buffer under the
 * locks and copied out after, so no user fault happens under conn_lock.
 */
static long qtsrv_info_conns(void __user *uarg)
{
	struct qtfs_info_conn *buf = NULL;
	struct qtfs_info_conns arg;
	struct qtsrv_conn *conn;
	struct qtsrv *srv;
	u32 cap, nr = 0;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.version != QTFS_INFO_VERSION)
		return -EINVAL;
	cap = min_t(u32, arg.cap, QTSRV_INFO_CONNS_MAX);
	if (cap) {
		buf = kvcalloc(cap, sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	mutex_lock(&qtsrv_active_lock);
	srv = qtsrv_active;
	if (srv) {
		mutex_lock(&srv->conn_lock);
		list_for_each_entry(conn, &srv->conns, node) {
			if (nr < cap)
				qtsrv_info_conn_fill(conn, &buf[nr]);
			nr++;
		}
		mutex_unlock(&srv->conn_lock);
	}
	mutex_unlock(&qtsrv_active_lock);
	arg.nr = nr;
	arg.filled = min(nr, cap);
	if (arg.filled &&
	    copy_to_user(u64_to_user_ptr(arg.conns), buf,
			 array_size(arg.filled, sizeof(*buf))))
		ret = -EFAULT;
	else if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	kvfree(buf);
	return ret;
}

/* QTFS_INFO_IOC_WL_GET: the rule set in force on the running server. */
static long qtsrv_info_wl(void __user *uarg)
{
	struct qtsrv_wl *wl = NULL;
	long ret;

	mutex_lock(&qtsrv_active_lock);
	if (qtsrv_active)
		wl = qtsrv_wl_get(qtsrv_active);
	mutex_unlock(&qtsrv_active_lock);
	ret = qtsrv_wl_copy_out(wl, uarg);
	qtsrv_wl_put(wl);
	return ret;
}

static long qtsrv_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct qtsrv *srv = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case QTSRV_IOC_WL_SET:
		return qtsrv_wl_set(srv, uarg);
	case QTSRV_IOC_START:
		return qtsrv_ioc_start(srv, uarg);
	case QTSRV_IOC_SERVE:
		return qtsrv_ioc_serve(srv);
	case QTSRV_IOC_STOP:
		qtsrv_stop(srv);
		return 0;
	case QTFS_INFO_IOC_CONNS:
		return qtsrv_info_conns(uarg);
	case QTFS_INFO_IOC_WL_GET:
		return qtsrv_info_wl(uarg);
	default:
		return qtfs_info_ioctl_common(cmd, uarg);
	}
}

static int qtsrv_dev_release(struct inode *inode, struct file *file)
{
	struct qtsrv *srv = file->private_data;

	/* No ioctl runs any more, so no worker either. */
	qtsrv_stop(srv);
	qtsrv_wl_release(srv);
	kfree(srv);
	return 0;
}

static const struct file_operations qtsrv_fops = {
	.owner = THIS_MODULE,
	.open = qtsrv_dev_open,
	.release = qtsrv_dev_release,
	.unlocked_ioctl = qtsrv_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice qtsrv_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = QTSRV_DEV_NAME,
	.fops = &qtsrv_fops,
	.mode = 0600,
};

static int __init qtsrv_init(void)
{
	int ret;

	ret = qtsrv_handlers_init();
	if (ret)
		return ret;
	ret = qtsrv_peers_init();
	if (ret)
		return ret;
	ret = qtsrv_conn_init();
	if (ret)
		return ret;
	ret = qtfs_trans_init();
	if (ret)
		goto out_conn_exit;
	ret = misc_register(&qtsrv_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", QTSRV_DEV_NAME, ret);
		goto out_trans_exit;
	}
	qtsrv_info("loaded: protocol %u.%u, vsock cid %u port %u\n",
		   QTFS_PROTO_MAJOR, QTFS_PROTO_MINOR, qtfs_server_vsock_cid,
		   qtfs_server_vsock_port);
	return 0;

out_trans_exit:
	qtfs_trans_exit();
out_conn_exit:
	qtsrv_conn_exit();
	return ret;
}

static void __exit qtsrv_exit(void)
{
	misc_deregister(&qtsrv_misc);
	/* replies of connections already gone may still be dropped here */
	qtsrv_conn_exit();
	qtfs_trans_exit();
	/* whitelist sets are freed by RCU callbacks */
	rcu_barrier();
}

module_init(qtsrv_init);
module_exit(qtsrv_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qtfs server: serves a directory tree to qtfs clients");
MODULE_AUTHOR("qtfs developers");
