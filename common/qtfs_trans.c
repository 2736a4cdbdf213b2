// SPDX-License-Identifier: GPL-2.0
/*
 * Transport registry, stream socket helpers and message framing, shared by
 * qtfs.ko and qtfs_server.ko.
 */
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include "qtfs_auth.h"
#include "qtfs_trans.h"

/*
 * The registry is the only mutable global of the transport layer:
 * qtfs_trans_mutex protects qtfs_trans_list.
 */
static LIST_HEAD(qtfs_trans_list);
static DEFINE_MUTEX(qtfs_trans_mutex);

/**
 * qtfs_trans_register() - make a transport available by its name
 * @ops: the transport; stays registered until qtfs_trans_unregister()
 *
 * Each transport registers itself from its own init function
 * (qtfs_trans_vsock_init(), ...).
 *
 * Return: 0, or -EEXIST if a transport of that name is registered.
 */
int qtfs_trans_register(struct qtfs_trans_ops *ops)
{
	const struct qtfs_trans_ops *cur;
	int ret = 0;

	mutex_lock(&qtfs_trans_mutex);
	list_for_each_entry(cur, &qtfs_trans_list, list) {
		if (!strcmp(cur->name, ops->name)) {
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	list_add_tail(&ops->list, &qtfs_trans_list);
out_unlock:
	mutex_unlock(&qtfs_trans_mutex);
	return ret;
}

/**
 * qtfs_trans_unregister() - withdraw a registered transport
 * @ops: the transport
 */
void qtfs_trans_unregister(struct qtfs_trans_ops *ops)
{
	mutex_lock(&qtfs_trans_mutex);
	list_del_init(&ops->list);
	mutex_unlock(&qtfs_trans_mutex);
}

/**
 * qtfs_trans_init() - register the transports built into this module
 *
 * Return: 0, or the -errno of the transport that failed to register (those
 * registered before it are unregistered again).  A transport left out of
 * the build (TCP outside test mode) has an init function that does nothing.
 */
int qtfs_trans_init(void)
{
	int ret;

	ret = qtfs_trans_vsock_init();
	if (ret)
		return ret;
	ret = qtfs_trans_tcp_init();
	if (ret)
		qtfs_trans_vsock_exit();
	return ret;
}

/**
 * qtfs_trans_exit() - unregister the transports of this module
 */
void qtfs_trans_exit(void)
{
	qtfs_trans_tcp_exit();
	qtfs_trans_vsock_exit();
}

/**
 * qtfs_trans_get() - find a transport by name and pin its module
 * @name: transport name ("vsock", "tcp")
 *
 * Return: the transport, or NULL if none has that name.
 */
const struct qtfs_trans_ops *qtfs_trans_get(const char *name)
{
	struct qtfs_trans_ops *ops, *found = NULL;

	mutex_lock(&qtfs_trans_mutex);
	list_for_each_entry(ops, &qtfs_trans_list, list) {
		if (!strcmp(ops->name, name) && try_module_get(ops->owner)) {
			found = ops;
			break;
		}
	}
	mutex_unlock(&qtfs_trans_mutex);
	return found;
}

/**
 * qtfs_trans_put() - drop the reference taken by qtfs_trans_get()
 * @ops: transport
 */
void qtfs_trans_put(const struct qtfs_trans_ops *ops)
{
	if (ops)
		module_put(ops->owner);
}

/**
 * qtfs_sock_open() - create a kernel stream socket and connect or listen
 * @tc:     endpoint; @tc->sock is set on success
 * @family: address family
 * @proto:  protocol (0 for the family's default)
 * @sa:     address to connect to, or to bind to
 * @salen:  size of @sa
 * @listen: bind and listen instead of connecting
 *
 * Return: 0 or -errno (nothing is left allocated).
 */
int qtfs_sock_open(struct qtfs_tconn *tc, int family, int proto,
		   struct sockaddr *sa, int salen, bool listen)
{
	int ret;

	ret = sock_create_kern(&init_net, family, SOCK_STREAM, proto,
			       &tc->sock);
	if (ret)
		return ret;
	/* bounds each wait for room in qtfs_sock_send() (and TCP's connect) */
	if (!listen && tc->send_timeout)
		sock_set_sndtimeo(tc->sock->sk, tc->send_timeout);
	if (listen) {
		/* a restarted server must get its port back at once */
		sock_set_reuseaddr(tc->sock->sk);
		ret = kernel_bind(tc->sock, sa, salen);
		if (!ret)
			ret = kernel_listen(tc->sock, SOMAXCONN);
	} else {
		ret = kernel_connect(tc->sock, sa, salen, 0);
	}
	if (ret) {
		sock_release(tc->sock);
		tc->sock = NULL;
	}
	return ret;
}

/**
 * qtfs_sock_send() - send a whole message on a stream socket
 * @tc:  connection
 * @vec: message pieces
 * @nr:  number of pieces
 * @len: total bytes
 *
 * Return: 0, -ETIMEDOUT if the peer took nothing for @tc->send_timeout
 * seconds, or another -errno; after an error part of the message may have
 * been sent, so the caller must drop the connection.
 */
int qtfs_sock_send(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
		   size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, nr, len);
	while (msg_data_left(&msg)) {
		ret = sock_sendmsg(tc->sock, &msg);
		/* the socket's send timeout ran out without progress */
		if (ret == -EAGAIN)
			return -ETIMEDOUT;
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -ECONNRESET;
	}
	return 0;
}

/**
 * qtfs_sock_send_part() - send as much of a message as fits in time
 * @tc:      connection
 * @vec:     message pieces
 * @nr:      number of pieces
 * @len:     total bytes
 * @timeout: jiffies to wait for room in the socket, 0 to not wait
 *
 * The caller serialises sends on @tc, so the socket's send timeout is
 * ours to set.
 *
 * Return: bytes sent (> 0), -EAGAIN if none fit within @timeout, or
 * another -errno.
 */
int qtfs_sock_send_part(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
			size_t len, long timeout)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct sock *sk = tc->sock->sk;
	int ret;

	if (timeout) {
		lock_sock(sk);
		sk->sk_sndtimeo = timeout;
		release_sock(sk);
	} else {
		msg.msg_flags |= MSG_DONTWAIT;
	}
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, nr, len);
	ret = sock_sendmsg(tc->sock, &msg);
	return ret ?: -ECONNRESET;
}

