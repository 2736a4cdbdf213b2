// SPDX-License-Identifier: GPL-2.0
/*
 * Client of the qtfs_testpeer line protocol; see peer.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "peer.h"

/* Largest errno value accepted from the peer; anything else is -EPROTO. */
#define PEER_ERRNO_MAX	4095

/* Describe a local or protocol failure in p->reply. */
__attribute__((format(printf, 2, 3)))
static void peer_fail(struct peer *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->reply, sizeof(p->reply), fmt, ap);
	va_end(ap);
}

int peer_connect(struct peer *p, const char *hostport, unsigned int timeout_s)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct timeval tv = { .tv_sec = timeout_s };
	struct addrinfo *ai;
	const char *h = hostport, *colon, *port;
	char host[256];
	size_t hlen;
	int one = 1, ret, err;

	p->fd = -1;
	p->rlen = 0;
	snprintf(p->req, sizeof(p->req), "connect %s", hostport);
	if (hostport[0] == '[') {
		const char *rb = strchr(hostport, ']');

		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
		h = hostport + 1;
		hlen = rb ? (size_t)(rb - h) : 0;
	} else {
		colon = strrchr(hostport, ':');
		hlen = colon ? (size_t)(colon - hostport) : 0;
	}
	if (!colon || !hlen || hlen >= sizeof(host) || !colon[1]) {
		peer_fail(p, "expected IP:PORT");
		return -EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	port = colon + 1;
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret) {
		peer_fail(p, "%s", gai_strerror(ret));
		return -EINVAL;
	}
	p->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect(p->fd, ai->ai_addr, ai->ai_addrlen)) {
		err = errno;
		freeaddrinfo(ai);
		peer_fail(p, "%s", strerror(err));
		peer_close(p);
		return -err;
	}
	freeaddrinfo(ai);
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

void peer_close(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->rlen = 0;
}

const char *peer_last(struct peer *p)
{
	static char msg[sizeof(p->req) + 512];

	snprintf(msg, sizeof(msg), "testpeer \"%.250s\": %.500s", p->req,
		 p->reply);
	return msg;
}

static int peer_send_all(struct peer *p, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(p->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			int err = errno == EAGAIN ? ETIMEDOUT : errno;

			if (errno == EINTR)
				continue;
			peer_fail(p, "send: %s", strerror(err));
			return -err;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one reply line into p->reply; 0 or -errno. */
static int peer_recv_line(struct peer *p)
{
	for (;;) {
		char *nl = memchr(p->rbuf, '\n', p->rlen);
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - p->rbuf);

			memcpy(p->reply, p->rbuf, len);
			p->reply[len] = '\0';
			p->rlen -= len + 1;
			memmove(p->rbuf, nl + 1, p->rlen);
			return 0;
		}
		if (p->rlen == sizeof(p->rbuf)) {
			peer_fail(p, "reply line too long");
			return -EPROTO;
		}
		n = recv(p->fd, p->rbuf + p->rlen, sizeof(p->rbuf) - p->rlen, 0);
		if (n == 0) {
			peer_fail(p, "connection closed by testpeer");
			return -EPIPE;
		}
		if (n < 0) {
			int err = errno == EAGAIN ? ETIMEDOUT : errno;

			if (errno == EINTR)
				continue;
			peer_fail(p, "recv: %s", strerror(err));
			return -err;
		}
		p->rlen += (size_t)n;
	}
}

/* Turn p->reply into the result and leave only the payload in it. */
static int peer_parse_reply(struct peer *p)
{
	char *end;
	long err;

	if (!strcmp(p->reply, "OK")) {
		p->reply[0] = '\0';
		return 0;
	}
	if (!strncmp(p->reply, "OK ", 3)) {
		memmove(p->reply, p->reply + 3, strlen(p->reply + 3) + 1);
		return 0;
	}
	if (strncmp(p->reply, "ERR ", 4))
		goto bad;
	errno = 0;
	err = strtol(p->reply + 4, &end, 10);
	if (errno || end == p->reply + 4 || err <= 0 || err > PEER_ERRNO_MAX ||
	    (*end && *end != ' '))
		goto bad;
	memmove(p->reply, end + !!*end, strlen(end + !!*end) + 1);
	return -(int)err;
bad:
	{
		char copy[128];

		snprintf(copy, sizeof(copy), "%.100s", p->reply);
		peer_fail(p, "malformed reply \"%s\"", copy);
	}
	return -EPROTO;
}

