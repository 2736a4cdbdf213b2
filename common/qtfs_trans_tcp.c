// SPDX-License-Identifier: GPL-2.0
/*
 * TCP transport for test mode (built with QTFS_TEST_MODE=1): IPv4 stream
 * sockets created in the kernel.
 */
#include <linux/in.h>
#include <linux/inet.h>
#include <linux/net.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include "qtfs_trans.h"

static int qtfs_tcp_open(struct qtfs_tconn *tc,
			 const struct qtfs_trans_addr *addr, bool listen)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(addr->tcp_port),
	};
	int ret;

	if (!in4_pton(addr->ip, -1, (u8 *)&sa.sin_addr.s_addr, '\0', NULL))
		return -EINVAL;
	ret = qtfs_sock_open(tc, AF_INET, IPPROTO_TCP, (struct sockaddr *)&sa,
			     sizeof(sa), listen);
	/* requests are small and latency-bound; accepted sockets inherit it */
	if (!ret)
		tcp_sock_set_nodelay(tc->sock->sk);
	return ret;
}

static int qtfs_tcp_connect(struct qtfs_tconn *tc,
			    const struct qtfs_trans_addr *addr)
{
	return qtfs_tcp_open(tc, addr, false);
}

static int qtfs_tcp_listen(struct qtfs_tconn *tc,
			   const struct qtfs_trans_addr *addr)
{
	return qtfs_tcp_open(tc, addr, true);
}

static int qtfs_tcp_accept(struct qtfs_tconn *listener, struct qtfs_tconn *tc)
{
	int ret = qtfs_sock_accept(listener, tc);

	if (!ret)
		tcp_sock_set_nodelay(tc->sock->sk);
	return ret;
}

static int qtfs_tcp_show(struct qtfs_tconn *tc, char *buf, size_t len)
{
	struct sockaddr_storage sa;
	int ret;

	ret = kernel_getpeername(tc->sock, (struct sockaddr *)&sa);
	if (ret < 0)
		return ret;
	return snprintf(buf, len, "tcp:%pISpc", &sa);
}

static int qtfs_tcp_peer(struct qtfs_tconn *tc, struct qtfs_trans_peer *peer)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
	int ret;

	ret = kernel_getpeername(tc->sock, (struct sockaddr *)&ss);
	if (ret < 0)
		return ret;
	if (sa->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	peer->family = AF_INET;
	peer->addr = (__force u32)sa->sin_addr.s_addr;
	return 0;
}

static struct qtfs_trans_ops qtfs_trans_tcp = {
	.name = "tcp",
	.owner = THIS_MODULE,
	.maxsize = QTFS_MSG_MAX,
	.frame_mac = true,
	.connect = qtfs_tcp_connect,
	.listen = qtfs_tcp_listen,
	.accept = qtfs_tcp_accept,
	.shutdown = qtfs_sock_shutdown,
	.close = qtfs_sock_close,
	.send = qtfs_sock_send,
	.send_part = qtfs_sock_send_part,
	.recv = qtfs_sock_recv,
	.show = qtfs_tcp_show,
	.peer = qtfs_tcp_peer,
};

/**
 * qtfs_trans_tcp_init() - register the TCP transport
 *
 * Return: 0 or -errno.
 */
int qtfs_trans_tcp_init(void)
{
	return qtfs_trans_register(&qtfs_trans_tcp);
}

/**
 * qtfs_trans_tcp_exit() - unregister the TCP transport
 */
void qtfs_trans_tcp_exit(void)
{
	qtfs_trans_unregister(&qtfs_trans_tcp);
}