/**
 * qtfs_sock_recv() - receive exactly @len bytes from a stream socket
 * @tc:  connection
 * @buf: destination
 * @len: bytes wanted
 *
 * Return: 0, -ECONNRESET at end of stream, or another -errno.
 */
int qtfs_sock_recv(struct qtfs_tconn *tc, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &vec, 1, len);
	/*
	 * No MSG_WAITALL: vsock fails a MSG_WAITALL read whose target reaches
	 * its receive buffer size (256 KiB by default) with -ENOMEM; the loop
	 * collects short reads anyway.
	 */
	while (msg_data_left(&msg)) {
		ret = sock_recvmsg(tc->sock, &msg, 0);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -ECONNRESET;
	}
	return 0;
}

/**
 * qtfs_sock_shutdown() - wake everything blocked on a stream socket
 * @tc: connection
 */
void qtfs_sock_shutdown(struct qtfs_tconn *tc)
{
	if (tc->sock)
		kernel_sock_shutdown(tc->sock, SHUT_RDWR);
}

/**
 * qtfs_sock_close() - release a stream socket
 * @tc: connection
 */
void qtfs_sock_close(struct qtfs_tconn *tc)
{
	if (tc->sock) {
		sock_release(tc->sock);
		tc->sock = NULL;
	}
}

/**
 * qtfs_sock_accept() - accept one connection on a listening stream socket
 * @listener: listening endpoint
 * @tc:       set up for the new connection
 *
 * Return: 0 or -errno.
 */
int qtfs_sock_accept(struct qtfs_tconn *listener, struct qtfs_tconn *tc)
{
	struct socket *sock;
	int ret;

	ret = kernel_accept(listener->sock, &sock, 0);
	if (ret)
		return ret;
	tc->ops = listener->ops;
	tc->sock = sock;
	return 0;
}

/* The frame pieces a sender passes, plus the tag. */
#define QTFS_FRAME_VECS		4

/**
 * qtfs_frame_tag() - the tag that follows a message, if frames are tagged
 * @tc:  connection
 * @vec: the message, header first
 * @nr:  pieces in @vec
 * @tag: where the tag goes (%QTFS_FRAME_TAG_SIZE bytes)
 *
 * Caller holds the connection's send lock and calls this once per message,
 * in the order messages reach the stream (tags are numbered), then sends
 * @tag right behind the message.  HELLO frames are never tagged, so the
 * last HELLO may leave after the server turned authentication on.
 *
 * Return: the tag's length, 0 if the message goes untagged, or -errno.
 */
int qtfs_frame_tag(struct qtfs_tconn *tc, const struct kvec *vec, size_t nr,
		   u8 *tag)
	__must_hold(tc->send_lock)
{
	const struct qtfs_hdr *h = vec[0].iov_base;
	int ret;

	lockdep_assert_held(tc->send_lock);
	if (!tc->fmac || le16_to_cpu(h->opcode) == QTFS_OP_HELLO)
		return 0;
	ret = qtfs_fmac_sign(tc->fmac, vec, nr, tag);
	return ret ?: QTFS_FRAME_TAG_SIZE;
}

/**
 * qtfs_frame_send() - send one whole message, tagged if frames are
 * @tc:  connection
 * @vec: the message, header first
 * @nr:  pieces in @vec (fewer than %QTFS_FRAME_VECS)
 * @len: total bytes
 *
 * Caller holds the connection's send lock; see qtfs_frame_tag().
 *
 * Return: 0, or -errno; after an error part of the message may have been
 * sent, so the caller must drop the connection.
 */
