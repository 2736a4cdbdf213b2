// SPDX-License-Identifier: GPL-2.0
/*
 * Who may talk to the server, and how many of them before HELLO.
 *
 * Peer restriction: the engine names the clients it serves when it starts
 * the server (the PEER_CID of its documented command line, --peer), and
 * qtfs_server_allowed_cids adds vsock CIDs at load.  A connection from any
 * other peer is closed right after accept.  With no peer named anywhere,
 * only clients proving qtfs_auth_key in HELLO are served; with no key
 * either, the server refuses to start unless the engine opts in to serving
 * everyone (QTSRV_START_INSECURE), which is logged at every start.
 *
 * Pre-authentication pool: a connection is in &qtsrv.preauth from accept
 * until its HELLO (and the key exchange) is done; only then does it count
 * against qtfs_conn_max_conn.  The pool holds at most
 * qtfs_conn_max_preauth_per_peer connections of one peer and
 * qtfs_conn_max_preauth in all.  A new connection always gets in: when its
 * peer's share is used up, that peer's oldest pre-auth connection is
 * evicted; when the pool is full, the oldest one of the peer holding the
 * most slots.  So connections that never send HELLO cannot keep a real
 * client (which finishes HELLO at once) from mounting, and one peer cannot
 * evict another's connections while it holds fewer slots than that peer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/moduleparam.h>
#include <linux/socket.h>
#include <linux/vm_sockets.h>
#include "qtfs_auth.h"
#include "qtsrv.h"

#define QTSRV_MAX_ALLOWED_CIDS	16

#ifdef QTFS_TEST_MODE
#define QTSRV_HAVE_TCP		true
#else
#define QTSRV_HAVE_TCP		false
#endif

/* Set at load only (0444), read without locking. */
static unsigned int qtsrv_allowed_cids[QTSRV_MAX_ALLOWED_CIDS];
static unsigned int qtsrv_nr_allowed_cids;
module_param_array_named(qtfs_server_allowed_cids, qtsrv_allowed_cids, uint,
			 &qtsrv_nr_allowed_cids, 0444);
MODULE_PARM_DESC(qtfs_server_allowed_cids,
		 "comma-separated vsock CIDs of clients to serve, besides the peers the engine names");

/* CID 0 is the hypervisor's, VMADDR_CID_ANY no CID at all: no client. */
static bool qtsrv_cid_valid(u32 cid)
{
	return cid != VMADDR_CID_HYPERVISOR && cid != VMADDR_CID_ANY;
}

/**
 * qtsrv_peers_init() - check the peer parameters at module load
 *
 * Return: 0, or -EINVAL for a CID list that cannot be meant or a malformed
 * qtfs_auth_key.
 */
int qtsrv_peers_init(void)
{
	unsigned int i;
	int ret;

	ret = qtfs_auth_init();
	if (ret)
		return ret;
	for (i = 0; i < qtsrv_nr_allowed_cids; i++) {
		if (!qtsrv_cid_valid(qtsrv_allowed_cids[i])) {
			pr_err("qtfs_server_allowed_cids: %u is not a peer CID (0 and %u are reserved)\n",
			       qtsrv_allowed_cids[i], VMADDR_CID_ANY);
			return -EINVAL;
		}
	}
	return 0;
}

/* Check one used entry of the start ioctl's peer list. */
static int qtsrv_peer_check(const struct qtsrv_peer *p, unsigned int i)
{
	__be32 ip = (__force __be32)p->addr;

	switch (p->family) {
	case AF_VSOCK:
		if (qtsrv_cid_valid(p->addr))
			return 0;
		pr_err("start: peer %u: CID %u is not a peer CID (0 and %u are reserved)\n",
		       i, p->addr, VMADDR_CID_ANY);
		return -EINVAL;
	case AF_INET:
		/* 0.0.0.0/8 is "this network", never a peer's address */
		if (!(ntohl(ip) >> 24) || ipv4_is_lbcast(ip) ||
		    ipv4_is_multicast(ip)) {
			pr_err("start: peer %u: %pI4 is not a unicast address\n",
			       i, &ip);
			return -EINVAL;
		}
		if (!QTSRV_HAVE_TCP) {
			pr_err("start: peer %u: IPv4 peer %pI4, but this module has no TCP transport (build with QTFS_TEST_MODE=1)\n",
			       i, &ip);
			return -EAFNOSUPPORT;
		}
		return 0;
	default:
		pr_err("start: peer %u: unknown address family %u\n", i,
		       p->family);
		return -EINVAL;
	}
}

static void qtsrv_peer_log(const struct qtfs_trans_peer *p)
{
	__be32 ip = (__force __be32)p->addr;

	if (p->family == AF_VSOCK)
		qtsrv_info("serving vsock peer CID %u\n", p->addr);
	else
		qtsrv_info("serving tcp peer %pI4\n", &ip);
}

