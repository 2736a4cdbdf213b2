// SPDX-License-Identifier: GPL-2.0
/*
 * qtinfo uds: udsproxyd's diagnostics, through its control socket
 * (<its socket>.ctl, root only; doc/ipc.md, "Diagnostics").  The request
 * is checked here before anything is sent, and again by the daemon.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "qt_log.h"
#include "qtinfo.h"

/* Largest answer read: a line per connection of the most there may be. */
#define QTINFO_UDS_ANSWER_MAX	(64U << 20)

static const char *const qtinfo_uds_levels[] = {
	"ERR", "WARN", "INFO", "DEBUG",
};

/* Build the request line from the arguments; 0 or an exit status. */
static int qtinfo_uds_parse(int argc, char **argv, char *req, size_t len)
{
	const char *sub = argc ? argv[0] : "stats";
	size_t i;

	if (strcmp(sub, "stats") && strcmp(sub, "conns") && strcmp(sub, "log")) {
		qt_err("unknown uds subcommand '%s': use stats, conns or log [LEVEL]",
		       sub);
		return QTINFO_EXIT_USAGE;
	}
	if (argc > (strcmp(sub, "log") ? 1 : 2)) {
		qt_err("unexpected argument '%s' (see qtinfo --help)",
		       argv[argc - 1]);
		return QTINFO_EXIT_USAGE;
	}
	if (argc == 2) {
		for (i = 0; i < sizeof(qtinfo_uds_levels) /
			    sizeof(qtinfo_uds_levels[0]); i++)
			if (!strcmp(argv[1], qtinfo_uds_levels[i]))
				break;
		if (i == sizeof(qtinfo_uds_levels) /
			 sizeof(qtinfo_uds_levels[0])) {
			qt_err("invalid udsproxyd log level '%s': use ERR, WARN, INFO or DEBUG",
			       argv[1]);
			return QTINFO_EXIT_USAGE;
		}
	}
	snprintf(req, len, "%s%s%s\n", sub, argc == 2 ? " " : "",
		 argc == 2 ? argv[1] : "");
	return 0;
}

/* Send @req to the control socket of @sock; the answer in *@out. */
static int qtinfo_uds_ask(const char *sock, const char *req, char **out,
			  size_t *outlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t cap = 0, len = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd;

	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.ctl", sock) >=
	    (int)sizeof(sun.sun_path)) {
		qt_err("udsproxyd socket path '%s' is too long", sock);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		n = -errno;
		qt_err("cannot reach udsproxyd at %s: %s%s", sun.sun_path,
		       strerror(-n), n == -EACCES ? " (root only)" :
		       n == -ENOENT || n == -ECONNREFUSED ?
		       " (is udsproxyd running? see --uds-socket)" : "");
		if (fd >= 0)
			close(fd);
		return n;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			nb = cap <= QTINFO_UDS_ANSWER_MAX ? realloc(buf, cap + 1) :
			     NULL;
			if (!nb) {
				qt_err("udsproxyd's answer is too large");
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (n < 0) {
		n = -errno;
		qt_err("reading udsproxyd's answer: %s", strerror(-n));
		free(buf);
		return n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/**
 * qtinfo_uds_main() - the uds command
 * @o:    options (@o->uds_socket)
 * @argc: arguments after "uds"
 * @argv: them
 *
 * Return: an exit status.
 */
int qtinfo_uds_main(const struct qtinfo_opts *o, int argc, char **argv)
{
	char req[64], *ans = NULL;
	size_t len = 0;
	int ret;

	if (o->json) {
		qt_err("uds has no JSON output: its answers are text already");
		return QTINFO_EXIT_USAGE;
	}
	ret = qtinfo_uds_parse(argc, argv, req, sizeof(req));
	if (ret)
		return ret;
	if (qtinfo_uds_ask(o->uds_socket, req, &ans, &len))
		return QTINFO_EXIT_FAIL;
	ret = 0;
	if (!strncmp(ans, "ok\n", 3)) {
		fwrite(ans + 3, 1, len - 3, stdout);
	} else if (!strncmp(ans, "error ", 6) && len && ans[len - 1] == '\n' &&
		   !memchr(ans, '\n', len - 1)) {
		qt_err("udsproxyd: %.*s", (int)len - 1, ans + 6);
		ret = QTINFO_EXIT_FAIL;
	} else {
		qt_err("udsproxyd gave a malformed answer");
		ret = QTINFO_EXIT_FAIL;
	}
	free(ans);
	return ret;
}
