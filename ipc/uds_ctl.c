// SPDX-License-Identifier: GPL-2.0
/*
 * udsproxyd's control socket (doc/ipc.md, "Diagnostics"): `<socket>.ctl`,
 * mode 0600 and root's only, for `qtinfo uds`.
 *
 * One request per connection, a line of text:
 *   stats          counters since start, "NAME VALUE" per line
 *   conns          the live connections, one per line after a header
 *   log            the log level in force
 *   log LEVEL      set it (ERR WARN INFO DEBUG)
 * The answer is "ok" and the body, or one line "error ENAME: why"; then
 * the daemon closes.  Text, so that `socat - UNIX:...ctl` works too.
 * The request is checked byte by byte before anything is done: at most
 * %UDS_CTL_LINE_MAX bytes with its newline, printable ASCII, words
 * separated by one blank; anything else is an error and changes nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "udsproxyd.h"

/* Longest request, its newline included. */
#define UDS_CTL_LINE_MAX	64

/**
 * struct uds_ctl - one control connection
 * @d:      daemon
 * @fd:     the connection
 * @watch:  its watch
 * @timer:  the request's timeout
 * @in:     the request so far
 * @inlen:  bytes in @in
 * @out:    the answer (malloc()ed), once the request is in
 * @outlen: its length
 * @outoff: bytes of it written
 */
struct uds_ctl {
	struct uds_daemon *d;
	int fd;
	int watch;
	int timer;
	char in[UDS_CTL_LINE_MAX];
	size_t inlen;
	char *out;
	size_t outlen;
	size_t outoff;
};

static const char *const uds_level_names[] = {
	[QT_LOG_ERR] = "ERR", [QT_LOG_WARN] = "WARN",
	[QT_LOG_INFO] = "INFO", [QT_LOG_DEBUG] = "DEBUG",
};

/**
 * uds_level_name() - a log level's name on the command line
 * @level: level
 *
 * Return: "ERR", "WARN", "INFO" or "DEBUG".
 */
const char *uds_level_name(enum qt_log_level level)
{
	return level <= QT_LOG_DEBUG ? uds_level_names[level] : "?";
}

/**
 * uds_level_parse() - a log level by name
 * @s:     "ERR", "WARN", "INFO" or "DEBUG"
 * @level: result
 *
 * Return: 0 or -EINVAL.
 */
