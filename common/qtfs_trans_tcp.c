// SPDX-License-Identifier: GPL-2.0
/*
 * TCP transport for test mode (built with QTFS_TEST_MODE=1): IPv4 stream
 * sockets created in the kernel.
 */
#include <linux/in.h>
#include <linux/inet.h>
#include <linux/net.h>
#include <linux/tcp.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "qtfs_trans.h"

static int qtfs_tcp_addr(struct sockaddr_in *sa,
			 const struct qtfs_trans_addr *addr)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(addr->tcp_port);
	if (!in4_pton(addr->ip, -1, (u8 *)&sa->sin_addr.s_addr, '\0', NULL))
		return -EINVAL;
	return 0;
}

static int qtfs_tcp_socket(struct qtfs_tconn *tc, struct sockaddr_in *sa,
			   const struct qtfs_trans_addr *addr)
{
	int ret = qtfs_tcp_addr(sa, addr);

	if (ret)
		return ret;
	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &tc->sock);
	if (ret)
		return ret;
	/* requests are small and latency-bound */
	tcp_sock_set_nodelay(tc->sock->sk);
	return 0;
}

static int qtfs_tcp_connect(struct qtfs_tconn *tc,
			    const struct qtfs_trans_addr *addr)
{
	struct sockaddr_in sa;
	int ret;

	ret = qtfs_tcp_socket(tc, &sa, addr);
	if (ret)
		return ret;
	ret = kernel_connect(tc->sock, (struct sockaddr *)&sa, sizeof(sa), 0);
	if (ret) {
		sock_release(tc->sock);
		tc->sock = NULL;
	}
	return ret;
}

static int qtfs_tcp_listen(struct qtfs_tconn *tc,
			   const struct qtfs_trans_addr *addr)
{
	struct sockaddr_in sa;
	int ret;

	ret = qtfs_tcp_socket(tc, &sa, addr);
	if (ret)
		return ret;
	sock_set_reuseaddr(tc->sock->sk);
	ret = kernel_bind(tc->sock, (struct sockaddr *)&sa, sizeof(sa));
	if (!ret)
		ret = kernel_listen(tc->sock, SOMAXCONN);
	if (ret) {
		sock_release(tc->sock);
		tc->sock = NULL;
	}
	return ret;
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

struct qtfs_trans_ops qtfs_trans_tcp = {
	.name = "tcp",
	.owner = THIS_MODULE,
	.maxsize = QTFS_MSG_MAX,
	.connect = qtfs_tcp_connect,
	.listen = qtfs_tcp_listen,
	.accept = qtfs_tcp_accept,
	.shutdown = qtfs_sock_shutdown,
	.close = qtfs_sock_close,
	.send = qtfs_sock_send,
	.recv = qtfs_sock_recv,
	.show = qtfs_tcp_show,
};
