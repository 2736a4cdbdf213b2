// SPDX-License-Identifier: GPL-2.0
/*
 * One proxied unix socket connection and its link (doc/ipc.md).
 *
 * A connection is a state machine driven by conn_pump(): every event on
 * one of its descriptors runs the pump, which makes all the progress that
 * non-blocking calls allow (flush the link, read a frame, deliver data,
 * read the program's socket) and then watches exactly the descriptors and
 * events that can make more.  So nothing ever blocks, and a side reads
 * only when the buffer its data goes to is empty: that is the whole of
 * the back-pressure.
 *
 * Local side (a program connected through us):
 *   L_REQUEST -> L_DIAL -> L_HELLO [-> L_PROOF] -> L_CONNECT -> RELAY
 * Remote side (the peer's link came in):
 *   R_HELLO [-> R_PROOF] -> R_CONNECT -> R_HELPER -> RELAY
 * An error reply on the way ends in DRAIN: the frame is flushed, then
 * everything is closed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "qt_log.h"
#include "qtfs_path.h"
#include "udsproxyd.h"

/* Ids of the two requests of a link. */
#define UDS_ID_HELLO	1
#define UDS_ID_CONNECT	2

static void conn_pump(struct uds_conn *c);

static const char *conn_side(const struct uds_conn *c)
{
	return c->local ? "local" : "remote";
}

static void conn_unwatch(struct uds_conn *c, int *id, unsigned int *ev)
{
	qt_evloop_del(c->d->loop, *id);
	*id = 0;
	*ev = 0;
}

/* Close everything of @c and free it. */
static void conn_free(struct uds_conn *c)
{
	unsigned int ev;

	conn_unwatch(c, &c->uwatch, &c->uwatch_ev);
	conn_unwatch(c, &c->lwatch, &c->lwatch_ev);
	conn_unwatch(c, &c->hwatch, &ev);
	qt_evloop_del(c->d->loop, c->timer);
	if (c->hfd >= 0)
		close(c->hfd);
	if (c->ufd >= 0)
		close(c->ufd);
	if (c->lfd >= 0)
		close(c->lfd);
	explicit_bzero(&c->fmac, sizeof(c->fmac));
	free(c->rx.buf);
	free(c->tx.buf);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->d->nr_conns--;
	free(c);
}

/* Size of a sun_path, the most a datagram association's address takes. */
#define UDS_SUN_PATH	sizeof(((struct sockaddr_un *)0)->sun_path)

/*
 * Answer the program's LOCAL_CONNECT with @err, and for a datagram
 * association the @len bytes of its address @addr.  A fresh socket always
 * has room for that; if it has not, the program is gone anyway.
 */
static void conn_local_reply(struct uds_conn *c, int err, const void *addr,
			     uint32_t len)
{
	uint8_t buf[QTFS_HDR_SIZE + 4 + UDS_SUN_PATH];
	struct qtfs_buf b;

	qtfs_buf_init(&b, buf, sizeof(buf));
	qtfs_proto_begin(&b, QTFS_UDS_OP_LOCAL_CONNECT, QTFS_HDR_REPLY,
			 c->req_id, err);
	if (addr)
		qtfs_proto_pack(&b, "B", addr, len);
	if (qtfs_proto_end(&b))
		return;
	if (send(c->ufd, buf, b.pos, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)b.pos)
		qt_debug("conn %llu: the program left before its reply",
			 (unsigned long long)c->id);
}

/*
 * End @c because of @err.  Before the relay the program of a local
 * connection gets @err as connect(2)'s errno; after it, both sockets are
 * simply closed without reading what is queued (doc/ipc.md, teardown).
 */
static void conn_end(struct uds_conn *c, int err)
{
	bool proto = err == -EPROTO || err == -EBADMSG;

	if (err == -EOPNOTSUPP && c->ufd >= 0)
		uds_peer_log(QT_LOG_WARN, "conn %llu (%s): the %s program passed file descriptors, which cannot cross hosts: resetting the connection",
			     (unsigned long long)c->id, conn_side(c),
			     c->local ? "local" : "server");
	else if (proto)
		uds_peer_log(QT_LOG_WARN, "conn %llu (%s): %s from %s, closing it",
			     (unsigned long long)c->id, conn_side(c),
			     err == -EBADMSG ? "a frame with a wrong tag" :
			     "a malformed or unexpected frame",
			     c->state == UDS_L_REQUEST ? "the local program" :
			     "the peer");
	else
		qt_debug("conn %llu (%s): closed: %s",
			 (unsigned long long)c->id, conn_side(c),
			 strerror(-err));
	c->d->stats.errors++;
	if (c->local && c->state < UDS_RELAY && c->state != UDS_L_REQUEST)
		conn_local_reply(c, err == -EBADMSG ? -ECONNRESET : err, NULL, 0);
	conn_free(c);
}

static int conn_refuse(struct uds_conn *c, uint16_t op, int err);

/*
 * Setup took too long.  A helper stuck on a hung filesystem is killed and
 * the peer told ETIMEDOUT; anything else is just closed.
 */
static bool conn_timeout(void *ctx)
{
	struct uds_conn *c = ctx;
	unsigned int ev;

	c->timer = 0;
	uds_peer_log(QT_LOG_WARN, "conn %llu (%s): %s timed out",
		     (unsigned long long)c->id, conn_side(c),
		     c->state == UDS_R_HELPER ? "connecting as the caller" :
		     "setting up");
	if (c->state != UDS_R_HELPER) {
		conn_end(c, -ETIMEDOUT);
		return false;
	}
	/* abandon the helper: it closes what it made when it returns */
	conn_unwatch(c, &c->hwatch, &ev);
	close(c->hfd);
	c->hfd = -1;
	c->rx.hdr.id = c->req_id;
	if (conn_refuse(c, QTFS_UDS_OP_CONNECT, -ETIMEDOUT))
		conn_end(c, -ETIMEDOUT);
	else
		conn_pump(c);
	return false;
}

/*
 * May one more connection start: a local one of @uid, or (@local false) a
 * link from the peer?  Besides --max-conns in all, each uid and the
 * peer's links may hold half of it, so that neither a user nor the peer
 * can take every connection from the others.
 */
static bool conn_may_start(const struct uds_daemon *d, bool local,
			   uint32_t uid)
{
	unsigned int share = (d->max_conns + 1) / 2, n = 0;
	const struct uds_conn *c;

	if (d->nr_conns >= d->max_conns)
		return false;
	for (c = d->conns; c; c = c->next)
		n += c->local == local && (!local || c->uid == uid);
	return n < share;
}