int qtfs_frame_send(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
		    size_t len)
	__must_hold(tc->send_lock)
{
	struct kvec all[QTFS_FRAME_VECS];
	u8 tag[QTFS_FRAME_TAG_SIZE];
	int ret;

	lockdep_assert_held(tc->send_lock);
	if (WARN_ON_ONCE(nr >= QTFS_FRAME_VECS))
		return -EINVAL;
	ret = qtfs_frame_tag(tc, vec, nr, tag);
	if (ret <= 0)
		return ret ?: tc->ops->send(tc, vec, nr, len);
	memcpy(all, vec, nr * sizeof(*vec));
	all[nr].iov_base = tag;
	all[nr].iov_len = sizeof(tag);
	return tc->ops->send(tc, all, nr + 1, len + sizeof(tag));
}

/**
 * qtfs_frame_recv_hdr() - read and check the next message header
 * @tc:     connection
 * @h:      decoded header
 * @raw:    %QTFS_HDR_SIZE bytes receiving the raw header
 * @maxlen: negotiated max message size
 *
 * Reads one header and checks it with qtfs_proto_decode_hdr() and against
 * @maxlen; the caller then finds the buffer the @h->len - %QTFS_HDR_SIZE
 * payload bytes belong to (checking @h->len against it), reads them with
 * qtfs_frame_recv() or discards them with qtfs_frame_skip(), and ends the
 * frame with qtfs_frame_end() before acting on it.  Receive thread only.
 *
 * Return: 0, -EPROTO for a malformed header (or a HELLO once frames are
 * authenticated), or a transport error.
 */
int qtfs_frame_recv_hdr(struct qtfs_tconn *tc, struct qtfs_msg_hdr *h,
			void *raw, u32 maxlen)
{
	struct qtfs_fmac *m;
	int ret = tc->ops->recv(tc, raw, QTFS_HDR_SIZE);

	if (ret)
		return ret;
	ret = qtfs_proto_decode_hdr(raw, h);
	if (ret)
		return ret;
	if (h->len > maxlen)
		return -EPROTO;
	/*
	 * Pairs with qtfs_frame_auth_start(): this end turned authentication
	 * on before it sent what these bytes answer.
	 */
	m = smp_load_acquire(&tc->fmac);
	if (!m)
		return 0;
	if (h->opcode == QTFS_OP_HELLO)
		return -EPROTO;
	return qtfs_fmac_rx_begin(m) ?: qtfs_fmac_rx_update(m, raw,
							     QTFS_HDR_SIZE);
}

/**
 * qtfs_frame_recv() - receive @len payload bytes of the current frame
 * @tc:  connection
 * @buf: destination
 * @len: bytes wanted
 *
 * Return: 0 or a transport error.
 */
int qtfs_frame_recv(struct qtfs_tconn *tc, void *buf, u32 len)
{
	int ret;

	if (!len)
		return 0;
	ret = tc->ops->recv(tc, buf, len);
	if (!ret && tc->fmac)
		ret = qtfs_fmac_rx_update(tc->fmac, buf, len);
	return ret;
}

/**
 * qtfs_frame_skip() - discard @len payload bytes of the current frame
 * @tc:  connection
 * @len: bytes to drop
 *
 * Return: 0 or a transport error.
 */
int qtfs_frame_skip(struct qtfs_tconn *tc, u32 len)
{
	u8 scratch[256];
	u32 n;
	int ret;

	while (len) {
		n = min_t(u32, len, sizeof(scratch));
		ret = qtfs_frame_recv(tc, scratch, n);
		if (ret)
			return ret;
		len -= n;
	}
	return 0;
}

/**
 * qtfs_frame_end() - finish receiving a frame: read and check its tag
 * @tc: connection
 *
 * Nothing of a frame may be acted on before this returned 0.
 *
 * Return: 0, -EBADMSG for a frame that is not authentic, or a transport
 * error.
 */
int qtfs_frame_end(struct qtfs_tconn *tc)
{
	u8 tag[QTFS_FRAME_TAG_SIZE];
	int ret;

	if (!tc->fmac)
		return 0;
	ret = tc->ops->recv(tc, tag, sizeof(tag));
	return ret ?: qtfs_fmac_rx_check(tc->fmac, tag);
}

/**
 * qtfs_frame_auth_start() - authenticate every later frame of @tc
 * @tc: connection after a keyed HELLO that agreed on frame tags
 * @m:  state from qtfs_fmac_new(); @tc owns it from now on
 *
 * Caller holds the send lock, and calls this before it sends (or, on the
 * server, before it receives) the first frame to tag.
 */
void qtfs_frame_auth_start(struct qtfs_tconn *tc, struct qtfs_fmac *m)
	__must_hold(tc->send_lock)
{
	lockdep_assert_held(tc->send_lock);
	/* publish @m whole to qtfs_frame_recv_hdr()'s smp_load_acquire() */
	smp_store_release(&tc->fmac, m);
}

/**
 * qtfs_frame_auth_stop() - forget the frame authentication of @tc
 * @tc: connection nothing sends on or receives from any more
 */
void qtfs_frame_auth_stop(struct qtfs_tconn *tc)
{
	qtfs_fmac_free(tc->fmac);
	tc->fmac = NULL;
}
