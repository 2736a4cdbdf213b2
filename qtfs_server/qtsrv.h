/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtfs_server.ko internals.
 *
 * One &struct qtsrv exists per open of /dev/qtfs_server; at most one of them
 * runs (has listeners) at a time.  Its accept threads create one
 * &struct qtsrv_conn per client connection, each with a receive thread that
 * queues validated requests on its connection.  Engine threads parked in
 * QTSRV_IOC_SERVE take requests from the connections in turn and run them
 * (handlers.c), so every VFS operation happens in the engine's namespaces;
 * a connection gets at most qtfs_server_conn_workers of them at a time.
 * Workers never send: they queue the reply on its connection, and whoever
 * holds the connection's send lock without waiting (the worker itself, if
 * the socket has room) or the connection's send work puts it on the wire.
 *
 * Lock order, outer to inner:
 *
 *   qtsrv_active_lock (srv.c)
 *     qtsrv.ctl_lock
 *       qtsrv.conn_lock
 *         qtsrv_conn.lock        (spinlock)
 *         qtsrv.q_lock           (spinlock)
 *   qtsrv_conn.send_lock         (mutex, around sends on the transport)
 *     qtsrv_conn.lock
 *   qtsrv_conn.reqs xa_lock      (taken alone; signals a waiting worker)
 *   qtsrv_lock_tbl.lock          (taken alone, handlers_lock.c)
 *   qtsrv_sess.opts_lock         (seqlock; writers inside an RCU read
 *                                 section, whitelist.c)
 *   file->f_pos_lock             (taken alone by READDIR and LLSEEK)
 *
 * Handlers take VFS locks (inode locks, rename locks) with none of the qtsrv
 * locks held, and the whitelist is read under RCU plus a reference.
 */
#ifndef _QTSRV_H
#define _QTSRV_H

#include <linux/completion.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include "qtfs_auth.h"
#include "qtfs_proto.h"
#include "qtfs_trans.h"
#include "qtfs_log.h"
#include "uapi/qtfs_ioctl.h"

extern unsigned int qtsrv_max_conn;

/**
 * struct qtsrv_limit - a bounded, writable module parameter
 * @val: current value; read with qtsrv_limit() (READ_ONCE), so a change
 *       applies to the next check
 * @min: smallest value accepted
 * @max: largest value accepted
 *
 * Values outside [@min, @max] are refused at insmod and on writes to
 * /sys/module/qtfs_server/parameters/, with a log line naming the range.
 */
struct qtsrv_limit {
	unsigned int val;
	unsigned int min;
	unsigned int max;
};

#define qtsrv_limit(l)	READ_ONCE((l).val)

extern struct qtsrv_limit qtsrv_sess_max_handles;
extern struct qtsrv_limit qtsrv_max_handles;
extern struct qtsrv_limit qtsrv_conn_max_inflight_bytes;
extern struct qtsrv_limit qtsrv_max_preauth;
extern struct qtsrv_limit qtsrv_max_preauth_per_peer;
extern bool qtsrv_root_squash;
extern unsigned int qtsrv_squash_uid;
extern unsigned int qtsrv_squash_gid;

