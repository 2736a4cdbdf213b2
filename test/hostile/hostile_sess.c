// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions of the hostile client: connect, HELLO, MOUNT, requests built
 * by the project's codec (or by hand for malformed ones), and expect(),
 * which reports a result code against the one wanted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "hostile.h"

struct hw_addr addr;
const char *export;
const char *mnt;
u8 key[64];
size_t keylen;

__thread unsigned char rbuf[QTFS_MSG_MAX];
__thread u32 rlen;

static const char *res_name(int r)
{
	static __thread char buf[64];

	if (r == R_CLOSED)
		return "closed";
	if (r == R_BAD)
		return "local failure";
	if (r == 0)
		return "0";
	if (r < 0 && strerrorname_np(-r))
		snprintf(buf, sizeof(buf), "-%s", strerrorname_np(-r));
	else
		snprintf(buf, sizeof(buf), "%d", r);
	return buf;
}

void expect(const char *what, int got, int want)
{
	char g[64];

	if (got == want) {
		tk_checkf(1, "%s: %s", what, res_name(got));
		return;
	}
	/* res_name() returns one buffer per thread: keep the first */
	snprintf(g, sizeof(g), "%s", res_name(got));
	tk_checkf(0, "%s: got %s, want %s", what, g, res_name(want));
}

/* Wait for the reply to @id; R_CLOSED if the connection closes first. */
int reply(struct sess *s, u64 id, u16 opcode)
{
	struct qtfs_msg_hdr h;
	int ret;

	ret = hw_recv(s->fd, &h, rbuf, sizeof(rbuf));
	if (ret == HW_CLOSED)
		return R_CLOSED;
	if (ret) {
		printf("  receive failed: %s\n", strerror(-ret));
		return R_BAD;
	}
	if (!(h.flags & QTFS_HDR_REPLY) || h.id != id || h.opcode != opcode) {
		printf("  reply %llu op %u flags %#x does not answer %llu op %u\n",
		       (unsigned long long)h.id, h.opcode, h.flags,
		       (unsigned long long)id, opcode);
		return R_BAD;
	}
	rlen = h.len - QTFS_HDR_SIZE;
	return h.error;
}

static int vcall_as(struct sess *s, const struct qtfs_cred *cred,
		    u16 opcode, const char *fmt, va_list ap)
{
	static __thread unsigned char msg[QTFS_MSG_MAX];
	struct qtfs_buf b;
	u64 id = s->next_id++;
	int ret;

	qtfs_buf_init(&b, msg, sizeof(msg));
	qtfs_proto_begin(&b, opcode, 0, id, 0);
	qtfs_proto_pack(&b, "C", cred);
	qtfs_proto_vpack(&b, fmt, ap);
	if (qtfs_proto_end(&b)) {
		printf("  cannot build %s\n", qtfs_op_desc(opcode)->name);
		return R_BAD;
	}
	ret = hw_send(s->fd, msg, b.pos);
	if (ret == HW_CLOSED)
		return R_CLOSED;
	if (ret)
		return R_BAD;
	return reply(s, id, opcode);
}

/**
 * call_as() - send a well-formed request as @cred and wait for its reply
 * @s:      session
 * @cred:   caller credentials put on the wire
 * @opcode: request
 * @fmt:    the request's codec format after its 'C'
 *
 * Return: the server's errno (0 or negative), R_CLOSED or R_BAD.
 */
int call_as(struct sess *s, const struct qtfs_cred *cred, u16 opcode,
	    const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcall_as(s, cred, opcode, fmt, ap);
	va_end(ap);
	return ret;
}

/** call() - call_as() with root's credentials and no groups */
int call(struct sess *s, u16 opcode, const char *fmt, ...)
{
	static const struct qtfs_cred root;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcall_as(s, &root, opcode, fmt, ap);
	va_end(ap);
	return ret;
}

/* A raw request; then the reply, or R_CLOSED. */
int call_raw(struct sess *s, u16 opcode, u16 flags, s32 error,
		    const struct hw_raw *r, s64 len_adj)
{
	u64 id = s->next_id++;
	int ret;

	ret = hw_send_raw(s->fd, opcode, flags, id, error, r, len_adj);
	if (ret == HW_CLOSED)
		return R_CLOSED;
	if (ret)
		return R_BAD;
	return reply(s, id, opcode);
}

int hello_fields(struct sess *s, u32 magic, u16 major, u32 features,
			u32 maxmsg, const void *blob, u32 bloblen)
{
	u64 id = s->next_id++;
	int ret;

	ret = hw_send_msg(s->fd, QTFS_OP_HELLO, 0, id, 0, "dhhddB", magic,
			  major, QTFS_PROTO_MINOR, features, maxmsg, blob,
			  bloblen);
	if (ret == HW_CLOSED)
		return R_CLOSED;
	if (ret)
		return R_BAD;
	return reply(s, id, QTFS_OP_HELLO);
}

int hello(struct sess *s)
{
	return hello_fields(s, QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR, 0,
			    QTFS_MSG_MAX, NULL, 0);
}

int sess_open(struct sess *s)
{
	s->next_id = 1;
	s->fd = hw_connect(&addr);
	if (s->fd < 0) {
		printf("  connect: %s\n", strerror(-s->fd));
		tk_check("connect", 0);
		return -1;
	}
	return 0;
}

/* Connect, HELLO and MOUNT the export. */
int sess_mount(struct sess *s)
{
	if (sess_open(s))
		return -1;
	if (hello(s) || call(s, QTFS_OP_MOUNT, "s", export)) {
		printf("  HELLO + MOUNT %s failed\n", export);
		tk_check("HELLO + MOUNT", 0);
		close(s->fd);
		return -1;
	}
	return 0;
}

void sess_close(struct sess *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* After a malformed message the server must close the connection. */
void expect_closed(struct sess *s, const char *what, int got)
{
	if (got == R_CLOSED || got == R_BAD) {
		/* R_BAD: a send into a connection already being torn down */
		got = hw_wait_closed(s->fd, HW_RECV_TIMEOUT_S) ? R_BAD :
								  R_CLOSED;
	}
	expect(what, got, R_CLOSED);
}

/* One malformed raw request on a fresh mounted connection: closed. */
void attack_raw(const char *what, u16 opcode, u16 flags, s32 error,
		       const struct hw_raw *r, s64 len_adj)
{
	struct sess s;

	if (sess_mount(&s))
		return;
	expect_closed(&s, what, call_raw(&s, opcode, flags, error, r,
					 len_adj));
	sess_close(&s);
}