int uds_level_parse(const char *s, enum qt_log_level *level)
{
	unsigned int i;

	for (i = 0; i < sizeof(uds_level_names) / sizeof(uds_level_names[0]);
	     i++) {
		if (!strcmp(s, uds_level_names[i])) {
			*level = i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * uds_set_level() - put a log level in force, and say so in the log
 * @d:     daemon
 * @level: level
 */
void uds_set_level(struct uds_daemon *d, enum qt_log_level level)
{
	d->level = level;
	qt_log_set_level(level);
	qt_log(QT_LOG_ERR, "log level %s", uds_level_name(level));
}

static void ctl_free(struct uds_ctl *t)
{
	qt_evloop_del(t->d->loop, t->watch);
	qt_evloop_del(t->d->loop, t->timer);
	close(t->fd);
	free(t->out);
	t->d->nr_ctl--;
	free(t);
}

/* A path as one word: blanks, backslashes and control bytes as \xHH. */
static void ctl_put_path(FILE *f, const char *p)
{
	for (; *p; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '\\')
			fputc(*p, f);
		else
			fprintf(f, "\\x%02x", (unsigned char)*p);
	}
}

static void ctl_stats(struct uds_ctl *t, FILE *f)
{
	const struct uds_stats *st = &t->d->stats;

	fprintf(f, "connections %u\n", t->d->nr_conns);
	fprintf(f, "max_connections %u\n", t->d->max_conns);
	fprintf(f, "connections_total %llu\n", (unsigned long long)st->conns);
	fprintf(f, "refused %llu\n", (unsigned long long)st->refused);
	fprintf(f, "errors %llu\n", (unsigned long long)st->errors);
	fprintf(f, "bytes_to_peer %llu\n", (unsigned long long)st->bytes_out);
	fprintf(f, "bytes_from_peer %llu\n",
		(unsigned long long)st->bytes_in);
	fprintf(f, "datagrams_dropped %llu\n",
		(unsigned long long)st->dropped);
}

static void ctl_conns(struct uds_ctl *t, FILE *f)
{
	static const char *const types[] = {
		[QTFS_UDS_STREAM] = "stream", [QTFS_UDS_SEQPACKET] = "seqpacket",
		[QTFS_UDS_DGRAM] = "dgram",
	};
	uint64_t now = uds_now_ms();
	const struct uds_conn *c;

	fprintf(f, "id side type state uid bytes_to_peer bytes_from_peer seconds path\n");
	for (c = t->d->conns; c; c = c->next) {
		fprintf(f, "%llu %s %s %s %u %llu %llu %llu ",
			(unsigned long long)c->id,
			c->local ? "local" : "remote",
			c->type <= QTFS_UDS_DGRAM && types[c->type] ?
			types[c->type] : "?",
			uds_conn_state_name(c->state), c->creds.fsuid,
			(unsigned long long)c->bytes_out,
			(unsigned long long)c->bytes_in,
			(unsigned long long)(now - c->start_ms) / 1000);
		/* no path yet while the request is being read */
		if (c->path[0])
			ctl_put_path(f, c->path);
		else
			fputc('-', f);
		fputc('\n', f);
	}
}

/*
 * Check and carry out the request line @req (its newline removed);
 * write the answer to @f.
 */
static void ctl_request(struct uds_ctl *t, char *req, FILE *f)
{
	enum qt_log_level level;
	char *arg = strchr(req, ' ');
	const char *p;

	for (p = req; *p; p++) {
		if (*p < ' ' || *p > '~') {
			fprintf(f, "error EINVAL: the request has a byte that is not printable ASCII\n");
			return;
		}
	}
	if (arg)
		*arg++ = '\0';
	if (arg && (!*arg || strchr(arg, ' '))) {
		fprintf(f, "error EINVAL: words are separated by one blank, at most two words\n");
		return;
	}
	if (!strcmp(req, "stats") || !strcmp(req, "conns")) {
		if (arg) {
			fprintf(f, "error EINVAL: '%s' takes no argument\n", req);
			return;
		}
		fputs("ok\n", f);
		if (req[0] == 's')
			ctl_stats(t, f);
		else
			ctl_conns(t, f);
		return;
	}
	if (!strcmp(req, "log")) {
		if (arg && uds_level_parse(arg, &level)) {
			fprintf(f, "error EINVAL: invalid log level '%s': use ERR, WARN, INFO or DEBUG\n",
				arg);
			return;
		}
		if (arg)
			uds_set_level(t->d, level);
		fprintf(f, "ok\nlevel %s\n", uds_level_name(t->d->level));
		return;
	}
	fprintf(f, "error EINVAL: unknown request '%s': use stats, conns, log or log LEVEL\n",
		req);
}

/*
 * The request is in (or is bad, @err): make the answer.  Return: 0, or
 * -ENOMEM.
 */
static int ctl_answer(struct uds_ctl *t, char *req, const char *err)
{
	FILE *f = open_memstream(&t->out, &t->outlen);

	if (!f)
		return -ENOMEM;
	if (err)
		fprintf(f, "%s\n", err);
	else
		ctl_request(t, req, f);
	if (fclose(f)) {
		free(t->out);
		t->out = NULL;
		return -ENOMEM;
	}
	qt_evloop_del(t->d->loop, t->timer);
	t->timer = 0;
	return 0;
}

/*
 * Write what the socket takes of the answer.  Return: 1 all written (or
 * the reader is gone: done either way), 0 it must wait for room.
 */
static int ctl_flush(struct uds_ctl *t)
{
	ssize_t n;

	while (t->outoff < t->outlen) {
		n = send(t->fd, t->out + t->outoff, t->outlen - t->outoff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : 1;
		t->outoff += n;
	}
	return 1;
}

static bool ctl_event(void *ctx, int fd, unsigned int events);

/*
 * Send the answer; what does not fit now goes when there is room.  The
 * caller's watch (reading) is gone after this: it returns false.
 */
static bool ctl_reply(struct uds_ctl *t, int err)
{
	t->watch = 0;
	if (err || ctl_flush(t)) {
		ctl_free(t);
		return false;
	}
	t->watch = qt_evloop_add_fd(t->d->loop, t->fd, QT_EV_OUT, ctl_event,
				    t);
	if (t->watch < 0) {
		t->watch = 0;
		ctl_free(t);
	}
	return false;
}

static bool ctl_event(void *ctx, int fd, unsigned int events)
{
	struct uds_ctl *t = ctx;
	char *nl;
	ssize_t n;

	(void)events;
	if (t->out) {
		if (!ctl_flush(t))
			return true;
		t->watch = 0;
		ctl_free(t);
		return false;
	}
	n = recv(fd, t->in + t->inlen, sizeof(t->in) - t->inlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		t->watch = 0;
		ctl_free(t);
		return false;
	}
	t->inlen += n;
	nl = memchr(t->in, '\n', t->inlen);
	if (memchr(t->in, '\0', t->inlen))
		return ctl_reply(t, ctl_answer(t, NULL, "error EINVAL: the request has a NUL byte"));
	if (nl && nl != t->in + t->inlen - 1)
		return ctl_reply(t, ctl_answer(t, NULL, "error EINVAL: one request per connection"));
	if (nl) {
		*nl = '\0';
		return ctl_reply(t, ctl_answer(t, t->in, NULL));
	}
	if (t->inlen == sizeof(t->in))
		return ctl_reply(t, ctl_answer(t, NULL, "error EINVAL: the request is longer than 63 bytes"));
	return true;
}

/* No whole request in time: say so, then close. */
static bool ctl_timeout(void *ctx)
{
	struct uds_ctl *t = ctx;

	t->timer = 0;
	qt_evloop_del(t->d->loop, t->watch);
	ctl_reply(t, ctl_answer(t, NULL, "error ETIMEDOUT: no request within 5 seconds"));
	return false;
}

static bool ctl_accept(void *ctx, int fd, unsigned int events)
{
	struct uds_daemon *d = ctx;
	socklen_t len = sizeof(struct ucred);
	struct ucred uc = { .uid = (uid_t)-1 };
	struct uds_ctl *t;
	int s;

	(void)events;
	while ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	       0) {
		/* mode 0600 already; the kernel's word on who it is, too */
		if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len) ||
		    uc.uid || d->nr_ctl >= UDS_CTL_MAX) {
			uds_peer_log(QT_LOG_WARN, "control socket: refusing a connection of uid %d",
				     (int)uc.uid);
			close(s);
			continue;
		}
		t = calloc(1, sizeof(*t));
		if (!t) {
			close(s);
			continue;
		}
		t->d = d;
		t->fd = s;
		d->nr_ctl++;
		t->timer = qt_evloop_add_timer(d->loop, UDS_CTL_TIMEOUT_MS,
					       ctl_timeout, t);
		if (t->timer < 0) {
			t->timer = 0;
			ctl_free(t);
			continue;
		}
		t->watch = qt_evloop_add_fd(d->loop, s, QT_EV_IN, ctl_event, t);
		if (t->watch < 0) {
			t->watch = 0;
			ctl_free(t);
		}
	}
	return true;
}

/**
 * uds_ctl_listen() - open the control socket next to the local socket
 * @d:         daemon
 * @sock_path: the local socket's path; the control socket adds ".ctl"
 *
 * Return: the listening socket, or -1 after a log line.
 */
int uds_ctl_listen(struct uds_daemon *d, const char *sock_path)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;

	snprintf(path, sizeof(path), "%s%s", sock_path, UDS_CTL_SUFFIX);
	fd = uds_listen_unix(path, SOCK_STREAM, 0600);
	if (fd >= 0 &&
	    qt_evloop_add_fd(d->loop, fd, QT_EV_IN, ctl_accept, d) < 0) {
		qt_err("out of memory");
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}