/* Messages nobody on the wire can trigger. */
#define qtsrv_err(fmt, ...) qtfs_log(QTFS_LOG_ERROR, pr_err, fmt, ##__VA_ARGS__)
#define qtsrv_warn(fmt, ...) \
	qtfs_log(QTFS_LOG_WARN, pr_warn, fmt, ##__VA_ARGS__)
#define qtsrv_info(fmt, ...) \
	qtfs_log(QTFS_LOG_INFO, pr_info, fmt, ##__VA_ARGS__)

/* Messages a peer can trigger: always ratelimited. */
#define qtsrv_err_rl(fmt, ...) \
	qtfs_log(QTFS_LOG_ERROR, pr_err_ratelimited, fmt, ##__VA_ARGS__)
#define qtsrv_warn_rl(fmt, ...) \
	qtfs_log(QTFS_LOG_WARN, pr_warn_ratelimited, fmt, ##__VA_ARGS__)
#define qtsrv_info_rl(fmt, ...) \
	qtfs_log(QTFS_LOG_INFO, pr_info_ratelimited, fmt, ##__VA_ARGS__)
#define qtsrv_dbg_rl(fmt, ...) \
	qtfs_log(QTFS_LOG_DEBUG, pr_info_ratelimited, fmt, ##__VA_ARGS__)

/*
 * The reply to an opcode this server does not know or implement; the
 * protocol gives it the meaning fuse does (qtfs_proto_validate() returns
 * it for unknown opcodes too).
 */
#define QTSRV_ERR_UNKNOWN_OP	(-ENOSYS)

/* Listeners: vsock always, TCP in test mode. */
#define QTSRV_NR_LISTENERS	2

/*
 * Back-pressure on one connection: requests queued, running or waiting for
 * their reply to be sent (their payloads and reserved replies are bounded
 * by qtfs_conn_max_inflight_bytes).  Messages the receive thread answers
 * itself (INTERRUPT, HELLO) may use %QTSRV_CONN_CTRL_SLACK more, so that
 * INTERRUPT gets through while every slot is taken by requests that wait.
 */
#define QTSRV_CONN_MAX_INFLIGHT		256
#define QTSRV_CONN_CTRL_SLACK		16

/*
 * Largest handle index, the ceiling of qtfs_sess_max_handles; handles are
 * (generation << 32) | index.
 */
#define QTSRV_HANDLES_MAX	SZ_1M

/**
 * struct qtsrv_listener - one listening socket and its accept thread
 * @srv:     server it belongs to
 * @ops:     transport, pinned by qtfs_trans_get() while listening
 * @tc:      the listening endpoint
 * @task:    accept thread (referenced), NULL when not running
 * @started: completed once the accept thread can take its stop signal
 *
 * Set up and torn down under &qtsrv.ctl_lock; the accept thread only reads.
 */
struct qtsrv_listener {
	struct qtsrv *srv;
	const struct qtfs_trans_ops *ops;
	struct qtfs_tconn tc;
	struct task_struct *task;
	struct completion started;
};

/* &qtsrv.state values */
enum qtsrv_state {
	QTSRV_IDLE,		/* opened, not started */
	QTSRV_RUNNING,		/* listeners up */
	QTSRV_STOPPED,		/* stopped; SERVE returns 0 */
};

/**
 * struct qtsrv - a server instance, owned by one open of /dev/qtfs_server
 * @ctl_lock:    serialises the control ioctls; protects @state, @lis and
 *               writers of @wl
 * @state:       &enum qtsrv_state; written under @ctl_lock and, for the
 *               transition to %QTSRV_STOPPED, also under @q_lock (so the
 *               workers see it with the queue)
 * @wl:          current whitelist, RCU; see whitelist.c
 * @lis:         listeners
 * @peers:       the peers named at start (see peers.c); set before the
 *               listeners start, read-only while they run
 * @nr_peers:    entries of @peers in use
 * @conn_lock:   protects @conns, @dead_conns, @nr_conns, @preauth,
 *               @nr_preauth, @nr_authed, @next_conn_id and @accepting
 * @accepting:   new connections are accepted (false once stopping)
 * @conns:       connections whose receive thread runs
 * @dead_conns:  connections whose receive thread has finished, waiting for
 *               @reap_work to stop it and drop the list reference
 * @nr_conns:    entries on @conns
 * @preauth:     connections of @conns that have not finished HELLO, oldest
 *               first: the pre-authentication pool (peers.c)
 * @nr_preauth:  entries on @preauth, at most qtfs_conn_max_preauth
 * @nr_authed:   connections of @conns past HELLO, at most
 *               qtfs_conn_max_conn
 * @next_conn_id: id of the next connection, for logs
 * @conn_wq:     woken when a connection leaves @conns
 * @reap_work:   reaps @dead_conns
 * @q_lock:      protects @ready, @nr_lock_waits and, of every connection,
 *               &qtsrv_conn.pending, &qtsrv_conn.ready_node,
 *               &qtsrv_conn.running and &qtsrv_conn.lock_waits
 * @ready:       connections with requests waiting and a worker due to
 *               them (qtsrv_conn_make_ready()), served in turn
 * @q_wait:      workers wait here for @ready or %QTSRV_STOPPED
 * @nr_workers:  threads currently in QTSRV_IOC_SERVE
 * @nr_lock_waits: workers blocked in a LOCK wait, at most half of
 *               @nr_workers (qtsrv_lock_wait_begin())
 */
struct qtsrv {
	struct mutex ctl_lock;		/* see above */
	enum qtsrv_state state;
	struct qtsrv_wl __rcu *wl;
	struct qtsrv_listener lis[QTSRV_NR_LISTENERS];
	struct qtfs_trans_peer peers[QTSRV_PEERS_MAX];
	unsigned int nr_peers;

	struct mutex conn_lock;		/* see above */
	bool accepting;
	struct list_head conns;
	struct list_head dead_conns;
	unsigned int nr_conns;
	struct list_head preauth;
	unsigned int nr_preauth;
	unsigned int nr_authed;
	unsigned int next_conn_id;
	wait_queue_head_t conn_wq;
	struct work_struct reap_work;

	spinlock_t q_lock;		/* see above */
	struct list_head ready;
	wait_queue_head_t q_wait;
	atomic_t nr_workers;
	unsigned int nr_lock_waits;
};

/**
 * struct qtsrv_sess - a mount session: the export root and its open files
 * @ref:   references: the connection's @sess pointer and each running
 *         handler that uses the session
 * @root:  export root, resolved at MOUNT
 * @files: handle index -> struct file *; the xarray's own lock makes lookup
 *         plus get_file() atomic against RELEASE
 * @nr_files: handles in @files or being added, at most
 *         qtfs_sess_max_handles (see qtsrv_handle_charge())
 * @gen:   random generation in the upper 32 bits of every handle, so
 *         handles of another session or connection never resolve
 * @locks: POSIX lock owners of the session's clients (handlers_lock.c),
 *         allocated at the first LOCK; set once with cmpxchg
 * @opts_lock: protects @wl_gen and @opts; readers retry, writers are the
 *         workers that find a new whitelist (qtsrv_wl_sess_export())
 * @wl_gen: generation of the last whitelist found to admit @export under
 *         [Mount], 0 before MOUNT looked
 * @opts:  export options of the [Mount] rule of that whitelist
 * @export: the normalised export path the client mounted
 *
 * Freed (with every file still open) when the last reference goes.
 */
struct qtsrv_sess {
	refcount_t ref;
	struct path root;
	struct xarray files;
	atomic_t nr_files;
	u32 gen;
	struct qtsrv_lock_tbl *locks;
	seqlock_t opts_lock;		/* see above */
	u64 wl_gen;
	struct qtsrv_export_opts opts;
	char export[];
};

/* &qtsrv_conn.flags bits */
#define QTSRV_CONN_DEAD		0	/* shut down; no more sends */

/* &qtsrv_conn.hello values */
enum qtsrv_hello_state {
	QTSRV_HELLO_WAIT,	/* nothing received yet */
	QTSRV_HELLO_CHALLENGED,	/* our proof sent, waiting for the client's */
	QTSRV_HELLO_DONE,	/* requests may flow */
};

/* A connection that has not finished HELLO by then is closed. */
#define QTSRV_HELLO_TIMEOUT	(10 * HZ)

/**
 * struct qtsrv_conn - one client connection
 * @ref:          references, see qtsrv_conn_new()
 * @srv:          server; valid while the connection is on one of its
 *                lists, i.e. as long as anyone can reach the connection
 * @tc:           transport endpoint; closed when @ref drops to zero
 * @node:         link in &qtsrv.conns or &qtsrv.dead_conns (conn_lock)
 * @task:         receive thread (referenced)
 * @id:           connection number for logs
 * @peer:         peer address for logs
 * @peer_id:      peer identity, for the peer restriction and the
 *                pre-authentication pool
 * @preauth_node: link in &qtsrv.preauth from accept until HELLO is done
 *                or the connection is evicted; empty after (conn_lock)
 * @authed:       counted in &qtsrv.nr_authed (conn_lock)
 * @flags:        QTSRV_CONN_* bits (atomic bitops)
 * @max_msg:      negotiated max message size; written by the receive thread
 *                at HELLO before any request is queued, read-only after
 * @proto_major:  negotiated protocol major, 0 until HELLO succeeded;
 *                written once by the receive thread, read by diagnostics
 * @proto_minor:  negotiated protocol minor, set before @proto_major
 * @send_lock:    serialises sends on @tc; protects @send_off
 * @send_off:     bytes of the first entry of @sendq already sent
 * @send_work:    sends @sendq when a worker could not (the socket was
 *                full), or drops it once the connection is dead
 * @reqs:         requests queued or running, by id, so that INTERRUPT can
 *                find them; its xa_lock also protects their @waiter and
 *                @interrupted
 * @lock:         protects @sess, @inflight, @inflight_bytes, @sendq
 * @sess:         the mount session, or NULL
 * @inflight:     requests queued, running or with their reply on @sendq
 * @inflight_bytes: bytes charged to them (&qtsrv_req.charge)
 * @inflight_wq:  the receive thread waits here while over the in-flight
 *                limits
 * @sendq:        requests whose reply waits to be sent, in order
 * @pending:      requests waiting for a worker (&qtsrv.q_lock)
 * @ready_node:   link in &qtsrv.ready, empty when not on it (q_lock)
 * @running:      workers running requests of this connection (q_lock)
 * @lock_waits:   of those, the ones blocked in a LOCK wait
 *                (qtsrv_lock_wait_begin()); q_lock
 * @hello:        &enum qtsrv_hello_state; receive thread only
 * @frame_mac:    the first leg agreed on tagged frames; receive thread only
 * @cnonce:       the client's authentication nonce; receive thread only
 * @snonce:       our authentication nonce; receive thread only
 * @hello_timeout: kills the connection if HELLO is not done in
 *                %QTSRV_HELLO_TIMEOUT; cancelled (synchronously) by the
 *                receive thread before it lets the connection go
 */
struct qtsrv_conn {
	refcount_t ref;
	struct qtsrv *srv;
	struct qtfs_tconn tc;
	struct list_head node;
	struct task_struct *task;
	unsigned int id;
	char peer[64];
	struct qtfs_trans_peer peer_id;
	struct list_head preauth_node;
	bool authed;
	unsigned long flags;
	u32 max_msg;
	u16 proto_major;
	u16 proto_minor;

	struct mutex send_lock;		/* see above */
	u32 send_off;
	struct work_struct send_work;
	struct xarray reqs;

	spinlock_t lock;		/* see above */
	struct qtsrv_sess *sess;
	u32 inflight;
	u32 inflight_bytes;
	wait_queue_head_t inflight_wq;
	struct list_head sendq;

	struct list_head pending;
	struct list_head ready_node;
	unsigned int running;
	unsigned int lock_waits;

	enum qtsrv_hello_state hello;
	bool frame_mac;
	u8 cnonce[QTFS_AUTH_NONCE_SIZE];
	u8 snonce[QTFS_AUTH_NONCE_SIZE];
	struct delayed_work hello_timeout;
};

/**
 * struct qtsrv_req - one message from a client, until its reply is sent
 * @node:    link in &qtsrv_conn.pending (&qtsrv.q_lock) while it waits for
 *           a worker, then in &qtsrv_conn.sendq (&qtsrv_conn.lock) while
 *           its reply waits to be sent
 * @conn:    connection it came on (referenced)
 * @hdr:     decoded, validated header
 * @payload: @hdr.len - %QTFS_HDR_SIZE bytes (kvmalloc), freed once the
 *           reply is built
 * @charge:  bytes charged to &qtsrv_conn.inflight_bytes: the payload plus
 *           the largest reply it may get, then the reply's size
 * @rsp:     the reply once built: kvmalloc'd, or @rsp_err
 * @rsp_len: its length
 * @waiter:  the worker while it runs this request (qtsrv_req_watch()),
 *           else NULL
 * @interrupted: the client sent INTERRUPT for this request
 * @rsp_err: room for a reply that is only a header, so that answering
 *           with an error never needs memory
 * @tag:     the frame tag that follows the reply on a connection whose
 *           frames are authenticated; made when the reply starts to go out
 * @tag_len: its length, 0 for an untagged frame
 *
 * @waiter and @interrupted are protected by the xa_lock of
 * &qtsrv_conn.reqs; @interrupted may be read with READ_ONCE().
 */
struct qtsrv_req {
	struct list_head node;
	struct qtsrv_conn *conn;
	struct qtfs_msg_hdr hdr;
	void *payload;
	u32 charge;
	void *rsp;
	u32 rsp_len;
	struct task_struct *waiter;
	bool interrupted;
	u8 rsp_err[QTFS_HDR_SIZE];
	u8 tag[QTFS_FRAME_TAG_SIZE];
	u32 tag_len;
};

/* srv.c */
extern unsigned int qtsrv_send_timeout;
void qtsrv_queue_req(struct qtsrv *srv, struct qtsrv_req *req);
bool qtsrv_requeue_req(struct qtsrv *srv, struct qtsrv_req *req);
void qtsrv_unqueue_conn(struct qtsrv *srv, struct qtsrv_conn *conn);
bool qtsrv_lock_wait_begin(struct qtsrv *srv, struct qtsrv_conn *conn);
void qtsrv_lock_wait_end(struct qtsrv *srv, struct qtsrv_conn *conn);

/* peers.c */
int qtsrv_peers_init(void);
int qtsrv_peers_valid(const struct qtsrv_ioc_start *arg);
int qtsrv_peers_start(struct qtsrv *srv, const struct qtsrv_ioc_start *arg);
bool qtsrv_peer_admit(struct qtsrv *srv, struct qtfs_tconn *tc,
		      struct qtfs_trans_peer *id);
void qtsrv_preauth_add(struct qtsrv *srv, struct qtsrv_conn *conn);
int qtsrv_preauth_done(struct qtsrv_conn *conn);
void qtsrv_preauth_forget(struct qtsrv *srv, struct qtsrv_conn *conn);

/* conn.c */
int qtsrv_conn_init(void);
void qtsrv_conn_exit(void);
int qtsrv_listen(struct qtsrv *srv, struct qtsrv_listener *l,
		 const char *trans, const struct qtfs_trans_addr *addr);
void qtsrv_unlisten(struct qtsrv_listener *l);
void qtsrv_conns_shutdown(struct qtsrv *srv);
void qtsrv_reap_work(struct work_struct *work);
void qtsrv_conn_put(struct qtsrv_conn *conn);
void qtsrv_conn_kill(struct qtsrv_conn *conn);
void qtsrv_req_reply(struct qtsrv_req *req, void *rsp, u32 len);
void qtsrv_req_reply_error(struct qtsrv_req *req, int error);
void qtsrv_req_free(struct qtsrv_req *req);
void qtsrv_req_watch(struct qtsrv_req *req);
void qtsrv_req_unwatch(struct qtsrv_req *req);
struct qtsrv_sess *qtsrv_sess_get(struct qtsrv_conn *conn);
void qtsrv_sess_put(struct qtsrv_sess *sess);
int qtsrv_sess_install(struct qtsrv_conn *conn, struct qtsrv_sess *sess);
struct qtsrv_sess *qtsrv_sess_detach(struct qtsrv_conn *conn);

/* handlers.c */
int qtsrv_handlers_init(void);
void qtsrv_handles_uncharge(struct qtsrv_sess *sess, unsigned int nr);
void qtsrv_dispatch(struct qtsrv *srv, struct qtsrv_req *req);
u32 qtsrv_rsp_max(const struct qtsrv_conn *conn, const struct qtfs_msg_hdr *h,
		  void *payload);

/* handlers_lock.c */
struct file;
struct qtsrv_lock_tbl;
void qtsrv_lock_forget_file(struct file *file);
void qtsrv_lock_sess_end(struct qtsrv_sess *sess);

/* whitelist.c */
struct qtsrv_wl;
int qtsrv_wl_set(struct qtsrv *srv,
		 const struct qtsrv_ioc_whitelist __user *uarg);
void qtsrv_wl_release(struct qtsrv *srv);
struct qtsrv_wl *qtsrv_wl_get(struct qtsrv *srv);
void qtsrv_wl_put(struct qtsrv_wl *wl);
bool qtsrv_wl_empty(const struct qtsrv_wl *wl, enum qtsrv_wl_class cls);
int qtsrv_wl_match(const struct qtsrv_wl *wl, enum qtsrv_wl_class cls,
		   const char *path);
long qtsrv_wl_copy_out(const struct qtsrv_wl *wl, void __user *uarg);
int qtsrv_wl_sess_export(struct qtsrv *srv, struct qtsrv_sess *sess,
			 struct qtsrv_export_opts *opts);
int qtsrv_wl_move_ok(const struct qtsrv_wl *wl, const char *src,
		     const char *dst);

#endif /* _QTSRV_H */
