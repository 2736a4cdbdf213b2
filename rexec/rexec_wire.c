// SPDX-License-Identifier: GPL-2.0
/*
 * What rexec and rexec_server share (see rexec.h): frames of
 * include/uapi/qtfs_rexec.h built and checked with qtfs's codec, the
 * environment allow-list and the whitelist of binaries.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "qtfs_path.h"
#include "rexec.h"

static_assert(sizeof(struct qtfs_hdr) == QTFS_HDR_SIZE, "header size");
static_assert(QTFS_REXEC_ARGS_MAX <= QTFS_IO_MAX, "EXEC blobs fit 'B'");
static_assert(QTFS_REXEC_DATA_MAX <= QTFS_IO_MAX, "DATA blob fits 'B'");

static const char *const rexec_op_names[QTFS_REXEC_OP_MAX + 1] = {
	[QTFS_REXEC_OP_HELLO] = "HELLO",
	[QTFS_REXEC_OP_EXEC] = "EXEC",
	[QTFS_REXEC_OP_DATA] = "DATA",
	[QTFS_REXEC_OP_EOF] = "EOF",
	[QTFS_REXEC_OP_SIGNAL] = "SIGNAL",
	[QTFS_REXEC_OP_WINSIZE] = "WINSIZE",
	[QTFS_REXEC_OP_EXIT] = "EXIT",
};

/**
 * rexec_op_name() - name of an opcode for log lines
 * @op: opcode from a checked header
 *
 * Return: its name, or "?" for one that is not defined.
 */
const char *rexec_op_name(uint16_t op)
{
	return op <= QTFS_REXEC_OP_MAX && rexec_op_names[op] ?
	       rexec_op_names[op] : "?";
}

/**
 * rexec_conn_init() - start framing on a socket
 * @c:  connection to set up
 * @fd: connected unix stream socket; @c owns it from now on
 *
 * Return: 0 or -ENOMEM (@fd is closed then).
 */
int rexec_conn_init(struct rexec_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->rx = malloc(QTFS_REXEC_MSG_MAX);
	c->tx = g_byte_array_new();
	if (!c->rx) {
		rexec_conn_destroy(c);
		return -ENOMEM;
	}
	return 0;
}

/**
 * rexec_conn_destroy() - close the socket and free the buffers
 * @c: connection set up by rexec_conn_init(); may be destroyed twice
 */
void rexec_conn_destroy(struct rexec_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rx);
	c->rx = NULL;
	if (c->tx)
		g_byte_array_free(c->tx, TRUE);
	c->tx = NULL;
}

/* Append one message built from @fmt and @ap to @c's queue. */
static int rexec_vsend(struct rexec_conn *c, uint16_t op, uint16_t flags,
		       uint64_t id, int32_t error, const char *fmt, va_list ap)
{
	uint32_t min, max, old = c->tx->len;
	struct qtfs_buf b;
	int ret;

	if (qtfs_fmt_bounds(fmt, &min, &max))
		return -EINVAL;
	if (max > QTFS_REXEC_MSG_MAX)
		max = QTFS_REXEC_MSG_MAX;
	g_byte_array_set_size(c->tx, old + QTFS_HDR_SIZE + max);
	qtfs_buf_init(&b, c->tx->data + old, QTFS_HDR_SIZE + max);
	qtfs_proto_begin(&b, op, flags, id, error);
	qtfs_proto_vpack(&b, fmt, ap);
	ret = qtfs_proto_end(&b);
	g_byte_array_set_size(c->tx, ret ? old : old + b.pos);
	return ret;
}

/**
 * rexec_send() - queue one message
 * @c:     connection
 * @op:    &enum qtfs_rexec_op
 * @flags: %QTFS_HDR_REPLY for a reply, else 0
 * @id:    request id (0 for the unsolicited messages)
 * @error: 0 or -errno of a reply (with an empty @fmt)
 * @fmt:   payload format of qtfs's codec, followed by the values
 *
 * The message is written by rexec_flush().
 *
 * Return: 0, or -EMSGSIZE if it would exceed %QTFS_REXEC_MSG_MAX.
 */
int rexec_send(struct rexec_conn *c, uint16_t op, uint16_t flags,
	       uint64_t id, int32_t error, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = rexec_vsend(c, op, flags, id, error, fmt, ap);
	va_end(ap);
	return ret;
}

/**
 * rexec_send_data() - queue bytes of one stream as DATA messages
 * @c:      connection
 * @stream: %QTFS_REXEC_STDIN, _STDOUT or _STDERR
 * @data:   bytes
 * @len:    how many (any number; split into %QTFS_REXEC_DATA_MAX pieces)
 *
 * Return: 0 or -errno.
 */
int rexec_send_data(struct rexec_conn *c, uint8_t stream, const void *data,
		    uint32_t len)
{
	const uint8_t *p = data;
	uint32_t n;
	int ret;

	while (len) {
		n = len < QTFS_REXEC_DATA_MAX ? len : QTFS_REXEC_DATA_MAX;
		ret = rexec_send(c, QTFS_REXEC_OP_DATA, 0, 0, 0, "bB", stream,
				 p, n);
		if (ret)
			return ret;
		p += n;
		len -= n;
	}
	return 0;
}