static struct uds_conn *conn_new(struct uds_daemon *d, bool local,
				 uint32_t uid)
{
	struct uds_conn *c;

	if (!conn_may_start(d, local, uid))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->rx.buf = malloc(UDS_BUF_SIZE);
	c->tx.buf = malloc(UDS_BUF_SIZE);
	if (!c->rx.buf || !c->tx.buf) {
		free(c->rx.buf);
		free(c->tx.buf);
		free(c);
		return NULL;
	}
	c->d = d;
	c->id = ++d->next_id;
	c->local = local;
	c->uid = uid;
	c->ufd = -1;
	c->lfd = -1;
	c->hfd = -1;
	c->max_msg = QTFS_UDS_MSG_MAX;
	c->rx.need = QTFS_HDR_SIZE;
	c->type = QTFS_UDS_STREAM;
	c->start_ms = uds_now_ms();
	d->stats.conns++;
	c->next = d->conns;
	if (c->next)
		c->next->prev = c;
	d->conns = c;
	d->nr_conns++;
	return c;
}

/* --- frames --------------------------------------------------------- */

/* Queue one frame for the link; the queue must be empty. */
static int conn_send(struct uds_conn *c, uint16_t op, uint16_t flags,
		     uint64_t id, int32_t err, const char *fmt, ...)
{
	struct qtfs_buf b;
	va_list ap;
	int ret;

	if (c->tx.len)
		return -EBUSY;
	qtfs_buf_init(&b, c->tx.buf, c->max_msg);
	qtfs_proto_begin(&b, op, flags, id, err);
	va_start(ap, fmt);
	qtfs_proto_vpack(&b, fmt, ap);
	va_end(ap);
	ret = qtfs_proto_end(&b);
	if (ret)
		return ret;
	c->tx.len = b.pos;
	if (c->tagged) {
		qt_fmac_sign(&c->fmac, c->tx.buf, b.pos, c->tx.buf + b.pos);
		c->tx.len += QTFS_FRAME_TAG_SIZE;
	}
	c->tx.off = 0;
	return 0;
}

/* Write queued link bytes.  Return: 1 progress, 0 none, -errno. */
static int conn_flush(struct uds_conn *c)
{
	ssize_t n;
	int done = 0;

	while (c->tx.off < c->tx.len) {
		n = send(c->lfd, c->tx.buf + c->tx.off, c->tx.len - c->tx.off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? done : -ECONNRESET;
		c->tx.off += n;
		done = 1;
	}
	c->tx.len = 0;
	c->tx.off = 0;
	return done;
}

static void conn_rx_reset(struct uds_conn *c)
{
	c->rx.have = 0;
	c->rx.need = QTFS_HDR_SIZE;
	c->rx.off = 0;
}

/* Close the descriptors an SCM_RIGHTS message @cm installed here. */
static void conn_close_rights(struct cmsghdr *cm)
{
	size_t i;
	int fd;

	for (i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
		memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		close(fd);
	}
}

/*
 * Descriptors a program passes (SCM_RIGHTS) cannot cross hosts.  A
 * preloaded program's sendmsg() refuses them with EOPNOTSUPP; should any
 * come anyway, the connection is reset rather than the descriptors
 * dropped.  So every read of the program's socket peeks first: the
 * message that carries them stays queued, and closing our end with it
 * unread makes the program's next read fail with ECONNRESET (the kernel's
 * rule for a unix socket closed on unread data).  Descriptors the peek
 * installed here are closed at once.
 *
 * Return: 0 none in the next @len bytes, -EOPNOTSUPP, or -errno.
 */
static int conn_peek_fds(struct uds_conn *c, void *buf, size_t len,
			 int flags, ssize_t *n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(16 * sizeof(int))];
	} u;
	struct iovec iov = { buf, len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	bool fds = false;

	do {
		*n = recvmsg(c->ufd, &mh, flags | MSG_PEEK | MSG_CMSG_CLOEXEC);
	} while (*n < 0 && errno == EINTR);
	if (*n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = true;
		conn_close_rights(cm);
	}
	return fds || (mh.msg_flags & MSG_CTRUNC) ? -EOPNOTSUPP : 0;
}

/*
 * recv() from @fd; from the program's socket only once conn_peek_fds()
 * found no descriptors in what it would read.  Return: bytes, or -errno.
 */
