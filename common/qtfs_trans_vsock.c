// SPDX-License-Identifier: GPL-2.0
/*
 * vsock transport: AF_VSOCK stream sockets created in the kernel.
 */
#include <linux/net.h>
#include <linux/vm_sockets.h>
#include <net/net_namespace.h>
#include "qtfs_trans.h"

static void qtfs_vsock_addr(struct sockaddr_vm *sa,
			    const struct qtfs_trans_addr *addr)
{
	memset(sa, 0, sizeof(*sa));
	sa->svm_family = AF_VSOCK;
	sa->svm_cid = addr->vsock_cid;
	sa->svm_port = addr->vsock_port;
}

static int qtfs_vsock_connect(struct qtfs_tconn *tc,
			      const struct qtfs_trans_addr *addr)
{
	struct sockaddr_vm sa;
	int ret;

	ret = sock_create_kern(&init_net, AF_VSOCK, SOCK_STREAM, 0, &tc->sock);
	if (ret)
		return ret;
	qtfs_vsock_addr(&sa, addr);
	ret = kernel_connect(tc->sock, (struct sockaddr *)&sa, sizeof(sa), 0);
	if (ret) {
		sock_release(tc->sock);
		tc->sock = NULL;
	}
	return ret;
}

static int qtfs_vsock_listen(struct qtfs_tconn *tc,
			     const struct qtfs_trans_addr *addr)
{
	struct sockaddr_vm sa;
	int ret;

	ret = sock_create_kern(&init_net, AF_VSOCK, SOCK_STREAM, 0, &tc->sock);
	if (ret)
		return ret;
	qtfs_vsock_addr(&sa, addr);
	ret = kernel_bind(tc->sock, (struct sockaddr *)&sa, sizeof(sa));
	if (!ret)
		ret = kernel_listen(tc->sock, SOMAXCONN);
	if (ret) {
		sock_release(tc->sock);
		tc->sock = NULL;
	}
	return ret;
}

static int qtfs_vsock_show(struct qtfs_tconn *tc, char *buf, size_t len)
{
	struct sockaddr_vm sa;
	int ret;

	ret = kernel_getpeername(tc->sock, (struct sockaddr *)&sa);
	if (ret < 0)
		return ret;
	return snprintf(buf, len, "vsock:%u:%u", sa.svm_cid, sa.svm_port);
}

struct qtfs_trans_ops qtfs_trans_vsock = {
	.name = "vsock",
	.owner = THIS_MODULE,
	.maxsize = QTFS_MSG_MAX,
	.connect = qtfs_vsock_connect,
	.listen = qtfs_vsock_listen,
	.accept = qtfs_sock_accept,
	.shutdown = qtfs_sock_shutdown,
	.close = qtfs_sock_close,
	.send = qtfs_sock_send,
	.recv = qtfs_sock_recv,
	.show = qtfs_vsock_show,
};