/**
 * rexec_flush() - write what is queued, as far as the socket takes it
 * @c: connection
 *
 * Return: 0 (the queue may still hold bytes on a non-blocking socket) or
 * -errno of the socket.
 */
int rexec_flush(struct rexec_conn *c)
{
	ssize_t n;

	while (c->tx->len) {
		n = send(c->fd, c->tx->data, c->tx->len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		g_byte_array_remove_range(c->tx, 0, n);
	}
	return 0;
}

/* Read into @c->rx up to @want bytes; return: 1 full, 0 later, -errno. */
static int rexec_fill(struct rexec_conn *c, uint32_t want)
{
	ssize_t n;

	while (c->rxlen < want) {
		n = recv(c->fd, c->rx + c->rxlen, want - c->rxlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (!n)
			return c->rxlen ? -ECONNRESET : -ENODATA;
		c->rxlen += n;
	}
	return 1;
}

/**
 * rexec_recv() - receive the next frame
 * @c: connection
 *
 * Checks the header as qtfs does (qtfs_proto_decode_hdr()), its length
 * against %QTFS_REXEC_MSG_MAX and its opcode against the protocol's; the
 * payload is checked by rexec_args() against the format its receiver
 * expects.  After handling a frame, call rexec_recv_done().
 *
 * Return: 1 with the frame in @c->hdr and @c->rx, 0 if the socket has no
 * more for now, -ENODATA at end of file between frames, -ECONNRESET at
 * end of file within one, -EPROTO for a malformed header, -EMSGSIZE for
 * a frame too long, -ENOSYS for an unknown opcode, or -errno of the socket.
 */
int rexec_recv(struct rexec_conn *c)
{
	int ret;

	if (c->rxlen < QTFS_HDR_SIZE) {
		ret = rexec_fill(c, QTFS_HDR_SIZE);
		if (ret <= 0)
			return ret;
		if (qtfs_proto_decode_hdr(c->rx, &c->hdr))
			return -EPROTO;
		if (c->hdr.len > QTFS_REXEC_MSG_MAX)
			return -EMSGSIZE;
		if (!c->hdr.opcode || c->hdr.opcode > QTFS_REXEC_OP_MAX)
			return -ENOSYS;
	}
	return rexec_fill(c, c->hdr.len);
}

/**
 * rexec_recv_done() - the frame of rexec_recv() is handled; drop it
 * @c: connection
 */
void rexec_recv_done(struct rexec_conn *c)
{
	c->rxlen = 0;
}

/**
 * rexec_args() - decode the payload of the received frame
 * @c:   connection whose rexec_recv() returned 1
 * @fmt: the format the payload must have, followed by pointers to the
 *       values (as qtfs_proto_unpack())
 *
 * The payload must use up exactly what @fmt describes; an error reply
 * has none.
 *
 * Return: 0 or -EPROTO.
 */
int rexec_args(const struct rexec_conn *c, const char *fmt, ...)
{
	uint32_t plen = c->hdr.len - QTFS_HDR_SIZE, min, max;
	struct qtfs_buf b;
	va_list ap;
	int ret;

	if (qtfs_fmt_bounds(fmt, &min, &max) || plen < min || plen > max)
		return -EPROTO;
	qtfs_buf_init(&b, c->rx + QTFS_HDR_SIZE, plen);
	va_start(ap, fmt);
	ret = qtfs_proto_vunpack(&b, fmt, ap);
	va_end(ap);
	return ret || b.pos != plen ? -EPROTO : 0;
}

/**
 * rexec_strv_parse() - split a blob of NUL-terminated strings
 * @blob: strings back to back, each with its NUL
 * @len:  length of @blob; 0 for no string
 * @max:  most strings accepted
 * @out:  the strings are appended here, pointing into @blob
 *
 * Return: 0, or -EPROTO if the last string has no NUL or there are more
 * than @max.
 */
int rexec_strv_parse(const void *blob, uint32_t len, unsigned int max,
		     GPtrArray *out)
{
	const char *p = blob, *end = p + len;
	unsigned int n = 0;

	if (len && end[-1])
		return -EPROTO;
	while (p < end) {
		if (++n > max)
			return -EPROTO;
		g_ptr_array_add(out, (char *)p);
		p += strlen(p) + 1;
	}
	return 0;
}

/* Is @s[0..@n) a valid environment variable name? */
static bool rexec_env_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || isdigit((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/**
 * rexec_envlist_parse() - parse an environment allow-list
 * @list: names separated by commas; a name may end in '*' to allow every
 *        variable that starts with it ("LC_*"); "" allows none
 * @out:  the patterns, a new array of strings the caller frees with
 *        g_ptr_array_unref()
 *
 * Return: 0 or -EINVAL for a pattern that is not a variable name.
 */
int rexec_envlist_parse(const char *list, GPtrArray **out)
{
	gchar **parts = g_strsplit(list, ",", -1);
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	size_t n;
	int i;

	for (i = 0; *list && parts[i]; i++) {
		n = strlen(parts[i]);
		if (n && parts[i][n - 1] == '*')
			n--;
		if (!rexec_env_name_ok(parts[i], n)) {
			g_strfreev(parts);
			g_ptr_array_unref(a);
			return -EINVAL;
		}
		g_ptr_array_add(a, g_strdup(parts[i]));
	}
	g_strfreev(parts);
	*out = a;
	return 0;
}

/**
 * rexec_envlist_match() - does an allow-list admit an environment entry?
 * @allow: patterns of rexec_envlist_parse()
 * @entry: "NAME=value"
 *
 * Return: true if @entry is well formed and its name is allowed.
 */
bool rexec_envlist_match(const GPtrArray *allow, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t n, plen;
	unsigned int i;

	if (!eq || !rexec_env_name_ok(entry, eq - entry))
		return false;
	n = eq - entry;
	for (i = 0; i < allow->len; i++) {
		const char *pat = g_ptr_array_index(allow, i);

		plen = strlen(pat);
		if (plen && pat[plen - 1] == '*') {
			if (n >= plen - 1 && !strncmp(entry, pat, plen - 1))
				return true;
		} else if (plen == n && !strncmp(entry, pat, n)) {
			return true;
		}
	}
	return false;
}

/**
 * rexec_whitelist_load() - read the whitelist of binaries
 * @path:   file: one absolute, normalised path per line; blank lines and
 *          lines starting with '#' are ignored, blanks around a path too
 * @out:    the paths, a new array the caller frees with g_ptr_array_unref()
 * @why:    on failure, the reason (naming the line)
 * @whylen: size of @why
 *
 * Return: 0, -errno of opening or reading @path, or -EINVAL for a bad
 * line (nothing is returned then).
 */
int rexec_whitelist_load(const char *path, GPtrArray **out, char *why,
			 size_t whylen)
{
	char norm[QTFS_PATH_MAX], *line = NULL, *p;
	GPtrArray *wl;
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	wl = g_ptr_array_new_with_free_func(g_free);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)n != strlen(line)) {
			ret = -EINVAL;
			snprintf(why, whylen, "%s:%u: NUL byte", path, lineno);
			break;
		}
		g_strstrip(line);
		if (!line[0] || line[0] == '#')
			continue;
		p = line;
		if (strlen(p) >= sizeof(norm) ||
		    qtfs_path_normalize(norm, sizeof(norm), p) ||
		    strcmp(norm, p)) {
			ret = -EINVAL;
			snprintf(why, whylen,
				 "%s:%u: not an absolute, normalised path: %.64s",
				 path, lineno, p);
			break;
		}
		g_ptr_array_add(wl, g_strdup(p));
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		snprintf(why, whylen, "%s: read error", path);
	}
	free(line);
	fclose(f);
	if (ret) {
		g_ptr_array_unref(wl);
		return ret;
	}
	*out = wl;
	return 0;
}

/**
 * rexec_whitelist_allows() - is a binary on the whitelist?
 * @wl:     paths of rexec_whitelist_load()
 * @binary: the path asked for, as received
 *
 * The comparison is exact: the path that is executed is the path that was
 * listed (a symlink listed runs what it points to, as for any execve).
 *
 * Return: true if @binary is listed.
 */
bool rexec_whitelist_allows(const GPtrArray *wl, const char *binary)
{
	unsigned int i;

	for (i = 0; i < wl->len; i++)
		if (!strcmp(g_ptr_array_index(wl, i), binary))
			return true;
	return false;
}

/**
 * rexec_log_file() - send the log lines to $REXEC_LOG_FILE
 * @path: the file, opened for appending (created mode 0600)
 *
 * qt_log() writes to stderr; stderr becomes @path and the program's real
 * stderr is handed back on another descriptor.
 *
 * Return: a descriptor of the original stderr (close-on-exec), or -errno
 * (nothing changed then).
 */
int rexec_log_file(const char *path)
{
	int saved, fd, err;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved < 0 || dup2(fd, STDERR_FILENO) < 0) {
		err = -errno;
		if (saved >= 0)
			close(saved);
		close(fd);
		return err;
	}
	close(fd);
	return saved;
}

/**
 * rexec_parse_level() - parse a --log-level value
 * @s:     ERR, WARN, INFO or DEBUG (any case)
 * @level: the level
 *
 * Return: 0 or -EINVAL.
 */
int rexec_parse_level(const char *s, enum qt_log_level *level)
{
	static const char *const names[] = {
		[QT_LOG_ERR] = "ERR",
		[QT_LOG_WARN] = "WARN",
		[QT_LOG_INFO] = "INFO",
		[QT_LOG_DEBUG] = "DEBUG",
	};
	unsigned int i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		if (!strcasecmp(s, names[i])) {
			*level = i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * rexec_set_nonblock() - make a descriptor non-blocking
 * @fd: descriptor
 *
 * Return: 0 or -errno.
 */
int rexec_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	return 0;
}
