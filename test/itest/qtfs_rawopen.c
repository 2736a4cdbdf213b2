// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_rawopen - open one file on a qtfs server by speaking the protocol
 * directly: HELLO, MOUNT, OPEN (read-only), as root.
 *
 *   qtfs_rawopen vsock:CID:PORT|tcp:IP:PORT EXPORT RELPATH
 *
 * The client kernel never sends OPEN for a device node (it opens its own
 * driver for it), so the server's [Device] rule is only reachable this
 * way; the ops checks use it for that.  Exit 0 when OPEN succeeds; 1 with
 * "qtfs_rawopen: <step>: <strerror>" when any step fails; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "qtfs_proto.h"

static int raw_connect(const char *addr)
{
	unsigned int a, b;
	char ip[32];
	int fd;

	if (sscanf(addr, "vsock:%u:%u", &a, &b) == 2) {
		struct sockaddr_vm vm = {
			.svm_family = AF_VSOCK, .svm_cid = a, .svm_port = b,
		};

		fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&vm, sizeof(vm)))
			goto out_close;
		return fd;
	}
	if (sscanf(addr, "tcp:%31[0-9.]:%u", ip, &b) == 2) {
		struct sockaddr_in in = {
			.sin_family = AF_INET, .sin_port = htons(b),
		};

		if (inet_pton(AF_INET, ip, &in.sin_addr) != 1) {
			errno = EINVAL;
			return -1;
		}
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&in, sizeof(in)))
			goto out_close;
		return fd;
	}
	errno = EINVAL;
	return -1;

out_close:
	a = errno;
	close(fd);
	errno = a;
	return -1;
}

static int raw_io(int fd, void *buf, size_t len, bool rd)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = rd ? read(fd, (char *)buf + off, len - off) :
			 write(fd, (char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EPIPE;
			return -1;
		}
		off += n;
	}
	return 0;
}

/* Send @b, receive the reply into @rsp; its error, or -errno of the I/O. */
static int raw_call(int fd, struct qtfs_buf *b, u8 *rsp, u32 size,
		    struct qtfs_msg_hdr *h)
{
	if (qtfs_proto_end(b))
		return -EINVAL;
	if (raw_io(fd, b->data, b->pos, false) ||
	    raw_io(fd, rsp, QTFS_HDR_SIZE, true))
		return -errno;
	if (qtfs_proto_decode_hdr(rsp, h) || h->len > size)
		return -EPROTO;
	if (raw_io(fd, rsp + QTFS_HDR_SIZE, h->len - QTFS_HDR_SIZE, true))
		return -errno;
	return h->error;
}

static int raw_fail(const char *step, int err)
{
	fprintf(stderr, "qtfs_rawopen: %s: %s\n", step, strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	static u8 req[QTFS_MSG_MIN], rsp[QTFS_MSG_MIN];
	struct qtfs_cred cred = { 0 };
	struct qtfs_msg_hdr h;
	struct qtfs_buf b;
	int fd, ret;

	if (argc != 4) {
		fprintf(stderr, "usage: qtfs_rawopen vsock:CID:PORT|tcp:IP:PORT EXPORT RELPATH\n");
		return 2;
	}
	fd = raw_connect(argv[1]);
	if (fd < 0)
		return raw_fail(argv[1], -errno);

	qtfs_buf_init(&b, req, sizeof(req));
	qtfs_proto_begin(&b, QTFS_OP_HELLO, 0, 1, 0);
	/* no QTFS_FEAT_AUTH: an empty authentication blob */
	qtfs_proto_pack(&b, "dhhddB", QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR,
			QTFS_PROTO_MINOR, 0, QTFS_MSG_MIN, NULL, 0);
	ret = raw_call(fd, &b, rsp, sizeof(rsp), &h);
	if (ret)
		return raw_fail("HELLO", ret);

	qtfs_buf_init(&b, req, sizeof(req));
	qtfs_proto_begin(&b, QTFS_OP_MOUNT, 0, 2, 0);
	qtfs_proto_pack(&b, "Cs", &cred, argv[2]);
	ret = raw_call(fd, &b, rsp, sizeof(rsp), &h);
	if (ret)
		return raw_fail("MOUNT", ret);

	qtfs_buf_init(&b, req, sizeof(req));
	qtfs_proto_begin(&b, QTFS_OP_OPEN, 0, 3, 0);
	qtfs_proto_pack(&b, "Cpd", &cred, argv[3], QTFS_O_RDONLY);
	ret = raw_call(fd, &b, rsp, sizeof(rsp), &h);
	close(fd);
	if (ret)
		return raw_fail("OPEN", ret);
	printf("OPEN %s: ok\n", argv[3]);
	return 0;
}
