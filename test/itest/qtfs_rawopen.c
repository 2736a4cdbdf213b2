// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_rawopen - open one file on a qtfs server by speaking the protocol
 * directly (test/lib/wire.c): HELLO, MOUNT, OPEN (read-only), as root.
 *
 *   qtfs_rawopen vsock|tcp CID|IP PORT EXPORT RELPATH
 *
 * The client kernel never sends OPEN for a device node (it opens its own
 * driver for it), so the server's [Device] rule is only reachable this
 * way; the ops checks use it for that.  Exit 0 when OPEN succeeds; 1 with
 * "qtfs_rawopen: <step>: <strerror>" when any step fails; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "wire.h"

/* Send a request with @fmt and wait for its reply: its error or -errno. */
static int raw_call(int fd, u16 opcode, u64 id, const char *fmt, ...)
{
	static unsigned char rsp[QTFS_MSG_MIN];
	struct qtfs_msg_hdr h;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = hw_vbuild(rsp, sizeof(rsp), opcode, 0, id, 0, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = hw_send(fd, rsp, ret);
	if (!ret)
		ret = hw_recv(fd, &h, rsp, sizeof(rsp));
	if (ret)
		return ret == HW_CLOSED ? -ECONNRESET : ret;
	if (h.opcode != opcode || h.id != id)
		return -EPROTO;
	return h.error;
}

static int raw_fail(const char *step, int err)
{
	fprintf(stderr, "qtfs_rawopen: %s: %s\n", step, strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	struct qtfs_cred cred = { 0 };
	struct hw_addr a;
	int fd, ret;

	if (argc != 6 || hw_parse_addr(&a, argv[1], argv[2], argv[3])) {
		fprintf(stderr, "usage: qtfs_rawopen vsock|tcp CID|IP PORT EXPORT RELPATH\n");
		return 2;
	}
	fd = hw_connect(&a);
	if (fd < 0)
		return raw_fail("connect", fd);
	/* no QTFS_FEAT_AUTH: an empty authentication blob */
	ret = raw_call(fd, QTFS_OP_HELLO, 1, "dhhddB", QTFS_PROTO_MAGIC,
		       QTFS_PROTO_MAJOR, QTFS_PROTO_MINOR, 0, QTFS_MSG_MIN,
		       NULL, 0);
	if (ret)
		return raw_fail("HELLO", ret);
	ret = raw_call(fd, QTFS_OP_MOUNT, 2, "Cs", &cred, argv[4]);
	if (ret)
		return raw_fail("MOUNT", ret);
	ret = raw_call(fd, QTFS_OP_OPEN, 3, "Cpd", &cred, argv[5],
		       QTFS_O_RDONLY);
	close(fd);
	if (ret)
		return raw_fail("OPEN", ret);
	printf("OPEN %s: ok\n", argv[5]);
	return 0;
}