static ssize_t conn_recv(struct uds_conn *c, int fd, void *buf, size_t len,
			 int flags)
{
	ssize_t n;
	int ret;

	if (fd == c->ufd) {
		ret = conn_peek_fds(c, buf, len, flags, &n);
		if (ret)
			return ret;
		/* a seqpacket's length (MSG_TRUNC), or end of file */
		if (n <= 0 && !(flags & MSG_TRUNC))
			return n;
		if ((size_t)n < len)
			len = n;
	}
	do {
		n = recv(fd, buf, len, flags);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/*
 * Read a frame from @fd into @c->rx, header checks first: qtfs's header
 * rules, at most @max bytes, then the tag if frames are tagged.
 * Return: 1 a whole frame is in, 0 not yet, -errno (-ECONNRESET for end
 * of file, -EPROTO, -EBADMSG).
 */
static int conn_rx(struct uds_conn *c, int fd, uint32_t max, bool tagged)
{
	struct uds_rx *rx = &c->rx;
	ssize_t n;

	while (rx->have < rx->need) {
		n = conn_recv(c, fd, rx->buf + rx->have, rx->need - rx->have,
			      MSG_DONTWAIT);
		if (n == -EOPNOTSUPP)
			return n;
		if (n < 0)
			return n == -EAGAIN ? 0 : -ECONNRESET;
		if (n == 0)
			return -ECONNRESET;
		rx->have += n;
		if (rx->have != QTFS_HDR_SIZE || rx->need != QTFS_HDR_SIZE)
			continue;
		if (qtfs_proto_decode_hdr(rx->buf, &rx->hdr) ||
		    rx->hdr.len > max)
			return -EPROTO;
		rx->need = rx->hdr.len + (tagged ? QTFS_FRAME_TAG_SIZE : 0);
	}
	if (tagged && !qt_fmac_check(&c->fmac, rx->buf, rx->hdr.len,
				     rx->buf + rx->hdr.len))
		return -EBADMSG;
	return 1;
}

/* Is the frame in @c->rx the message @op of kind @reply with id @id? */
static bool conn_rx_is(const struct uds_conn *c, uint16_t op, bool reply,
		       uint64_t id)
{
	const struct qtfs_msg_hdr *h = &c->rx.hdr;

	return h->opcode == op && !!(h->flags & QTFS_HDR_REPLY) == reply &&
	       h->id == id;
}

/*
 * Decode the payload of the frame in @c->rx with @fmt; it must use up the
 * payload exactly.  An error reply has no payload.  Return: 0 or -EPROTO.
 */
static int conn_args(struct uds_conn *c, const char *fmt, ...)
{
	uint32_t plen = c->rx.hdr.len - QTFS_HDR_SIZE, min, max;
	struct qtfs_buf b;
	va_list ap;
	int ret;

	if (qtfs_fmt_bounds(fmt, &min, &max) || plen < min || plen > max)
		return -EPROTO;
	qtfs_buf_init(&b, c->rx.buf + QTFS_HDR_SIZE, plen);
	va_start(ap, fmt);
	ret = qtfs_proto_vunpack(&b, fmt, ap);
	va_end(ap);
	return ret || b.pos != plen ? -EPROTO : 0;
}

/* --- watches -------------------------------------------------------- */

static bool conn_event(void *ctx, int fd, unsigned int events)
{
	(void)fd;
	(void)events;
	conn_pump(ctx);
	return true;
}

/* Watch @fd for exactly @want (nothing: no watch at all). */
static void conn_watch_fd(struct uds_conn *c, int fd, int *id,
			  unsigned int *cur, unsigned int want)
{
	if (*id && *cur == want)
		return;
	conn_unwatch(c, id, cur);
	if (fd < 0 || !want)
		return;
	*id = qt_evloop_add_fd(c->d->loop, fd, want, conn_event, c);
	if (*id < 0)
		*id = 0;
	else
		*cur = want;
}

/* Is a DATA frame from the link still being written to the program? */
static bool conn_rx_pending(const struct uds_conn *c)
{
	return c->state == UDS_RELAY && c->rx.have && c->rx.have == c->rx.need;
}

static void conn_watch(struct uds_conn *c)
{
	unsigned int u = 0, l = 0;

	if (c->tx.len || c->state == UDS_L_DIAL)
		l |= QT_EV_OUT;
	switch (c->state) {
	case UDS_L_REQUEST:
		u |= QT_EV_IN;
		break;
	case UDS_L_HELLO:
	case UDS_L_PROOF:
	case UDS_L_CONNECT:
	case UDS_R_HELLO:
	case UDS_R_PROOF:
	case UDS_R_CONNECT:
		l |= QT_EV_IN;
		break;
	case UDS_RELAY:
		if (!c->u_eof && !c->tx.len)
			u |= QT_EV_IN;
		if (conn_rx_pending(c))
			u |= QT_EV_OUT;
		else
			l |= QT_EV_IN;
		break;
	default:
		break;
	}
	conn_watch_fd(c, c->ufd, &c->uwatch, &c->uwatch_ev, u);
	conn_watch_fd(c, c->lfd, &c->lwatch, &c->lwatch_ev, l);
}

/* --- the local side: from LOCAL_CONNECT to the relay ---------------- */

/*
 * The caller's identity, as the kernel knows it: SO_PEERCRED and the
 * first %QTFS_NGROUPS_MAX of SO_PEERGROUPS.
 */
static int conn_peer_creds(struct uds_conn *c)
{
	socklen_t len = sizeof(struct ucred);
	gid_t *groups = NULL, *g;
	struct ucred uc;
	uint32_t i;
	int ret;

	if (getsockopt(c->ufd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		return -errno;
	c->creds.fsuid = uc.uid;
	c->creds.fsgid = uc.gid;
	/* ERANGE tells the size the groups need */
	len = 0;
	while ((ret = getsockopt(c->ufd, SOL_SOCKET, SO_PEERGROUPS, groups,
				 &len)) && errno == ERANGE) {
		g = realloc(groups, len);
		if (!g) {
			free(groups);
			return -ENOMEM;
		}
		groups = g;
	}
	if (ret) {
		ret = -errno;
		free(groups);
		return ret;
	}
	c->creds.ngroups = len / sizeof(gid_t);
	if (c->creds.ngroups > QTFS_NGROUPS_MAX)
		c->creds.ngroups = QTFS_NGROUPS_MAX;
	for (i = 0; i < c->creds.ngroups; i++)
		c->creds.groups[i] = groups[i];
	free(groups);
	return 0;
}

static int conn_hello(struct uds_conn *c, uint16_t flags, uint64_t id,
		      uint32_t features, const void *blob, uint32_t len)
{
	return conn_send(c, QTFS_UDS_OP_HELLO, flags, id, 0, "dhhddB",
			 QTFS_UDS_MAGIC, QTFS_UDS_MAJOR, QTFS_UDS_MINOR,
			 features, QTFS_UDS_MSG_MAX, blob, len);
}

static uint32_t conn_features(const struct uds_conn *c)
{
	if (!c->d->key.len)
		return 0;
	return QTFS_FEAT_AUTH | (c->tcp ? QTFS_FEAT_FRAME_MAC : 0);
}

/* The link is up: open the exchange. */
static int conn_dialled(struct uds_conn *c)
{
	int one = 1, ret;

	if (c->tcp)
		setsockopt(c->lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->d->key.len) {
		ret = qt_auth_nonce(c->cnonce);
		if (ret)
			return ret;
	}
	c->state = UDS_L_HELLO;
	return conn_hello(c, 0, UDS_ID_HELLO, conn_features(c),
			  c->d->key.len ? c->cnonce : NULL,
			  c->d->key.len ? sizeof(c->cnonce) : 0);
}

static int conn_dial(struct uds_conn *c)
{
	const struct uds_addr *p = &c->d->peer;
	struct sockaddr_vm svm = {
		.svm_family = AF_VSOCK, .svm_cid = p->addr,
		.svm_port = p->port,
	};
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_addr.s_addr = p->addr,
		.sin_port = htons(p->port),
	};
	struct sockaddr *sa = (struct sockaddr *)&svm;
	socklen_t len = sizeof(svm);

	c->tcp = p->family == AF_INET;
	if (c->tcp) {
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	}
	c->lfd = socket(p->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (c->lfd < 0)
		return -errno;
	if (!connect(c->lfd, sa, len))
		return conn_dialled(c);
	if (errno != EINPROGRESS)
		return -errno;
	c->state = UDS_L_DIAL;
	return 0;
}

/* L_DIAL: has the link's connect finished?  Return: 1, 0 or -errno. */
static int conn_dial_done(struct uds_conn *c)
{
	struct pollfd pfd = { .fd = c->lfd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0, ret;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (getsockopt(c->lfd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	if (err)
		return -err;
	ret = conn_dialled(c);
	return ret ?: 1;
}

/* L_REQUEST: the program's LOCAL_CONNECT is in. */
static int conn_local_request(struct uds_conn *c)
{
	uint32_t magic, type;
	const char *path;
	uint16_t major;
	int ret;

	if (!conn_rx_is(c, QTFS_UDS_OP_LOCAL_CONNECT, false, c->rx.hdr.id) ||
	    conn_args(c, "dhds", &magic, &major, &type, &path))
		return -EPROTO;
	c->req_id = c->rx.hdr.id;
	/* from here on the program gets an errno in a reply */
	c->state = UDS_L_DIAL;
	if (magic != QTFS_UDS_MAGIC || major != QTFS_UDS_MAJOR)
		return -EPROTO;
	/* datagram associations are asked for on the seqpacket socket */
	if ((type != c->type && (type != QTFS_UDS_DGRAM ||
				 c->type != QTFS_UDS_SEQPACKET)) ||
	    !qtfs_path_is_normal(path, strlen(path)))
		return -EINVAL;
	c->type = type;
	strcpy(c->path, path);
	conn_rx_reset(c);
	ret = conn_peer_creds(c);
	return ret ?: conn_dial(c);
}

/*
 * Check a HELLO's magic, version and size, and note whether the peer's
 * minor carries the server program's identity back (this daemon's does).
 * Return: 0, or -EPROTO with a log line for a peer that speaks something
 * else.
 */
static int conn_hello_check(struct uds_conn *c, uint32_t magic,
			    uint16_t major, uint16_t minor, uint32_t max)
{
	if (magic != QTFS_UDS_MAGIC) {
		uds_peer_log(QT_LOG_WARN, "conn %llu (%s): the peer is not udsproxyd (magic %#x)",
			     (unsigned long long)c->id, conn_side(c), magic);
		return -EPROTO;
	}
	if (major != QTFS_UDS_MAJOR) {
		uds_peer_log(QT_LOG_WARN, "conn %llu (%s): the peer speaks udsproxyd protocol major %u, this daemon major %u: refusing it (run the same major on both hosts)",
			     (unsigned long long)c->id, conn_side(c), major,
			     QTFS_UDS_MAJOR);
		return -EPROTO;
	}
	if (max < QTFS_UDS_MSG_MIN)
		return -EPROTO;
	if (max < c->max_msg)
		c->max_msg = max;
	c->peer_creds = minor >= QTFS_UDS_MINOR_PEER_CREDS;
	return 0;
}

static int conn_send_connect(struct uds_conn *c)
{
	c->state = UDS_L_CONNECT;
	return conn_send(c, QTFS_UDS_OP_CONNECT, 0, UDS_ID_CONNECT, 0, "Cds",
			 &c->creds, c->type, c->path);
}

/* L_HELLO, L_PROOF: the peer's answers to our HELLOs. */
static int conn_local_hello(struct uds_conn *c)
{
	uint8_t proof[QTFS_AUTH_MAC_SIZE];
	uint32_t magic, features, max, len;
	bool keyed = c->d->key.len;
	uint16_t major, minor;
	const uint8_t *blob;
	int ret;

	if (!conn_rx_is(c, QTFS_UDS_OP_HELLO, true, UDS_ID_HELLO))
		return -EPROTO;
	if (c->rx.hdr.error)
		return conn_args(c, "") ?: c->rx.hdr.error;
	ret = conn_args(c, "dhhddB", &magic, &major, &minor, &features, &max,
			&blob, &len);
	if (!ret)
		ret = conn_hello_check(c, magic, major, minor, max);
	if (ret)
		return ret;
	if (c->state == UDS_L_PROOF) {
		/* the last answer: the peer accepted our proof */
		if (len)
			return -EPROTO;
		if (c->tcp) {
			qt_fmac_init(&c->fmac, &c->d->key,
				     QTFS_UDS_LABEL_SESSION, c->cnonce,
				     c->snonce, false);
			c->tagged = true;
		}
		return conn_send_connect(c);
	}
	if (!keyed)
		return features & QTFS_FEAT_AUTH ? -EACCES :
		       len ? -EPROTO : conn_send_connect(c);
	/* a keyed peer must prove the key first, and tag frames on TCP */
	if (features != conn_features(c) ||
	    len != QTFS_AUTH_NONCE_SIZE + QTFS_AUTH_MAC_SIZE) {
		uds_peer_log(QT_LOG_WARN, "conn %llu (local): the peer has no key, refusing it",
			     (unsigned long long)c->id);
		return -EACCES;
	}
	memcpy(c->snonce, blob, QTFS_AUTH_NONCE_SIZE);
	if (!qt_auth_check(&c->d->key, QTFS_UDS_LABEL_SERVER, c->cnonce,
			   c->snonce, blob + QTFS_AUTH_NONCE_SIZE)) {
		uds_peer_log(QT_LOG_WARN, "conn %llu (local): the peer does not prove our key, refusing it",
			     (unsigned long long)c->id);
		return -EACCES;
	}
	qt_auth_mac(&c->d->key, QTFS_UDS_LABEL_CLIENT, c->cnonce, c->snonce,
		    proof);
	c->state = UDS_L_PROOF;
	ret = conn_hello(c, 0, UDS_ID_HELLO, conn_features(c), proof,
			 sizeof(proof));
	explicit_bzero(proof, sizeof(proof));
	return ret;
}

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t uds_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A datagram association that carried nothing for --dgram-idle ends. */
static bool conn_dgram_idle(void *ctx)
{
	struct uds_conn *c = ctx;

	if (uds_now_ms() - c->active_ms < c->d->dgram_idle_ms)
		return true;
	qt_debug("conn %llu (%s): datagram association idle, closing it",
		 (unsigned long long)c->id, conn_side(c));
	c->timer = 0;
	conn_free(c);
	return false;
}

/*
 * The relay starts: a datagram association gets its idle timer, which
 * looks four times per --dgram-idle, so it ends at most a quarter late.
 */
static void conn_relay_start(struct uds_conn *c)
{
	unsigned int period = c->d->dgram_idle_ms / 4;

	c->state = UDS_RELAY;
	qt_evloop_del(c->d->loop, c->timer);
	c->timer = 0;
	if (c->type != QTFS_UDS_DGRAM)
		return;
	c->active_ms = uds_now_ms();
	c->timer = qt_evloop_add_timer(c->d->loop, period ?: 1,
				       conn_dgram_idle, c);
	if (c->timer < 0)
		c->timer = 0;
}

/*
 * A datagram association's socket on the local side: an abstract,
 * automatic name that the reply tells the program, and SO_PASSCRED so
 * that each datagram says who sent it.  It replaces the program's request
 * socket, which closes.
 */
static int conn_dgram_open(struct uds_conn *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sun);
	int s, one = 1, ret;

	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sun, sizeof(sa_family_t)) ||
	    setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    getsockname(s, (struct sockaddr *)&sun, &len)) {
		ret = -errno;
		close(s);
		return ret;
	}
	conn_local_reply(c, 0, sun.sun_path,
			 len - offsetof(struct sockaddr_un, sun_path));
	conn_unwatch(c, &c->uwatch, &c->uwatch_ev);
	close(c->ufd);
	c->ufd = s;
	return 0;
}

/*
 * Does a successful CONNECT reply carry the server program's identity
 * (2.1 on both sides, a connection)?  A datagram's comes with each one.
 */
static bool conn_reply_creds(const struct uds_conn *c)
{
	return c->peer_creds && c->type != QTFS_UDS_DGRAM;
}

/* An identity from the wire: (uid_t)-1 is no one, as for setresuid(). */
static bool conn_id_valid(uint32_t uid, uint32_t gid)
{
	return uid != (uint32_t)-1 && gid != (uint32_t)-1;
}

/* L_CONNECT: the remote side's answer; the program gets it. */
static int conn_local_connected(struct uds_conn *c)
{
	int ret;

	if (!conn_rx_is(c, QTFS_UDS_OP_CONNECT, true, UDS_ID_CONNECT))
		return -EPROTO;
	ret = c->rx.hdr.error;
	if (ret)
		return conn_args(c, "") ?: ret;
	if (!conn_reply_creds(c)) {
		if (conn_args(c, ""))
			return -EPROTO;
	} else if (conn_args(c, "dd", &c->back_uid, &c->back_gid) ||
		   !conn_id_valid(c->back_uid, c->back_gid)) {
		return -EPROTO;
	} else {
		c->back_set = true;
	}
	if (c->type == QTFS_UDS_DGRAM)
		ret = conn_dgram_open(c);
	else
		conn_local_reply(c, 0, NULL, 0);
	if (ret)
		return ret;
	conn_relay_start(c);
	qt_debug("conn %llu (local): uid %u connected to %s",
		 (unsigned long long)c->id, c->creds.fsuid, c->path);
	return 0;
}

/* --- the remote side: from the peer's HELLO to the relay ------------ */

/*
 * Answer the peer's request with @err and close after it; the request
 * failed, the link did not.
 */
static int conn_refuse(struct uds_conn *c, uint16_t op, int err)
{
	int ret = conn_send(c, op, QTFS_HDR_REPLY, c->rx.hdr.id, err, "");

	c->d->stats.errors++;
	c->state = UDS_DRAIN;
	return ret;
}

/* R_HELLO, R_PROOF */
static int conn_remote_hello(struct uds_conn *c)
{
	uint8_t reply[QTFS_AUTH_NONCE_SIZE + QTFS_AUTH_MAC_SIZE];
	uint32_t magic, features, max, len;
	bool keyed = c->d->key.len;
	uint16_t major, minor;
	const uint8_t *blob;
	uint64_t id = c->rx.hdr.id;
	int ret;

	if (!conn_rx_is(c, QTFS_UDS_OP_HELLO, false, UDS_ID_HELLO) ||
	    conn_args(c, "dhhddB", &magic, &major, &minor, &features, &max,
		      &blob, &len))
		return -EPROTO;
	if (conn_hello_check(c, magic, major, minor, max))
		return conn_refuse(c, QTFS_UDS_OP_HELLO, -EPROTONOSUPPORT);
	if (c->state == UDS_R_PROOF) {
		if (len != QTFS_AUTH_MAC_SIZE || features != conn_features(c))
			return -EPROTO;
		if (!qt_auth_check(&c->d->key, QTFS_UDS_LABEL_CLIENT,
				   c->cnonce, c->snonce, blob)) {
			uds_peer_log(QT_LOG_WARN, "conn %llu (remote): the peer does not prove the key, refusing it",
				     (unsigned long long)c->id);
			return conn_refuse(c, QTFS_UDS_OP_HELLO, -EACCES);
		}
		ret = conn_hello(c, QTFS_HDR_REPLY, id, features, NULL, 0);
		if (!ret && c->tcp) {
			qt_fmac_init(&c->fmac, &c->d->key,
				     QTFS_UDS_LABEL_SESSION, c->cnonce,
				     c->snonce, true);
			c->tagged = true;
		}
		c->state = UDS_R_CONNECT;
		return ret;
	}
	if (!keyed) {
		if (features & QTFS_FEAT_AUTH) {
			uds_peer_log(QT_LOG_WARN, "conn %llu (remote): the peer has a key and we have none, refusing it",
				     (unsigned long long)c->id);
			return conn_refuse(c, QTFS_UDS_OP_HELLO, -EACCES);
		}
		if (len)
			return -EPROTO;
		c->state = UDS_R_CONNECT;
		return conn_hello(c, QTFS_HDR_REPLY, id, 0, NULL, 0);
	}
	if (features != conn_features(c)) {
		uds_peer_log(QT_LOG_WARN, "conn %llu (remote): the peer offers no key%s, refusing it",
			     (unsigned long long)c->id,
			     c->tcp ? " or no frame tags" : "");
		return conn_refuse(c, QTFS_UDS_OP_HELLO, -EACCES);
	}
	if (len != QTFS_AUTH_NONCE_SIZE)
		return -EPROTO;
	memcpy(c->cnonce, blob, QTFS_AUTH_NONCE_SIZE);
	ret = qt_auth_nonce(c->snonce);
	if (ret)
		return ret;
	memcpy(reply, c->snonce, QTFS_AUTH_NONCE_SIZE);
	qt_auth_mac(&c->d->key, QTFS_UDS_LABEL_SERVER, c->cnonce, c->snonce,
		    reply + QTFS_AUTH_NONCE_SIZE);
	c->state = UDS_R_PROOF;
	return conn_hello(c, QTFS_HDR_REPLY, id, features, reply,
			  sizeof(reply));
}

static bool conn_helper_event(void *ctx, int fd, unsigned int events);

/* R_CONNECT: check the request, then let a helper connect as the caller. */
static int conn_remote_connect(struct uds_conn *c)
{
	const struct qtsrv_wl_entry *mnt;
	struct uds_helper_req req = {};
	const char *path;
	int ret;

	if (!conn_rx_is(c, QTFS_UDS_OP_CONNECT, false, UDS_ID_CONNECT) ||
	    conn_args(c, "Cds", &c->creds, &c->type, &path))
		return -EPROTO;
	if ((c->type != QTFS_UDS_STREAM && c->type != QTFS_UDS_SEQPACKET &&
	     c->type != QTFS_UDS_DGRAM) ||
	    !qtfs_path_is_normal(path, strlen(path)))
		return conn_refuse(c, QTFS_UDS_OP_CONNECT, -EINVAL);
	strcpy(c->path, path);
	mnt = qtsrv_wl_match(&c->d->wl, QTSRV_WL_MOUNT, c->path);
	if (!mnt || !qtsrv_wl_match(&c->d->wl, QT_WL_UDSCONNECT, c->path)) {
		uds_peer_log(QT_LOG_INFO, "conn %llu (remote): %s is not in %s of the whitelist",
			     (unsigned long long)c->id, c->path,
			     mnt ? "[Udsconnect]" : "[Mount]");
		return conn_refuse(c, QTFS_UDS_OP_CONNECT, -EPERM);
	}
	ret = uds_squash(&mnt->opts, &c->creds);
	if (ret)
		return conn_refuse(c, QTFS_UDS_OP_CONNECT, ret);
	/* from here on the caller is who the server program sees */
	req.creds = c->creds;
	req.export = mnt->path;
	req.path = c->path;
	req.type = c->type;
	req.wl = &c->d->wl;
	ret = uds_helper_start(c->d, &req, &c->hfd);
	if (ret)
		return conn_refuse(c, QTFS_UDS_OP_CONNECT, ret);
	c->hwatch = qt_evloop_add_fd(c->d->loop, c->hfd, QT_EV_IN,
				     conn_helper_event, c);
	if (c->hwatch < 0) {
		c->hwatch = 0;
		return conn_refuse(c, QTFS_UDS_OP_CONNECT, -ENOMEM);
	}
	qt_evloop_del(c->d->loop, c->timer);
	c->timer = qt_evloop_add_timer(c->d->loop, UDS_HELPER_TIMEOUT_MS,
				       conn_timeout, c);
	c->req_id = c->rx.hdr.id;
	c->state = UDS_R_HELPER;
	return 0;
}

/*
 * The helper connected: answer CONNECT, with the server program's
 * identity (SO_PEERCRED of the connection) for a 2.1 peer.  A datagram
 * socket has no peer credentials: SO_PASSCRED makes each answer say who
 * sent it instead, and that travels with it.
 */
static int conn_remote_connected(struct uds_conn *c)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred uc;
	int one = 1;

	if (c->type == QTFS_UDS_DGRAM) {
		if (setsockopt(c->ufd, SOL_SOCKET, SO_PASSCRED, &one,
			       sizeof(one)))
			return -errno;
	} else if (conn_reply_creds(c)) {
		if (getsockopt(c->ufd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
			return -errno;
		return conn_send(c, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY,
				 c->req_id, 0, "dd", uc.uid, uc.gid);
	}
	return conn_send(c, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY, c->req_id, 0,
			 "");
}

/* The helper answered (or died). */
static bool conn_helper_event(void *ctx, int fd, unsigned int events)
{
	struct uds_conn *c = ctx;
	int ret, sock = -1;

	(void)events;
	ret = uds_helper_result(fd, &sock);
	c->hwatch = 0;
	close(c->hfd);
	c->hfd = -1;
	qt_evloop_del(c->d->loop, c->timer);
	c->timer = 0;
	c->rx.hdr.id = c->req_id;
	if (ret) {
		qt_debug("conn %llu (remote): connect to %s as uid %u: %s",
			 (unsigned long long)c->id, c->path, c->creds.fsuid,
			 strerror(-ret));
		ret = conn_refuse(c, QTFS_UDS_OP_CONNECT, ret);
	} else {
		c->ufd = sock;
		conn_relay_start(c);
		ret = conn_remote_connected(c);
		qt_debug("conn %llu (remote): uid %u connected to %s",
			 (unsigned long long)c->id, c->creds.fsuid, c->path);
	}
	conn_rx_reset(c);
	if (ret)
		conn_end(c, ret);
	else
		conn_pump(c);
	return false;
}

/* --- the relay ------------------------------------------------------ */

/*
 * recv() returned 0: end of file, or on a seqpacket socket maybe an empty
 * message.  The peer's shutdown is known at once (POLLRDHUP), ahead of
 * messages still queued, so an empty message sent right before the end
 * is taken for the end.
 */
static bool conn_is_eof(struct uds_conn *c)
{
	struct pollfd p = { .fd = c->ufd, .events = POLLRDHUP };

	if (c->type != QTFS_UDS_SEQPACKET)
		return true;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

/* Queue the DATA frame built in @c->tx.buf by @b, blob @p of @n bytes. */
static int conn_queue_data(struct uds_conn *c, struct qtfs_buf *b, void *p,
			   uint32_t n)
{
	qtfs_buf_trim_blob(b, p, n);
	if (qtfs_proto_end(b))
		return -EMSGSIZE;
	c->bytes_out += n;
	c->d->stats.bytes_out += n;
	c->tx.len = b->pos;
	c->tx.off = 0;
	if (c->tagged) {
		qt_fmac_sign(&c->fmac, c->tx.buf, b->pos, c->tx.buf + b->pos);
		c->tx.len += QTFS_FRAME_TAG_SIZE;
	}
	return 1;
}

/*
 * Why a datagram read from the program cannot travel, or NULL: it passed
 * descriptors, came from someone other than the association's caller
 * (local side: its socket is reachable by anyone), came without its
 * sender's credentials (remote side, which passes them on), or is too
 * large.  Descriptors that came are closed.  @uc: the sender.
 */
static const char *conn_dgram_check(struct uds_conn *c, struct msghdr *mh,
				    ssize_t n, uint32_t chunk,
				    struct ucred *uc)
{
	bool fds = false, creds = false, mine;
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(*uc))) {
			memcpy(uc, CMSG_DATA(cm), sizeof(*uc));
			creds = true;
		} else if (cm->cmsg_type == SCM_RIGHTS) {
			fds = true;
			conn_close_rights(cm);
		}
	}
	if (fds || (mh->msg_flags & MSG_CTRUNC))
		return "passing file descriptors, which cannot cross hosts";
	mine = creds && uc->uid == c->creds.fsuid &&
	       uc->gid == c->creds.fsgid;
	if (c->local && !mine)
		return "from another user than the association's";
	if (!c->local && c->peer_creds && !creds)
		return "without its sender's credentials";
	if ((size_t)n > chunk)
		return "larger than a DATA frame";
	return NULL;
}

/*
 * One datagram of the program into one DATA frame.  One that cannot
 * travel is dropped with a log line: a datagram socket has no connection
 * to reset.  The local side connects its socket to the program's once
 * the first datagram tells its address: replies then have somewhere to
 * go, and the kernel takes datagrams from that socket only.
 */
static int conn_dgram_read(struct uds_conn *c, uint32_t chunk)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(16 * sizeof(int))];
	} u;
	struct sockaddr_un from;
	struct iovec iov;
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct ucred uc;
	const char *why;
	struct qtfs_buf b, ib;
	uint8_t *p, *id = NULL;
	ssize_t n;

	qtfs_buf_init(&b, c->tx.buf, c->max_msg);
	qtfs_proto_begin(&b, QTFS_UDS_OP_DATA, 0, 0, 0);
	/* room for the answer's sender, filled in once it is known */
	if (!c->local && c->peer_creds)
		id = qtfs_buf_push(&b, 2 * sizeof(__le32));
	p = qtfs_buf_push_blob(&b, chunk);
	if (!p)
		return -EMSGSIZE;
	iov.iov_base = p;
	iov.iov_len = chunk;
	do {
		n = recvmsg(c->ufd, &mh, MSG_DONTWAIT | MSG_TRUNC |
			    MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	c->active_ms = uds_now_ms();
	why = conn_dgram_check(c, &mh, n, chunk, &uc);
	if (why) {
		c->d->stats.dropped++;
		uds_peer_log(QT_LOG_WARN, "conn %llu (%s): dropping a datagram %s",
			     (unsigned long long)c->id, conn_side(c), why);
		return 1;
	}
	if (c->local && !c->dg_peer &&
	    mh.msg_namelen > offsetof(struct sockaddr_un, sun_path) &&
	    !connect(c->ufd, (struct sockaddr *)&from, mh.msg_namelen))
		c->dg_peer = true;
	if (id) {
		qtfs_buf_init(&ib, id, 2 * sizeof(__le32));
		qtfs_proto_pack(&ib, "dd", uc.uid, uc.gid);
	}
	return conn_queue_data(c, &b, p, n);
}

/* The program's bytes (or message) into one DATA frame, or SHUTDOWN. */
static int conn_relay_read(struct uds_conn *c)
{
	uint32_t chunk = c->max_msg - QTFS_HDR_SIZE - sizeof(__le32);
	struct qtfs_buf b;
	uint8_t *p;
	ssize_t n;
	int flags = MSG_DONTWAIT;

	/* an answer's sender travels ahead of it */
	if (c->type == QTFS_UDS_DGRAM && !c->local && c->peer_creds)
		chunk -= 2 * sizeof(__le32);
	if (chunk > QTFS_UDS_DATA_MAX)
		chunk = QTFS_UDS_DATA_MAX;
	if (c->type == QTFS_UDS_DGRAM)
		return conn_dgram_read(c, chunk);
	qtfs_buf_init(&b, c->tx.buf, c->max_msg);
	qtfs_proto_begin(&b, QTFS_UDS_OP_DATA, 0, 0, 0);
	p = qtfs_buf_push_blob(&b, chunk);
	if (!p)
		return -EMSGSIZE;
	if (c->type == QTFS_UDS_SEQPACKET)
		flags |= MSG_TRUNC;
	n = conn_recv(c, c->ufd, p, chunk, flags);
	if (n < 0)
		return n == -EAGAIN ? 0 : n;
	if ((size_t)n > chunk)
		return -EMSGSIZE;
	if (!n && !conn_is_eof(c)) {
		/* an empty message: it travels too */
	} else if (!n) {
		c->u_eof = true;
		return conn_send(c, QTFS_UDS_OP_SHUTDOWN, 0, 0, 0, "") ?: 1;
	}
	return conn_queue_data(c, &b, p, n);
}

/* A frame of the relay came from the link. */
static int conn_relay_frame(struct uds_conn *c)
{
	const void *data;
	uint32_t len;

	/* a datagram association has no end of file */
	if (c->rx.hdr.opcode == QTFS_UDS_OP_SHUTDOWN &&
	    c->type != QTFS_UDS_DGRAM &&
	    conn_rx_is(c, QTFS_UDS_OP_SHUTDOWN, false, 0) &&
	    !conn_args(c, "") && !c->l_eof) {
		c->l_eof = true;
		conn_rx_reset(c);
		return 1;
	}
	if (!conn_rx_is(c, QTFS_UDS_OP_DATA, false, 0) || c->l_eof)
		return -EPROTO;
	if (c->type == QTFS_UDS_DGRAM && c->local && c->peer_creds) {
		if (conn_args(c, "ddB", &c->back_uid, &c->back_gid, &data,
			      &len) ||
		    !conn_id_valid(c->back_uid, c->back_gid))
			return -EPROTO;
		c->back_set = true;
	} else if (conn_args(c, "B", &data, &len)) {
		return -EPROTO;
	}
	if (len > QTFS_UDS_DATA_MAX)
		return -EPROTO;
	c->bytes_in += len;
	c->d->stats.bytes_in += len;
	/* delivered from rx.off on by conn_relay_write() */
	c->rx.off = (const uint8_t *)data - c->rx.buf;
	c->rx.need = c->rx.off + len;
	c->rx.have = c->rx.need;
	return 1;
}

/*
 * send() to the program's socket.  On the remote side every message
 * carries the caller's credentials (after squashing, as the helper
 * connected), which root may state: a server program reading
 * SCM_CREDENTIALS sees the client caller, as in SO_PEERCRED, never the
 * daemon.  On the local side, with a 2.1 peer, every message carries the
 * server program's uid and gid the same way.  The pid is the daemon's: a
 * pid of the other host means nothing here.
 */
static ssize_t conn_send_u(struct uds_conn *c, const void *buf, size_t len)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} u = {};
	struct ucred uc = {
		.pid = getpid(),
		.uid = c->local ? c->back_uid : c->creds.fsuid,
		.gid = c->local ? c->back_gid : c->creds.fsgid,
	};
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (!c->local || c->back_set) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_CREDENTIALS;
		cm->cmsg_len = CMSG_LEN(sizeof(uc));
		memcpy(CMSG_DATA(cm), &uc, sizeof(uc));
	}
	return sendmsg(c->ufd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * Write the pending DATA to the program: as bytes, or as one message
 * (empty ones too) on a seqpacket socket, which sends all or nothing.
 * Return: 1, 0 or -errno.
 */
static int conn_relay_write(struct uds_conn *c)
{
	bool msg = c->type != QTFS_UDS_STREAM;
	ssize_t n;
	int done = 0;

	if (c->type == QTFS_UDS_DGRAM) {
		c->active_ms = uds_now_ms();
		/* a reply to a program whose socket has no name: lost */
		if (c->local && !c->dg_peer) {
			qt_debug("conn %llu (local): dropping a reply: the program's socket has no address",
				 (unsigned long long)c->id);
			c->d->stats.dropped++;
			conn_rx_reset(c);
			return 1;
		}
	}
	while (c->rx.off < c->rx.need || (msg && !done)) {
		n = conn_send_u(c, c->rx.buf + c->rx.off,
				c->rx.need - c->rx.off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? done : -errno;
		c->rx.off += n;
		done = 1;
	}
	conn_rx_reset(c);
	return 1;
}

/* One round of the relay.  Return: 1 progress, 0 none, -errno. */
static int conn_relay(struct uds_conn *c)
{
	int ret, progress = 0;

	if (conn_rx_pending(c)) {
		ret = conn_relay_write(c);
		if (ret < 0)
			return ret;
		progress |= ret;
	}
	if (!conn_rx_pending(c)) {
		ret = conn_rx(c, c->lfd, c->max_msg, c->tagged);
		if (ret > 0)
			ret = conn_relay_frame(c);
		if (ret < 0)
			return ret;
		progress |= ret;
	}
	if (c->l_eof && !conn_rx_pending(c) && !c->u_shut) {
		shutdown(c->ufd, SHUT_WR);
		c->u_shut = true;
	}
	if (!c->u_eof && !c->tx.len) {
		ret = conn_relay_read(c);
		if (ret < 0)
			return ret;
		progress |= ret;
	}
	return progress;
}

/* --- the pump ------------------------------------------------------- */

/*
 * LOCAL_CONNECT on a seqpacket socket: one message, read whole (a short
 * read would drop the rest of it).  Return: 1, 0 or -errno.
 */
static int conn_rx_msg(struct uds_conn *c)
{
	ssize_t n;

	n = conn_recv(c, c->ufd, c->rx.buf, UDS_LOCAL_MSG_MAX,
		      MSG_DONTWAIT | MSG_TRUNC);
	if (n == -EOPNOTSUPP)
		return n;
	if (n < 0)
		return n == -EAGAIN ? 0 : -ECONNRESET;
	if (n < QTFS_HDR_SIZE || n > UDS_LOCAL_MSG_MAX ||
	    qtfs_proto_decode_hdr(c->rx.buf, &c->rx.hdr) ||
	    c->rx.hdr.len != n)
		return n ? -EPROTO : -ECONNRESET;
	c->rx.have = n;
	c->rx.need = n;
	return 1;
}

/* One step of setup: read a frame and act on it. */
static int conn_setup_step(struct uds_conn *c)
{
	int ret;

	if (c->state == UDS_L_REQUEST) {
		ret = c->type == QTFS_UDS_SEQPACKET ? conn_rx_msg(c) :
		      conn_rx(c, c->ufd, UDS_LOCAL_MSG_MAX, false);
		return ret > 0 ? conn_local_request(c) ?: 1 : ret;
	}
	if (c->state == UDS_L_DIAL)
		return conn_dial_done(c);
	ret = conn_rx(c, c->lfd, c->max_msg, c->tagged);
	if (ret <= 0)
		return ret;
	switch (c->state) {
	case UDS_L_HELLO:
	case UDS_L_PROOF:
		ret = conn_local_hello(c);
		break;
	case UDS_L_CONNECT:
		ret = conn_local_connected(c);
		break;
	case UDS_R_HELLO:
	case UDS_R_PROOF:
		ret = conn_remote_hello(c);
		break;
	case UDS_R_CONNECT:
		ret = conn_remote_connect(c);
		break;
	default:
		return -EPROTO;
	}
	conn_rx_reset(c);
	return ret ?: 1;
}

/*
 * Rounds of progress one event may make before the loop serves others:
 * a connection whose both ends are always ready would otherwise keep the
 * loop.  Watches are level-triggered, so the rest follows next round.
 */
#define UDS_PUMP_BUDGET	16

static void conn_pump(struct uds_conn *c)
{
	int ret, budget = UDS_PUMP_BUDGET;

	do {
		ret = c->lfd >= 0 ? conn_flush(c) : 0;
		if (ret < 0)
			break;
		if (c->state == UDS_DRAIN) {
			if (!c->tx.len) {
				conn_free(c);
				return;
			}
			break;
		}
		if (c->state == UDS_RELAY) {
			ret = conn_relay(c);
			if (ret >= 0 && c->u_eof && c->l_eof && !c->tx.len &&
			    !conn_rx_pending(c)) {
				qt_debug("conn %llu (%s): done",
					 (unsigned long long)c->id,
					 conn_side(c));
				conn_free(c);
				return;
			}
		} else if (c->state != UDS_R_HELPER) {
			ret = conn_setup_step(c);
		} else {
			ret = 0;
		}
	} while (ret > 0 && --budget);
	if (ret < 0) {
		conn_end(c, ret);
		return;
	}
	conn_watch(c);
}

/* --- accepting ------------------------------------------------------ */

/**
 * uds_conn_state_name() - a state's name, for the control socket
 * @state: &enum uds_state
 *
 * Return: a word without blanks.
 */
const char *uds_conn_state_name(enum uds_state state)
{
	static const char *const names[] = {
		[UDS_L_REQUEST] = "request", [UDS_L_DIAL] = "dial",
		[UDS_L_HELLO] = "hello", [UDS_L_PROOF] = "proof",
		[UDS_L_CONNECT] = "connect", [UDS_R_HELLO] = "hello",
		[UDS_R_PROOF] = "proof", [UDS_R_CONNECT] = "connect",
		[UDS_R_HELPER] = "helper", [UDS_RELAY] = "relay",
		[UDS_DRAIN] = "drain",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

/**
 * uds_conn_accept_local() - a program connected to a local socket
 * @d:    daemon
 * @fd:   the accepted socket, non-blocking
 * @type: %QTFS_UDS_STREAM or %QTFS_UDS_SEQPACKET, that of the listener
 *
 * Takes @fd over.  Beyond --max-conns, or its share for the program's
 * uid, the program gets EAGAIN at once.
 */
void uds_conn_accept_local(struct uds_daemon *d, int fd, uint32_t type)
{
	socklen_t len = sizeof(struct ucred);
	struct uds_conn *c = NULL;
	uint8_t buf[QTFS_HDR_SIZE];
	struct ucred uc = { .uid = (uid_t)-1 };
	struct qtfs_buf b;

	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		c = conn_new(d, true, uc.uid);
	if (!c) {
		d->stats.refused++;
		uds_peer_log(QT_LOG_WARN, "%s: refusing a connection of uid %d (%u connections)",
			     d->sock_path, (int)uc.uid, d->nr_conns);
		qtfs_buf_init(&b, buf, sizeof(buf));
		qtfs_proto_begin(&b, QTFS_UDS_OP_LOCAL_CONNECT,
				 QTFS_HDR_REPLY, 1, -EAGAIN);
		if (!qtfs_proto_end(&b))
			send(fd, buf, b.pos, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		return;
	}
	c->ufd = fd;
	c->type = type;
	c->state = UDS_L_REQUEST;
	c->timer = qt_evloop_add_timer(d->loop, UDS_SETUP_TIMEOUT_MS,
				       conn_timeout, c);
	conn_pump(c);
}

/* Is the link's other end the peer udsproxyd's host? */
static bool conn_from_peer(const struct uds_daemon *d, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) ||
	    ss.ss_family != d->peer.family)
		return false;
	if (ss.ss_family == AF_VSOCK)
		return ((struct sockaddr_vm *)&ss)->svm_cid == d->peer.addr;
	return ((struct sockaddr_in *)&ss)->sin_addr.s_addr == d->peer.addr;
}

/**
 * uds_conn_accept_link() - the peer opened a link
 * @d:  daemon
 * @fd: the accepted socket, non-blocking
 *
 * Takes @fd over.  Links from any other host, and beyond --max-conns or
 * the peer's share of it, are closed at once.
 */
void uds_conn_accept_link(struct uds_daemon *d, int fd)
{
	struct uds_conn *c = NULL;
	int one = 1;

	if (!conn_from_peer(d, fd)) {
		uds_peer_log(QT_LOG_WARN, "closing a link from a host that is not the peer");
		close(fd);
		return;
	}
	c = conn_new(d, false, 0);
	if (!c) {
		d->stats.refused++;
		uds_peer_log(QT_LOG_WARN, "closing a link from the peer (%u connections)",
			     d->nr_conns);
		close(fd);
		return;
	}
	c->lfd = fd;
	c->tcp = d->peer.family == AF_INET;
	if (c->tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = UDS_R_HELLO;
	c->timer = qt_evloop_add_timer(d->loop, UDS_HELPER_TIMEOUT_MS,
				       conn_timeout, c);
	conn_pump(c);
}
