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
#include "qtfs_trans.h"

extern struct qtfs_trans_ops qtfs_trans_vsock;
#ifdef QTFS_TEST_MODE
extern struct qtfs_trans_ops qtfs_trans_tcp;
#endif

/*
 * The registry is the only mutable global of the transport layer:
 * qtfs_trans_mutex protects qtfs_trans_list.
 */
static LIST_HEAD(qtfs_trans_list);
static DEFINE_MUTEX(qtfs_trans_mutex);

static void qtfs_trans_register(struct qtfs_trans_ops *ops)
{
	mutex_lock(&qtfs_trans_mutex);
	list_add_tail(&ops->list, &qtfs_trans_list);
	mutex_unlock(&qtfs_trans_mutex);
}

/**
 * qtfs_trans_init() - register the transports built into this module
 *
 * Return: 0.
 */
int qtfs_trans_init(void)
{
	qtfs_trans_register(&qtfs_trans_vsock);
#ifdef QTFS_TEST_MODE
	qtfs_trans_register(&qtfs_trans_tcp);
#endif
	return 0;
}

/**
 * qtfs_trans_exit() - unregister every transport
 */
void qtfs_trans_exit(void)
{
	struct qtfs_trans_ops *ops, *tmp;

	mutex_lock(&qtfs_trans_mutex);
	list_for_each_entry_safe(ops, tmp, &qtfs_trans_list, list)
		list_del_init(&ops->list);
	mutex_unlock(&qtfs_trans_mutex);
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
 * Return: 0, or -errno; after an error part of the message may have been
 * sent, so the caller must drop the connection.
 */
int qtfs_sock_send(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
		   size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, nr, len);
	while (msg_data_left(&msg)) {
		ret = sock_sendmsg(tc->sock, &msg);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -ECONNRESET;
	}
	return 0;
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

/**
 * qtfs_frame_recv_hdr() - read and check the next message header
 * @tc:     connection
 * @h:      decoded header
 * @raw:    %QTFS_HDR_SIZE bytes receiving the raw header
 * @maxlen: negotiated max message size
 *
 * Reads one header and checks it with qtfs_proto_decode_hdr() and against
 * @maxlen; the caller then finds the buffer the @h->len - %QTFS_HDR_SIZE
 * payload bytes belong to (checking @h->len against it) and reads them with
 * @tc->ops->recv, or discards them with qtfs_frame_skip().
 *
 * Return: 0, -EPROTO for a malformed header, or a transport error.
 */
int qtfs_frame_recv_hdr(struct qtfs_tconn *tc, struct qtfs_msg_hdr *h,
			void *raw, u32 maxlen)
{
	int ret = tc->ops->recv(tc, raw, QTFS_HDR_SIZE);

	if (ret)
		return ret;
	ret = qtfs_proto_decode_hdr(raw, h);
	if (ret)
		return ret;
	return h->len > maxlen ? -EPROTO : 0;
}

/**
 * qtfs_frame_skip() - discard @len payload bytes
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
		ret = tc->ops->recv(tc, scratch, n);
		if (ret)
			return ret;
		len -= n;
	}
	return 0;
}
