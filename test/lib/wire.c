// SPDX-License-Identifier: GPL-2.0
/*
 * Raw qtfs wire access for the test programs (see wire.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>
#include "wire.h"

/**
 * hw_parse_addr() - fill @a from command line words
 * @a:     result
 * @trans: "tcp" or "vsock"
 * @where: IPv4 address (tcp) or CID (vsock)
 * @port:  port number
 *
 * Return: 0 or -EINVAL.
 */
int hw_parse_addr(struct hw_addr *a, const char *trans, const char *where,
		  const char *port)
{
	char *end;

	memset(a, 0, sizeof(*a));
	if (!strcmp(trans, "vsock")) {
		a->vsock = 1;
		a->cid = strtoul(where, &end, 0);
		if (*end || !*where)
			return -EINVAL;
	} else if (!strcmp(trans, "tcp")) {
		a->ip = where;
	} else {
		return -EINVAL;
	}
	a->port = strtoul(port, &end, 0);
	if (*end || !*port || a->port > 65535)
		return -EINVAL;
	return 0;
}

static int hw_socket(const struct hw_addr *a, struct sockaddr_storage *ss,
		     socklen_t *sl)
{
	struct sockaddr_vm *vm = (struct sockaddr_vm *)ss;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct timeval tv = { .tv_sec = HW_RECV_TIMEOUT_S };
	int fd;

	memset(ss, 0, sizeof(*ss));
	if (a->vsock) {
		vm->svm_family = AF_VSOCK;
		vm->svm_cid = a->cid;
		vm->svm_port = a->port;
		*sl = sizeof(*vm);
	} else {
		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		if (inet_pton(AF_INET, a->ip, &in->sin_addr) != 1)
			return -EINVAL;
		*sl = sizeof(*in);
	}
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/**
 * hw_connect() - connect a stream socket to @a
 * @a: address
 *
 * Receives and sends time out after %HW_RECV_TIMEOUT_S.
 *
 * Return: the socket, or -errno.
 */
int hw_connect(const struct hw_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, ret;

	fd = hw_socket(a, &ss, &sl);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/**
 * hw_listen() - listen on @a
 * @a: address
 *
 * Return: the listening socket, or -errno.
 */
int hw_listen(const struct hw_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, ret, one = 1;

	fd = hw_socket(a, &ss, &sl);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 16)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/**
 * hw_send() - send all of @buf
 * @fd:  socket
 * @buf: bytes
 * @len: their number
 *
 * Return: 0, %HW_CLOSED if the peer is gone, or -errno.
 */
int hw_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EPIPE || errno == ECONNRESET ?
			       HW_CLOSED : -errno;
		p += n;
		len -= n;
	}
	return 0;
}

int hw_recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return HW_CLOSED;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/**
 * hw_recv() - receive one whole message
 * @fd:      socket
 * @h:       decoded header (not validated beyond its length)
 * @payload: receives the payload
 * @max:     room in @payload
 *
 * Return: 0, %HW_CLOSED, -EMSGSIZE for a payload larger than @max, or
 * -errno (-ETIMEDOUT after %HW_RECV_TIMEOUT_S).
 */
int hw_recv(int fd, struct qtfs_msg_hdr *h, void *payload, size_t max)
{
	unsigned char raw[QTFS_HDR_SIZE];
	int ret;

	ret = hw_recv_all(fd, raw, sizeof(raw));
	if (ret)
		return ret;
	qtfs_proto_decode_hdr(raw, h);
	if (h->len < QTFS_HDR_SIZE || h->len - QTFS_HDR_SIZE > max)
		return -EMSGSIZE;
	return hw_recv_all(fd, payload, h->len - QTFS_HDR_SIZE);
}

/**
 * hw_wait_closed() - wait until the peer closes the stream
 * @fd:   socket
 * @secs: bound
 *
 * Data that arrives meanwhile is read and dropped.
 *
 * Return: 0 once closed, -ETIMEDOUT if still open after @secs.
 */
int hw_wait_closed(int fd, int secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	time_t end = time(NULL) + secs;
	char buf[4096];
	ssize_t n;

	while (time(NULL) < end) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
	}
	return -ETIMEDOUT;
}

/**
 * hw_hdr() - write a raw message header
 * @raw:    %QTFS_HDR_SIZE bytes
 * @len:    length field
 * @opcode: opcode field
 * @flags:  flags field
 * @id:     id field
 * @error:  error field
 */