int peer_cmd(struct peer *p, const char *fmt, ...)
{
	char line[TESTPEER_LINE_MAX];
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	snprintf(p->req, sizeof(p->req), "%.200s%s", line,
		 n > 200 ? "..." : "");
	if (p->fd < 0) {
		peer_fail(p, "not connected");
		return -ENOTCONN;
	}
	if (n < 0 || (size_t)n >= sizeof(line) - 1) {
		peer_fail(p, "request too long");
		return -E2BIG;
	}
	line[n++] = '\n';
	ret = peer_send_all(p, line, (size_t)n);
	if (ret)
		return ret;
	ret = peer_recv_line(p);
	if (ret)
		return ret;
	return peer_parse_reply(p);
}

/*
 * Parse the OK payload as @n unsigned numbers, each in the base given by
 * @bases[i] (10, 8 or 16).  -EPROTO if it does not match exactly.
 */
static int peer_scan(struct peer *p, int n, const int *bases, uint64_t *out)
{
	const char *s = p->reply;
	int i;

	for (i = 0; i < n; i++) {
		unsigned long long v;
		char *end;

		if (*s < '0' || *s > 'f')
			goto bad;
		errno = 0;
		v = strtoull(s, &end, bases[i]);
		if (errno || end == s || (*end && *end != ' ') ||
		    (i == n - 1 && *end))
			goto bad;
		out[i] = v;
		s = *end ? end + 1 : end;
	}
	return 0;
bad:
	{
		char copy[128];

		snprintf(copy, sizeof(copy), "%.100s", p->reply);
		peer_fail(p, "unexpected reply payload \"%s\"", copy);
	}
	return -EPROTO;
}

int peer_ping(struct peer *p)
{
	int ret = peer_cmd(p, "PING");

	if (!ret && strcmp(p->reply, "PONG")) {
		peer_fail(p, "PING answered \"%.64s\"", p->reply);
		return -EPROTO;
	}
	return ret;
}

int peer_write(struct peer *p, const char *rel, uint64_t size, uint64_t seed,
	       uint64_t chunk)
{
	return peer_cmd(p, "WRITE %s %llu %llu %llu", rel,
			(unsigned long long)size, (unsigned long long)seed,
			(unsigned long long)chunk);
}

int peer_pwrite(struct peer *p, const char *rel, uint64_t off, uint64_t len,
		uint64_t seed)
{
	return peer_cmd(p, "PWRITE %s %llu %llu %llu", rel,
			(unsigned long long)off, (unsigned long long)len,
			(unsigned long long)seed);
}

int peer_hash(struct peer *p, const char *rel, uint64_t *size, uint64_t *hash)
{
	static const int bases[] = { 10, 16 };
	uint64_t v[2];
	int ret = peer_cmd(p, "HASH %s", rel);

	if (!ret)
		ret = peer_scan(p, 2, bases, v);
	if (!ret) {
		*size = v[0];
		*hash = v[1];
	}
	return ret;
}

int peer_hashrange(struct peer *p, const char *rel, uint64_t off,
		   uint64_t len, uint64_t *nread, uint64_t *hash)
{
	static const int bases[] = { 10, 16 };
	uint64_t v[2];
	int ret = peer_cmd(p, "HASHRANGE %s %llu %llu", rel,
			   (unsigned long long)off, (unsigned long long)len);

	if (!ret)
		ret = peer_scan(p, 2, bases, v);
	if (!ret) {
		*nread = v[0];
		*hash = v[1];
	}
	return ret;
}

int peer_stat(struct peer *p, const char *rel, struct peer_stat *st)
{
	static const int bases[] = { 8, 10, 10, 10, 10, 10 };
	uint64_t v[6];
	int ret = peer_cmd(p, "STAT %s", rel);

	if (!ret)
		ret = peer_scan(p, 6, bases, v);
	if (!ret) {
		st->mode = (uint32_t)v[0];
		st->size = v[1];
		st->ino = v[2];
		st->nlink = v[3];
		st->uid = (uint32_t)v[4];
		st->gid = (uint32_t)v[5];
	}
	return ret;
}

int peer_mkdir(struct peer *p, const char *rel, unsigned int mode)
{
	return peer_cmd(p, "MKDIR %s %o", rel, mode);
}

