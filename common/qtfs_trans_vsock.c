// SPDX-License-Identifier: GPL-2.0
/*
 * vsock transport: AF_VSOCK stream sockets created in the kernel.
 */
#include <linux/net.h>
#include <linux/vm_sockets.h>
#include "qtfs_trans.h"

static int qtfs_vsock_open(struct qtfs_tconn *tc,
			   const struct qtfs_trans_addr *addr, bool listen)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = addr->vsock_cid,
		.svm_port = addr->vsock_port,
	};

	return qtfs_sock_open(tc, AF_VSOCK, 0, (struct sockaddr *)&sa,
			      sizeof(sa), listen);
}

static int qtfs_vsock_connect(struct qtfs_tconn *tc,
			      const struct qtfs_trans_addr *addr)
{
	return qtfs_vsock_open(tc, addr, false);
}

static int qtfs_vsock_listen(struct qtfs_tconn *tc,
			     const struct qtfs_trans_addr *addr)
{
	return qtfs_vsock_open(tc, addr, true);
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

static int qtfs_vsock_peer(struct qtfs_tconn *tc, struct qtfs_trans_peer *peer)
{
	struct sockaddr_vm sa;
	int ret;

	ret = kernel_getpeername(tc->sock, (struct sockaddr *)&sa);
	if (ret < 0)
		return ret;
	peer->family = AF_VSOCK;
	peer->addr = sa.svm_cid;
	return 0;
}

static struct qtfs_trans_ops qtfs_trans_vsock = {
	.name = "vsock",
	.owner = THIS_MODULE,
	.maxsize = QTFS_MSG_MAX,
	.connect = qtfs_vsock_connect,
	.listen = qtfs_vsock_listen,
	.accept = qtfs_sock_accept,
	.shutdown = qtfs_sock_shutdown,
	.close = qtfs_sock_close,
	.send = qtfs_sock_send,
	.send_part = qtfs_sock_send_part,
	.recv = qtfs_sock_recv,
	.show = qtfs_vsock_show,
	.peer = qtfs_vsock_peer,
};

/**
 * qtfs_trans_vsock_init() - register the vsock transport
 *
 * Return: 0 or -errno.
 */
int qtfs_trans_vsock_init(void)
{
	return qtfs_trans_register(&qtfs_trans_vsock);
}

/**
 * qtfs_trans_vsock_exit() - unregister the vsock transport
 */
void qtfs_trans_vsock_exit(void)
{
	qtfs_trans_unregister(&qtfs_trans_vsock);
}