void hw_hdr(void *raw, u32 len, u16 opcode, u16 flags, u64 id, s32 error)
{
	struct qtfs_hdr h = {
		.len = cpu_to_le32(len),
		.opcode = cpu_to_le16(opcode),
		.flags = cpu_to_le16(flags),
		.id = cpu_to_le64(id),
		.error = cpu_to_le32((u32)error),
	};

	memcpy(raw, &h, sizeof(h));
}

/**
 * hw_send_raw() - send a header and a hand-built payload
 * @fd:      socket
 * @opcode:  opcode field
 * @flags:   flags field
 * @id:      id field
 * @error:   error field
 * @r:       payload, may be NULL
 * @len_adj: added to the true length in the header (a lie)
 *
 * Return: as hw_send().
 */
int hw_send_raw(int fd, u16 opcode, u16 flags, u64 id, s32 error,
		const struct hw_raw *r, s64 len_adj)
{
	static __thread unsigned char msg[QTFS_HDR_SIZE + sizeof(r->data)];
	size_t plen = r ? r->len : 0;

	hw_hdr(msg, (u32)(QTFS_HDR_SIZE + plen + len_adj), opcode, flags, id,
	       error);
	if (plen)
		memcpy(msg + QTFS_HDR_SIZE, r->data, plen);
	return hw_send(fd, msg, QTFS_HDR_SIZE + plen);
}

/**
 * hw_vbuild() - build a well-formed message with the codec
 * @buf:    destination
 * @size:   its size
 * @opcode: opcode
 * @flags:  QTFS_HDR_* flags
 * @id:     id
 * @error:  error (replies)
 * @fmt:    payload format, as qtfs_proto_vpack()
 * @ap:     the fields
 *
 * Return: the message length, or -errno.
 */
int hw_vbuild(void *buf, u32 size, u16 opcode, u16 flags, u64 id, s32 error,
	      const char *fmt, va_list ap)
{
	struct qtfs_buf b;
	int ret;

	qtfs_buf_init(&b, buf, size);
	qtfs_proto_begin(&b, opcode, flags, id, error);
	ret = qtfs_proto_vpack(&b, fmt, ap);
	if (!ret)
		ret = qtfs_proto_end(&b);
	return ret ? ret : (int)b.pos;
}

/**
 * hw_send_msg() - build a message with the codec and send it
 * @fd:     socket
 * @opcode: opcode
 * @flags:  QTFS_HDR_* flags
 * @id:     id
 * @error:  error (replies)
 * @fmt:    payload format
 * @...:    the fields
 *
 * Return: as hw_send(), or the codec's -errno.
 */
int hw_send_msg(int fd, u16 opcode, u16 flags, u64 id, s32 error,
		const char *fmt, ...)
{
	static __thread unsigned char msg[QTFS_MSG_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = hw_vbuild(msg, sizeof(msg), opcode, flags, id, error, fmt, ap);
	va_end(ap);
	if (len < 0)
		return len;
	return hw_send(fd, msg, len);
}

/* ----- hand-built payloads ----- */

/**
 * raw_put() - append bytes (silently dropped past the buffer's end)
 * @r: payload
 * @p: bytes
 * @n: their number
 */
void raw_put(struct hw_raw *r, const void *p, size_t n)
{
	if (n > sizeof(r->data) - r->len)
		n = sizeof(r->data) - r->len;
	memcpy(r->data + r->len, p, n);
	r->len += n;
}

/** raw_u16() - append a le16 @v to @r */
void raw_u16(struct hw_raw *r, u16 v)
{
	__le16 w = cpu_to_le16(v);

	raw_put(r, &w, sizeof(w));
}

/** raw_u32() - append a le32 @v to @r */
void raw_u32(struct hw_raw *r, u32 v)
{
	__le32 w = cpu_to_le32(v);

	raw_put(r, &w, sizeof(w));
}

/** raw_u64() - append a le64 @v to @r */
void raw_u64(struct hw_raw *r, u64 v)
{
	__le64 w = cpu_to_le64(v);

	raw_put(r, &w, sizeof(w));
}

/** raw_cred0() - append root credentials without groups to @r */
void raw_cred0(struct hw_raw *r)
{
	struct qtfs_wire_cred c;

	memset(&c, 0, sizeof(c));
	raw_put(r, &c, sizeof(c));
}

/** raw_str() - append @s as a wire string (length, bytes, NUL) to @r */
void raw_str(struct hw_raw *r, const char *s)
{
	raw_u16(r, strlen(s));
	raw_put(r, s, strlen(s) + 1);
}