int peer_rmdir(struct peer *p, const char *rel)
{
	return peer_cmd(p, "RMDIR %s", rel);
}

int peer_unlink(struct peer *p, const char *rel)
{
	return peer_cmd(p, "UNLINK %s", rel);
}

int peer_list(struct peer *p, const char *rel, uint64_t *count)
{
	static const int bases[] = { 10 };
	int ret = peer_cmd(p, "LIST %s", rel);

	if (!ret)
		ret = peer_scan(p, 1, bases, count);
	return ret;
}

int peer_mkfiles(struct peer *p, const char *rel, unsigned int count,
		 const char *prefix)
{
	return peer_cmd(p, "MKFILES %s %u %s", rel, count, prefix);
}

int peer_rmtree(struct peer *p, const char *rel)
{
	return peer_cmd(p, "RMTREE %s", rel);
}

int peer_putdata(struct peer *p, const char *rel, const void *buf, size_t len)
{
	char hex[2 * TESTPEER_DATA_MAX + 1];
	const unsigned char *b = buf;
	size_t i;

	if (len > TESTPEER_DATA_MAX)
		return -E2BIG;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	hex[2 * len] = '\0';
	return peer_cmd(p, "PUTDATA %s%s%s", rel, len ? " " : "", hex);
}

static int peer_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int peer_getdata(struct peer *p, const char *rel, void *buf, size_t max,
		 size_t *len)
{
	unsigned char *b = buf;
	unsigned long long n;
	const char *hex;
	char *end;
	size_t i;
	int ret;

	if (max > TESTPEER_DATA_MAX)
		return -E2BIG;
	ret = peer_cmd(p, "GETDATA %s %zu", rel, max);
	if (ret)
		return ret;
	errno = 0;
	n = strtoull(p->reply, &end, 10);
	if (errno || end == p->reply || n > max)
		goto bad;
	hex = *end == ' ' ? end + 1 : end;
	if (strlen(hex) != 2 * n)
		goto bad;
	for (i = 0; i < n; i++) {
		int hi = peer_hexval(hex[2 * i]), lo = peer_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto bad;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = (size_t)n;
	return 0;
bad:
	peer_fail(p, "malformed GETDATA payload");
	return -EPROTO;
}

int peer_stop_engine(struct peer *p, unsigned int resume_after_s,
		     unsigned int *threads)
{
	static const int bases[] = { 10 };
	uint64_t v;
	int ret = peer_cmd(p, "STOP_ENGINE %u", resume_after_s);

	if (!ret)
		ret = peer_scan(p, 1, bases, &v);
	if (!ret)
		*threads = (unsigned int)v;
	return ret;
}

int peer_cont_engine(struct peer *p)
{
	return peer_cmd(p, "CONT_ENGINE");
}

/* Parse an "OK <len> [<hex>]" reply into @buf (at most @max bytes). */
static int peer_hexreply(struct peer *p, void *buf, size_t max, size_t *len)
{
	unsigned char *b = buf;
	unsigned long long n;
	const char *hex;
	char *end;
	size_t i;

	errno = 0;
	n = strtoull(p->reply, &end, 10);
	if (errno || end == p->reply || n > max)
		return -EPROTO;
	hex = *end == ' ' ? end + 1 : end;
	if (strlen(hex) != 2 * n)
		return -EPROTO;
	for (i = 0; i < n; i++) {
		int hi = peer_hexval(hex[2 * i]), lo = peer_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EPROTO;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n;
	return 0;
}

int peer_getxattr(struct peer *p, const char *rel, const char *name,
		  void *buf, size_t max, size_t *len)
{
	int ret = peer_cmd(p, "GETXATTR %s %s", rel, name);

	if (!ret)
		ret = peer_hexreply(p, buf, max, len);
	return ret;
}

int peer_accessas(struct peer *p, const char *rel, unsigned int uid,
		  unsigned int gid, int mask)
{
	return peer_cmd(p, "ACCESSAS %s %u %u %d", rel, uid, gid, mask);
}

int peer_param(struct peer *p, const char *name, unsigned int value)
{
	return peer_cmd(p, "PARAM %s %u", name, value);
}

int peer_param_restore(struct peer *p, const char *name)
{
	return peer_cmd(p, "PARAM %s", name);
}