/**
 * qtsrv_peers_valid() - check the argument of %QTSRV_IOC_START
 * @arg: the ioctl argument
 *
 * Return: 0, or -EINVAL or -EAFNOSUPPORT (see &struct qtsrv_ioc_start),
 * with a log line naming the bad field.
 */
int qtsrv_peers_valid(const struct qtsrv_ioc_start *arg)
{
	unsigned int i;
	int ret;

	if (arg->flags & ~QTSRV_START_FLAGS) {
		pr_err("start: unknown flags %#x\n",
		       arg->flags & ~QTSRV_START_FLAGS);
		return -EINVAL;
	}
	if (arg->nr_peers > QTSRV_PEERS_MAX) {
		pr_err("start: %u peers, at most %u\n", arg->nr_peers,
		       QTSRV_PEERS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < QTSRV_PEERS_MAX; i++) {
		if (i < arg->nr_peers) {
			ret = qtsrv_peer_check(&arg->peers[i], i);
			if (ret)
				return ret;
		} else if (arg->peers[i].family || arg->peers[i].addr) {
			pr_err("start: peer %u is beyond nr_peers %u but not zero\n",
			       i, arg->nr_peers);
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * qtsrv_peers_start() - take the peer list of a server about to start
 * @srv: server being started; its listeners are not running yet
 * @arg: the ioctl argument, checked by qtsrv_peers_valid()
 *
 * Applies the secure default: with no peer named (here or in
 * qtfs_server_allowed_cids) and no qtfs_auth_key the server starts only
 * with %QTSRV_START_INSECURE, and says so in the log every time.  Caller
 * holds &qtsrv.ctl_lock.
 *
 * Return: 0, or -ENOKEY for a server that would serve anyone without the
 * opt-in.
 */
int qtsrv_peers_start(struct qtsrv *srv, const struct qtsrv_ioc_start *arg)
	__must_hold(&srv->ctl_lock)
{
	unsigned int i;

	lockdep_assert_held(&srv->ctl_lock);
	if (!arg->nr_peers && !qtsrv_nr_allowed_cids && !qtfs_auth_keyed()) {
		if (!(arg->flags & QTSRV_START_INSECURE)) {
			pr_err("refusing to start: no peer named and no qtfs_auth_key, so anyone could connect; name the client (engine PEER_CID or --peer, or qtfs_server_allowed_cids), set qtfs_auth_key, or start the engine with --insecure\n");
			return -ENOKEY;
		}
		pr_warn("INSECURE (engine --insecure): serving every peer that reaches the listeners, unauthenticated, as whatever uid it claims\n");
	} else if (!arg->nr_peers && !qtsrv_nr_allowed_cids) {
		qtsrv_info("serving any peer that proves qtfs_auth_key\n");
	}

	srv->nr_peers = arg->nr_peers;
	for (i = 0; i < arg->nr_peers; i++) {
		srv->peers[i].family = arg->peers[i].family;
		srv->peers[i].addr = arg->peers[i].addr;
		qtsrv_peer_log(&srv->peers[i]);
	}
	for (i = 0; i < qtsrv_nr_allowed_cids; i++)
		qtsrv_info("serving vsock peer CID %u (qtfs_server_allowed_cids)\n",
			   qtsrv_allowed_cids[i]);
	return 0;
}

static bool qtsrv_peer_listed(struct qtsrv *srv,
			      const struct qtfs_trans_peer *id)
{
	unsigned int i;

	for (i = 0; i < srv->nr_peers; i++)
		if (srv->peers[i].family == id->family &&
		    srv->peers[i].addr == id->addr)
			return true;
	if (id->family != AF_VSOCK)
		return false;
	for (i = 0; i < qtsrv_nr_allowed_cids; i++)
		if (qtsrv_allowed_cids[i] == id->addr)
			return true;
	return false;
}

/**
 * qtsrv_peer_admit() - the peer restriction, right after accept
 * @srv: server (running, so its peer list is fixed)
 * @tc:  the accepted connection
 * @id:  set to the peer's identity
 *
 * Logs (ratelimited) why a peer is refused.
 *
 * Return: true if @tc may go on to HELLO.
 */
bool qtsrv_peer_admit(struct qtsrv *srv, struct qtfs_tconn *tc,
		      struct qtfs_trans_peer *id)
{
	__be32 ip;
	int ret;

	ret = tc->ops->peer(tc, id);
	if (ret) {
		qtsrv_warn_rl("refusing a %s peer whose address is unknown: %d\n",
			      tc->ops->name, ret);
		return false;
	}
	if ((!srv->nr_peers && !qtsrv_nr_allowed_cids) ||
	    qtsrv_peer_listed(srv, id))
		return true;
	ip = (__force __be32)id->addr;
	if (id->family == AF_VSOCK)
		qtsrv_warn_rl("refusing vsock peer CID %u: not a listed peer\n",
			      id->addr);
	else
		qtsrv_warn_rl("refusing tcp peer %pI4: not a listed peer\n", &ip);
	return false;
}

static bool qtsrv_peer_same(const struct qtfs_trans_peer *a,
			    const struct qtfs_trans_peer *b)
{
	return a->family == b->family && a->addr == b->addr;
}

/* Pre-auth connections of @id; *@oldest is set to the first of them. */
static unsigned int qtsrv_preauth_count(struct qtsrv *srv,
					const struct qtfs_trans_peer *id,
					struct qtsrv_conn **oldest)
{
	struct qtsrv_conn *c;
	unsigned int n = 0;

	*oldest = NULL;
	list_for_each_entry(c, &srv->preauth, preauth_node) {
		if (!qtsrv_peer_same(&c->peer_id, id))
			continue;
		if (!n++)
			*oldest = c;
	}
	return n;
}

/*
 * The pre-auth connection to evict so that one more of @id fits, or NULL
 * if it fits.  Quadratic in the pool size, which qtfs_conn_max_preauth
 * bounds; it runs only when the pool is full.
 */
static struct qtsrv_conn *qtsrv_preauth_victim(struct qtsrv *srv,
					       const struct qtfs_trans_peer *id)
{
	struct qtsrv_conn *c, *oldest, *victim = NULL;
	unsigned int n, most = 0;

	if (qtsrv_preauth_count(srv, id, &oldest) >=
	    qtsrv_limit(qtsrv_max_preauth_per_peer))
		return oldest;
	if (srv->nr_preauth < qtsrv_limit(qtsrv_max_preauth))
		return NULL;
	list_for_each_entry(c, &srv->preauth, preauth_node) {
		n = qtsrv_preauth_count(srv, &c->peer_id, &oldest);
		if (n > most) {
			most = n;
			victim = oldest;
		}
	}
	return victim;
}

/**
 * qtsrv_preauth_add() - put a new connection into the pre-auth pool
 * @srv:  server
 * @conn: the new connection, not on any list yet
 *
 * Evicts (kills) the pre-auth connections that must make room for it, see
 * the top of this file.  Caller holds &qtsrv.conn_lock.
 */
void qtsrv_preauth_add(struct qtsrv *srv, struct qtsrv_conn *conn)
	__must_hold(&srv->conn_lock)
{
	struct qtsrv_conn *victim;

	lockdep_assert_held(&srv->conn_lock);
	while ((victim = qtsrv_preauth_victim(srv, &conn->peer_id))) {
		qtsrv_warn_rl("conn %u (%s): no HELLO yet and pre-auth slots full, closing\n",
			      victim->id, victim->peer);
		list_del_init(&victim->preauth_node);
		srv->nr_preauth--;
		qtsrv_conn_kill(victim);
	}
	list_add_tail(&conn->preauth_node, &srv->preauth);
	srv->nr_preauth++;
}

/**
 * qtsrv_preauth_done() - move a connection that finished HELLO out of the pool
 * @conn: connection whose HELLO (and key exchange) succeeded
 *
 * Called before the final HELLO reply goes out; on an error the caller
 * answers the HELLO with it and closes the connection.
 *
 * Return: 0, -EUSERS if qtfs_conn_max_conn connections are past HELLO
 * already, -ENOTCONN if @conn was evicted meanwhile.
 */
int qtsrv_preauth_done(struct qtsrv_conn *conn)
{
	unsigned int max_conn = READ_ONCE(qtsrv_max_conn);
	struct qtsrv *srv = conn->srv;
	int ret = 0;

	mutex_lock(&srv->conn_lock);
	if (list_empty(&conn->preauth_node)) {
		ret = -ENOTCONN;
	} else if (srv->nr_authed >= max_conn) {
		ret = -EUSERS;
	} else {
		list_del_init(&conn->preauth_node);
		srv->nr_preauth--;
		srv->nr_authed++;
		conn->authed = true;
	}
	mutex_unlock(&srv->conn_lock);
	if (ret == -EUSERS)
		qtsrv_warn_rl("conn %u (%s): refused: %u connections open (qtfs_conn_max_conn)\n",
			      conn->id, conn->peer, max_conn);
	return ret;
}

/**
 * qtsrv_preauth_forget() - uncount a connection whose receive thread ends
 * @srv:  server
 * @conn: connection leaving &qtsrv.conns
 *
 * Caller holds &qtsrv.conn_lock.
 */
void qtsrv_preauth_forget(struct qtsrv *srv, struct qtsrv_conn *conn)
	__must_hold(&srv->conn_lock)
{
	lockdep_assert_held(&srv->conn_lock);
	if (!list_empty(&conn->preauth_node)) {
		list_del_init(&conn->preauth_node);
		srv->nr_preauth--;
	} else if (conn->authed) {
		srv->nr_authed--;
	}
}
