// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of udsproxyd and libudsproxy.so (ipc/, doc/ipc.md) on the
 * host: two udsproxyd over TCP loopback, A (the "server" host, with the
 * socket) and B (the "client" host, whose local socket the test connects
 * through with udsproxy_connect(), as libudsproxy.so's connect(2) does on
 * a qtfs mount), and a real unix socket server program.
 *
 * Every process a test starts dies with it (PR_SET_PDEATHSIG), so a
 * failing test leaves nothing behind.  No port or path is fixed, so that
 * runs side by side never meet: the test binds each daemon's link
 * listener to port 0 and hands it over as socket activation does
 * (LISTEN_FDS), and every socket lives in the mkdtemp() directory.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libudsproxy.h"
#include "qtfs_proto.h"
#include "uapi/qtfs_uds.h"

#define NOBODY		65534
#define KEY1		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY2		"ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static char base[] = "/tmp/check_udsproxyd.XXXXXX";
static char bin[PATH_MAX];
static pid_t pid_a, pid_b, pid_srv;
/* where A listens for B's links, and B for A's */
static int port_a, port_b;

static void pathf(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", base, name);
}

/* --- fixture (unchecked: once per test case, in the runner) ---------- */

static void write_file(const char *name, const char *text, mode_t mode)
{
	char p[PATH_MAX];
	int fd;

	pathf(p, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* Read the file @name below base into @out. */
static void read_file(const char *name, char *out, size_t outlen)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd;

	pathf(p, name);
	fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, out, outlen - 1);
	ck_assert_int_ge(n, 0);
	out[n] = '\0';
	close(fd);
}

static void setup(void)
{
	char p[PATH_MAX], wl[3 * PATH_MAX];
	ssize_t n;

	ck_assert_ptr_nonnull(mkdtemp(base));
	ck_assert_int_eq(chmod(base, 0755), 0);
	n = readlink("/proc/self/exe", bin, sizeof(bin) - 32);
	ck_assert_int_gt(n, 0);
	bin[n] = '\0';
	strcpy(strrchr(bin, '/'), "/../../ipc/udsproxyd");
	pathf(p, "export");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	pathf(p, "export/run");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	pathf(p, "export/other");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(wl, sizeof(wl), "[Mount]\nPath=%s/export\n[Udsconnect]\nPath=%s/export/run\n",
		 base, base);
	write_file("wl", wl, 0644);
	write_file("key1", KEY1 "\n", 0600);
	write_file("key2", KEY2 "\n", 0600);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(base + strlen(base) - 6, "XXXXXX");
}

/* --- processes ------------------------------------------------------- */

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* In a child: die with the test. */
static void die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/*
 * A listening TCP socket on 127.0.0.1:@port for a daemon's links (port 0:
 * any free one); the port it got in *@got.  A port a daemon had before is
 * taken again: its old daemon may hold it a moment after being killed.
 */
static int link_listener(int port, int *got)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	int tries;

	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one,
				    sizeof(one)), 0);
	for (tries = 0; bind(l, (struct sockaddr *)&sin, sizeof(sin)); tries++) {
		ck_assert_int_eq(errno, EADDRINUSE);
		ck_assert_int_lt(tries, 100);
		msleep(20);
	}
	ck_assert_int_eq(listen(l, 16), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	*got = ntohs(sin.sin_port);
	return l;
}

/*
 * In a child: exec udsproxyd with @argv, @lfd as its link listener
 * handed over by socket activation, stderr to @log.
 */
static void exec_daemon(int lfd, const char *log, const char **argv)
{
	char pid[16];
	int fd;

	die_with_parent();
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	dup2(fd, 2);
	if (lfd == 3)
		fcntl(lfd, F_SETFD, 0);
	else
		dup2(lfd, 3);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	execv(bin, (char **)argv);
	_exit(127);
}

/*
 * Start udsproxyd @name ("a" or "b") on the link listener @lfd (port
 * @lport) for a peer on @pport, with @key ("key1", "key2" or NULL) and
 * @extra arguments; wait until it serves.
 */
static pid_t start_daemon_on(const char *name, int lfd, int lport, int pport,
			     const char *key, const char *extra)
{
	char sock[PATH_MAX], wl[PATH_MAX], keyp[PATH_MAX], log[PATH_MAX];
	char lp[16], pp[16];
	const char *argv[16];
	int i, st, n = 0;
	struct stat sb;
	pid_t pid;

	snprintf(lp, sizeof(lp), "%d", lport);
	snprintf(pp, sizeof(pp), "%d", pport);
	snprintf(sock, sizeof(sock), "%s/%s.sock", base, name);
	snprintf(log, sizeof(log), "%s/%s.log", base, name);
	pathf(wl, "wl");
	if (key)
		pathf(keyp, key);
	unlink(sock);
	argv[n++] = bin;
	argv[n++] = "--socket";
	argv[n++] = sock;
	argv[n++] = "--whitelist";
	argv[n++] = wl;
	argv[n++] = "--log-level";
	argv[n++] = "DEBUG";
	if (key) {
		argv[n++] = "--key-file";
		argv[n++] = keyp;
	}
	if (extra)
		argv[n++] = extra;
	argv[n++] = "1";
	argv[n++] = "127.0.0.1";
	argv[n++] = lp;
	argv[n++] = "127.0.0.1";
	argv[n++] = pp;
	argv[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		exec_daemon(lfd, log, argv);
	/* only the daemon holds it: a daemon killed leaves no listener */
	close(lfd);
	for (i = 0; i < 500; i++) {
		if (!stat(sock, &sb))
			return pid;
		ck_assert_msg(waitpid(pid, &st, WNOHANG) != pid,
			      "udsproxyd %s exited (see %s)", name, log);
		msleep(10);
	}
	ck_abort_msg("udsproxyd %s did not start (see %s)", name, log);
	return -1;
}

/* The same on port *@lport, or a free one (0, stored in *@lport). */
static pid_t start_daemon(const char *name, int *lport, int pport,
			  const char *key, const char *extra)
{
	int lfd = link_listener(*lport, lport);

	return start_daemon_on(name, lfd, *lport, pport, key, extra);
}

static void stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

/* Free ports for A and B; the listeners are given to the daemons. */
static void pick_ports(int *la, int *lb)
{
	*la = link_listener(0, &port_a);
	*lb = link_listener(0, &port_b);
}

static void pair_up_extra(const char *key_a, const char *key_b,
			  const char *extra_a, const char *extra_b)
{
	int la, lb;

	/* both ports are known before either daemon starts */
	pick_ports(&la, &lb);
	pid_a = start_daemon_on("a", la, port_a, port_b, key_a, extra_a);
	pid_b = start_daemon_on("b", lb, port_b, port_a, key_b, extra_b);
}

static void pair_up(const char *key_a, const char *key_b)
{
	pair_up_extra(key_a, key_b, NULL, NULL);
}

/*
 * 'c': SO_PASSCRED on, 'k' to the client, then the uid and gid of the
 * SCM_CREDENTIALS of the client's next byte (all ones: none came).
 */
static void serve_creds(int c)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} u;
	uint32_t ids[2] = { UINT32_MAX, UINT32_MAX };
	struct ucred uc;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int one = 1;

	if (setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    write(c, "k", 1) != 1 || recvmsg(c, &mh, 0) != 1)
		_exit(1);
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET &&
	    cm->cmsg_type == SCM_CREDENTIALS) {
		memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
		ids[0] = uc.uid;
		ids[1] = uc.gid;
	}
	if (write(c, ids, sizeof(ids)) != sizeof(ids))
		_exit(1);
}

/*
 * The server program's connection: a command byte from the client, then
 * the caller's uid and gid as SO_PEERCRED shows them (two u32), then
 * 'e': echo until end of file, then "bye" and close;
 * 'c': serve_creds(), then as 'e';
 * 'p': SO_PEERCRED's pid (a pid_t), then as 'e';
 * 's': stop reading for good.
 */
static void serve_one(int c)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	uint32_t ids[2];
	char buf[65536], cmd;
	ssize_t n;

	if (read(c, &cmd, 1) != 1 ||
	    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		_exit(1);
	ids[0] = uc.uid;
	ids[1] = uc.gid;
	if (write(c, ids, sizeof(ids)) != sizeof(ids))
		_exit(1);
	if (cmd == 's')
		for (;;)
			pause();
	if (cmd == 'c')
		serve_creds(c);
	if (cmd == 'p' && write(c, &uc.pid, sizeof(uc.pid)) != sizeof(uc.pid))
		_exit(1);
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, n) != n)
			_exit(1);
	if (write(c, "bye", 3) != 3)
		_exit(1);
	_exit(0);
}

/* recv() gave 0: is it the end (the peer shut down), not an empty message? */
static int at_eof(int c)
{
	struct pollfd p = { .fd = c, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

/*
 * The seqpacket server program's connection: the caller's ids as one
 * message, then every message echoed as it came (empty ones too), and
 * "bye" at the end.
 */
static void serve_seq(int c)
{
	static char buf[256 << 10];
	struct ucred uc;
	socklen_t len = sizeof(uc);
	uint32_t ids[2];
	ssize_t n;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		_exit(1);
	ids[0] = uc.uid;
	ids[1] = uc.gid;
	if (send(c, ids, sizeof(ids), 0) != sizeof(ids))
		_exit(1);
	while ((n = recv(c, buf, sizeof(buf), 0)) >= 0) {
		if (!n && at_eof(c))
			break;
		if (send(c, buf, n, 0) != n)
			_exit(1);
	}
	send(c, "bye", 3, 0);
	_exit(0);
}

/* A listening socket of @type at @name in mode @mode. */
static int listen_type(const char *name, int type, mode_t mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, type, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", base, name);
	unlink(sun.sun_path);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(chmod(sun.sun_path, mode), 0);
	ck_assert_int_eq(listen(s, 16), 0);
	return s;
}

static int listen_at(const char *name, mode_t mode)
{
	return listen_type(name, SOCK_STREAM, mode);
}

/* A socket of @type bound at @name, mode 0777, not listening. */
static int bound_at(const char *name, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, type, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", base, name);
	unlink(sun.sun_path);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(chmod(sun.sun_path, 0777), 0);
	return s;
}

/* A datagram socket bound at @name, mode 0777. */
static int dgram_at(const char *name)
{
	return bound_at(name, SOCK_DGRAM);
}

/* The datagram server: each datagram back to its sender, as it came. */
static void serve_dgram(int d)
{
	static char buf[256 << 10];
	struct sockaddr_un from;
	socklen_t len = sizeof(from);
	ssize_t n;

	n = recvfrom(d, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
		     &len);
	if (n >= 0 && len > offsetof(struct sockaddr_un, sun_path))
		sendto(d, buf, n, 0, (struct sockaddr *)&from, len);
}

/*
 * The server program: export/run/s.sock (stream), export/run/q.sock
 * (seqpacket), one process per connection, and export/run/d.sock
 * (datagram).
 */
static void start_server(void)
{
	int s = listen_at("export/run/s.sock", 0777), c;
	int q = listen_type("export/run/q.sock", SOCK_SEQPACKET, 0777);
	int d = dgram_at("export/run/d.sock");
	struct pollfd p[3] = { { .fd = s, .events = POLLIN },
			       { .fd = q, .events = POLLIN },
			       { .fd = d, .events = POLLIN } };
	int i;

	pid_srv = fork();
	ck_assert_int_ge(pid_srv, 0);
	if (pid_srv) {
		close(s);
		close(q);
		close(d);
		return;
	}
	die_with_parent();
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		if (poll(p, 3, -1) <= 0)
			continue;
		if (p[2].revents & POLLIN)
			serve_dgram(d);
		for (i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			c = accept(p[i].fd, NULL, NULL);
			if (c < 0)
				continue;
			if (!fork()) {
				die_with_parent();
				if (i)
					serve_seq(c);
				serve_one(c);
			}
			close(c);
		}
	}
}

/* --- the client ------------------------------------------------------ */

static void use_daemon(const char *name)
{
	char sock[PATH_MAX];

	snprintf(sock, sizeof(sock), "%s/%s.sock", base, name);
	setenv(UDSPROXY_SOCK_ENV, sock, 1);
}

/* A socket of @type connected through B to @name; or -errno. */
static int proxy_connect_type(const char *name, int type)
{
	char path[PATH_MAX];
	int fd = socket(AF_UNIX, type, 0), err;

	ck_assert_int_ge(fd, 0);
	snprintf(path, sizeof(path), "%s/%s", base, name);
	use_daemon("b");
	if (!udsproxy_connect(fd, name[0] == '/' || name[0] == '.' ? name : path))
		return fd;
	err = errno;
	close(fd);
	return -err;
}

static void read_n(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		ck_assert_msg(n > 0, "read: %zd (%s)", n, strerror(errno));
		p += n;
		len -= n;
	}
}

/* A stream socket connected through B to @name (below base); or -errno. */
static int proxy_connect(const char *name)
{
	return proxy_connect_type(name, SOCK_STREAM);
}

/* The end of both daemons' logs on stderr, to see why a test failed. */
static void show_logs(void)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "tail -n 15 %s/a.log %s/b.log >&2", base,
		 base);
	if (system(cmd))
		fprintf(stderr, "no daemon logs\n");
}

/* Connect, send @cmd, return the fd; the ids the server saw in @ids. */
static int open_cmd(char cmd, uint32_t ids[2])
{
	int fd = proxy_connect("export/run/s.sock");

	if (fd < 0)
		show_logs();

	ck_assert_msg(fd >= 0, "connect: %s", strerror(-fd));
	ck_assert_int_eq(write(fd, &cmd, 1), 1);
	read_n(fd, ids, 2 * sizeof(uint32_t));
	return fd;
}

/* Is the next read end of file or ECONNRESET, within @ms? */
static void expect_closed(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];
	ssize_t n;

	for (;;) {
		ck_assert_msg(poll(&p, 1, ms) == 1, "no end within %d ms", ms);
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			ck_assert(n == 0 || errno == ECONNRESET);
			return;
		}
	}
}

/* Send @len pattern bytes and read them back, interleaved. */
static void echo_check(int fd, size_t len)
{
	size_t sent = 0, got = 0, i, n;
	struct pollfd p = { .fd = fd };
	char out[8192], in[8192];
	ssize_t r;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (got < len) {
		p.events = POLLIN | (sent < len ? POLLOUT : 0);
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		if ((p.revents & POLLOUT) && sent < len) {
			n = len - sent < sizeof(out) ? len - sent : sizeof(out);
			for (i = 0; i < n; i++)
				out[i] = (char)((sent + i) * 7 + 3);
			r = write(fd, out, n);
			if (r > 0)
				sent += r;
		}
		if (p.revents & POLLIN) {
			r = read(fd, in, sizeof(in));
			ck_assert_int_gt(r, 0);
			/* one assertion per read: each one costs Check a write */
			for (i = 0; i < (size_t)r; i++)
				if (in[i] != (char)((got + i) * 7 + 3))
					break;
			ck_assert_msg(i == (size_t)r, "byte %zu differs",
				      got + i);
			got += r;
		}
	}
	fcntl(fd, F_SETFL, 0);
}

/*
 * Send the @len bytes of @req to daemon @name's control socket (none:
 * just wait) and read its answer into @out until it closes.
 */
static void ctl_ask(const char *name, const char *req, size_t len, char *out,
		    size_t outlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct pollfd p = { .events = POLLIN };
	size_t got = 0;
	ssize_t n;
	int s;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock.ctl", base,
		 name);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (len)
		ck_assert_int_eq(write(s, req, len), (ssize_t)len);
	p.fd = s;
	for (;;) {
		ck_assert_msg(poll(&p, 1, 7000) == 1, "no answer to '%s'", req);
		n = read(s, out + got, outlen - 1 - got);
		ck_assert_int_ge(n, 0);
		if (!n)
			break;
		got += n;
	}
	out[got] = '\0';
	close(s);
}

/* The value of counter @key in a stats answer. */
static unsigned long long stat_of(const char *ans, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s ", key);
	p = strstr(ans, pat);
	ck_assert_msg(p, "no %s in %s", key, ans);
	return strtoull(p + strlen(pat), NULL, 10);
}

/* --- relay ----------------------------------------------------------- */

START_TEST(data_both_ways)
{
	uint32_t ids[2];
	char bye[4] = "";
	int fd;

	pair_up(NULL, NULL);
	start_server();
	fd = open_cmd('e', ids);
	ck_assert_uint_eq(ids[0], 0);
	echo_check(fd, 3 << 20);
	/* our end of file reaches the server, its "bye" and close come back */
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	read_n(fd, bye, 3);
	ck_assert_str_eq(bye, "bye");
	ck_assert_int_eq(read(fd, bye, 1), 0);
	close(fd);
}
END_TEST

/* SOCK_SEQPACKET: every message arrives whole and alone, empty ones too. */
START_TEST(seqpacket_boundaries)
{
	static const size_t sizes[] = { 1, 100, 0, QTFS_UDS_DATA_MAX, 7, 4000 };
	static char out[QTFS_UDS_DATA_MAX + 1], in[sizeof(out) + 16];
	uint32_t ids[2];
	size_t i, j;
	ssize_t n;
	int fd;

	pair_up(NULL, NULL);
	start_server();
	fd = proxy_connect_type("export/run/q.sock", SOCK_SEQPACKET);
	ck_assert_msg(fd >= 0, "connect: %s", strerror(-fd));
	ck_assert_int_eq(recv(fd, ids, sizeof(in), 0), sizeof(ids));
	ck_assert_uint_eq(ids[0], 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizes[i]; j++)
			out[j] = (char)(i + j * 13);
		ck_assert_int_eq(send(fd, out, sizes[i], 0), (ssize_t)sizes[i]);
		n = recv(fd, in, sizeof(in), 0);
		ck_assert_int_eq(n, (ssize_t)sizes[i]);
		ck_assert(!memcmp(in, out, sizes[i]));
	}
	/* end of file both ways, after the last message */
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(recv(fd, in, sizeof(in), 0), 3);
	ck_assert_int_eq(recv(fd, in, sizeof(in), 0), 0);
	ck_assert(at_eof(fd));
	close(fd);
	/* a message larger than a DATA frame ends the connection */
	fd = proxy_connect_type("export/run/q.sock", SOCK_SEQPACKET);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(recv(fd, ids, sizeof(in), 0), sizeof(ids));
	ck_assert_int_eq(send(fd, out, QTFS_UDS_DATA_MAX + 1, 0),
			 QTFS_UDS_DATA_MAX + 1);
	expect_closed(fd, 5000);
	close(fd);
	/* a seqpacket socket cannot reach a stream listener, as locally */
	ck_assert_int_eq(proxy_connect_type("export/run/s.sock",
					    SOCK_SEQPACKET), -EPROTOTYPE);
}
END_TEST

/* The server program sees the caller, not root: SO_PEERCRED. */
START_TEST(caller_identity)
{
	gid_t groups[] = { NOBODY };
	uint32_t ids[2];
	pid_t peer;
	int st, fd;
	pid_t pid;

	pair_up(NULL, NULL);
	start_server();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (setgroups(1, groups) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		die_with_parent();
		fd = proxy_connect("export/run/s.sock");
		if (fd < 0)
			_exit(11);
		if (write(fd, "p", 1) != 1 || read(fd, ids, 8) != 8 ||
		    read(fd, &peer, sizeof(peer)) != sizeof(peer))
			_exit(12);
		if (ids[0] != NOBODY || ids[1] != NOBODY)
			_exit(13);
		/*
		 * The pid is the remote udsproxyd's, alive: programs look it
		 * up (libvirtd reads its start time from /proc).
		 */
		_exit(peer == pid_a && (!kill(peer, 0) || errno == EPERM) ?
		      0 : 14);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d", st);
}
END_TEST

/*
 * SCM_CREDENTIALS a server program reads show the client caller, as
 * SO_PEERCRED does; never the daemon (root).  Ids that no one else has,
 * not nobody's: the kernel shows missing credentials as the overflow
 * uid 65534.
 */
START_TEST(scm_credentials)
{
	gid_t groups[] = { 12346 };
	uint32_t ids[2];
	int st, fd;
	char k;
	pid_t pid;

	pair_up(NULL, NULL);
	start_server();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (setgroups(1, groups) || setresgid(12346, 12346, 12346) ||
		    setresuid(12345, 12345, 12345))
			_exit(10);
		die_with_parent();
		fd = proxy_connect("export/run/s.sock");
		if (fd < 0)
			_exit(11);
		if (write(fd, "c", 1) != 1 || read(fd, ids, 8) != 8 ||
		    ids[0] != 12345 || ids[1] != 12346)
			_exit(12);
		if (read(fd, &k, 1) != 1 || k != 'k' || write(fd, "x", 1) != 1 ||
		    read(fd, ids, 8) != 8)
			_exit(13);
		_exit(ids[0] == 12345 && ids[1] == 12346 ? 0 :
		      ids[0] == 0 ? 14 : 15);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "child: %d (14: the server saw root)", st);
}
END_TEST

/*
 * A server program as nobody on the socket @s of @type (bound by root):
 * it listens as nobody (a connecting socket's SO_PEERCRED is the
 * listener's at listen()), answers the first byte of a connection with
 * "n" and waits for its end, or answers each datagram with "n".  Returns
 * once it is ready.
 */
static pid_t start_nobody(int s, int type)
{
	struct sockaddr_un from;
	socklen_t len;
	char buf[16];
	int c, ready[2];
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid) {
		close(s);
		close(ready[1]);
		ck_assert_int_eq(read(ready[0], buf, 1), 1);
		close(ready[0]);
		return pid;
	}
	die_with_parent();
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY) ||
	    (type != SOCK_DGRAM && listen(s, 4)) || write(ready[1], "r", 1) != 1)
		_exit(1);
	if (type == SOCK_DGRAM) {
		for (;;) {
			len = sizeof(from);
			if (recvfrom(s, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &len) >= 0)
				sendto(s, "n", 1, 0, (struct sockaddr *)&from,
				       len);
		}
	}
	c = accept(s, NULL, NULL);
	if (c < 0 || read(c, buf, 1) != 1 || send(c, "n", 1, 0) != 1)
		_exit(1);
	while (read(c, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/* The next message on @fd is "n" whose SCM_CREDENTIALS say @uid, @gid. */
static void expect_sender(int fd, uid_t uid, gid_t gid)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} u;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	struct ucred uc;

	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(recvmsg(fd, &mh, 0), 1);
	ck_assert_int_eq(byte, 'n');
	cm = CMSG_FIRSTHDR(&mh);
	ck_assert_msg(cm && cm->cmsg_level == SOL_SOCKET &&
		      cm->cmsg_type == SCM_CREDENTIALS, "no SCM_CREDENTIALS");
	memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
	ck_assert_uint_eq(uc.uid, uid);
	ck_assert_uint_eq(uc.gid, gid);
}

/*
 * The client program sees the server program's uid and gid (here
 * nobody's) in SCM_CREDENTIALS of what comes back, for each socket type,
 * not the local udsproxyd's root.
 */
START_TEST(server_identity)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	char name[32], path[PATH_MAX];
	struct iovec iov = { "x", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int one = 1, fd, st;
	pid_t pid;
	size_t i;

	pair_up(NULL, NULL);
	use_daemon("b");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(name, sizeof(name), "export/run/n%zu.sock", i);
		pid = start_nobody(bound_at(name, types[i]), types[i]);
		if (types[i] == SOCK_DGRAM) {
			fd = dgram_at("cn.sock");
			pathf(path, name);
			ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_PASSCRED,
						    &one, sizeof(one)), 0);
			ck_assert_int_eq(udsproxy_sendmsg(fd, path, &mh, 0), 1);
		} else {
			fd = proxy_connect_type(name, types[i]);
			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_PASSCRED,
						    &one, sizeof(one)), 0);
			ck_assert_int_eq(write(fd, "x", 1), 1);
		}
		expect_sender(fd, NOBODY, NOBODY);
		close(fd);
		if (types[i] == SOCK_DGRAM) {
			kill(pid, SIGKILL);
			ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		} else {
			ck_assert_int_eq(waitpid(pid, &st, 0), pid);
			ck_assert_msg(WIFEXITED(st) && !WEXITSTATUS(st),
				      "server: %d", st);
		}
	}
}
END_TEST

/* A message of "X" passing descriptor @pass: by sendmsg(), or @raw. */
static ssize_t send_fd(int s, int pass, bool raw)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u = {};
	struct iovec iov = { "X", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pass, sizeof(int));
	/* raw: the system call itself, as a program without the preload */
	if (raw)
		return syscall(SYS_sendmsg, s, &mh, 0);
	return sendmsg(s, &mh, 0);
}

/* The next read of @fd fails with ECONNRESET, within 5 s. */
static void expect_reset(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];

	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
}

/*
 * SCM_RIGHTS cannot cross hosts: sendmsg() with the preload refuses it
 * and sends nothing; descriptors that reach a daemon anyway reset the
 * connection, from either program, and the daemon goes on serving.
 */
START_TEST(scm_rights_refused)
{
	uint32_t ids[2];
	int fd, sp[2], l, srv;
	char c;

	pair_up(NULL, NULL);
	start_server();
	fd = open_cmd('e', ids);
	ck_assert_int_eq(send_fd(fd, 0, false), -1);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_int_eq(write(fd, "Y", 1), 1);
	read_n(fd, &c, 1);
	ck_assert_int_eq(c, 'Y');
	close(fd);
	/* other sockets pass descriptors as ever */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(send_fd(sp[0], 0, false), 1);
	close(sp[0]);
	close(sp[1]);
	/* a program without the preload: its connection is reset */
	fd = open_cmd('e', ids);
	ck_assert_int_eq(send_fd(fd, 0, true), 1);
	expect_reset(fd);
	close(fd);
	/* a server program passing descriptors: reset too, both ends */
	l = listen_at("export/run/t.sock", 0777);
	fd = proxy_connect("export/run/t.sock");
	ck_assert_int_ge(fd, 0);
	srv = accept(l, NULL, NULL);
	ck_assert_int_ge(srv, 0);
	ck_assert_int_eq(send_fd(srv, 0, true), 1);
	expect_reset(srv);
	expect_closed(fd, 5000);
	close(srv);
	close(fd);
	close(l);
	/* the daemons still serve */
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	close(fd);
}
END_TEST

/* The descriptor kinds scm_rights_kinds passes, by loop index. */
static const char *const fd_kinds[] = {
	"regular file", "directory", "pipe", "FIFO", "socket",
};

/*
 * A descriptor of kind fd_kinds[@i]; *@other: a second one to close with
 * it (the pipe's or socketpair's other end), or -1.
 */
static int open_kind(int i, int *other)
{
	char p[PATH_MAX];
	int fd = -1, two[2];

	*other = -1;
	switch (i) {
	case 0:
		pathf(p, "rights.file");
		fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		break;
	case 1:
		fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	case 2:
	case 4:
		if (i == 2 ? pipe(two) : socketpair(AF_UNIX, SOCK_STREAM, 0, two))
			break;
		fd = two[0];
		*other = two[1];
		break;
	case 3:
		pathf(p, "rights.fifo");
		unlink(p);
		ck_assert_int_eq(mkfifo(p, 0600), 0);
		/* read-write: opens at once, with no other end */
		fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		break;
	}
	ck_assert_msg(fd >= 0, "%s: %s", fd_kinds[i], strerror(errno));
	return fd;
}

/* @fd ends without delivering anything: end of file or ECONNRESET. */
static void expect_end(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[16];
	ssize_t n;

	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	n = read(fd, buf, sizeof(buf));
	ck_assert_msg(n == 0 || (n < 0 && errno == ECONNRESET),
		      "read %zd (%s)", n, n < 0 ? strerror(errno) : "data");
}

/*
 * Each kind of descriptor: the preload refuses to send it on a proxied
 * socket (EOPNOTSUPP, nothing sent, the connection goes on); sent by a
 * raw system call, or by the server program back toward the client, it
 * resets the connection: the sender's next read fails with ECONNRESET
 * and the other program reads the end, never the message.
 */
START_TEST(scm_rights_kinds)
{
	uint32_t ids[2];
	int fd, kind, other, l, srv;
	char c;

	pair_up(NULL, NULL);
	start_server();
	kind = open_kind(_i, &other);
	/* the client program, with the preload */
	fd = open_cmd('e', ids);
	ck_assert_int_eq(send_fd(fd, kind, false), -1);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_int_eq(write(fd, "Y", 1), 1);
	read_n(fd, &c, 1);
	ck_assert_int_eq(c, 'Y');
	/* the same without the preload */
	ck_assert_int_eq(send_fd(fd, kind, true), 1);
	expect_reset(fd);
	close(fd);
	/* the server program, toward the client */
	l = listen_at("export/run/t.sock", 0777);
	fd = proxy_connect("export/run/t.sock");
	ck_assert_int_ge(fd, 0);
	srv = accept(l, NULL, NULL);
	ck_assert_int_ge(srv, 0);
	ck_assert_int_eq(send_fd(srv, kind, true), 1);
	expect_reset(srv);
	expect_end(fd);
	close(srv);
	close(fd);
	close(l);
	close(kind);
	if (other >= 0)
		close(other);
	/* the daemons still serve */
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	close(fd);
}
END_TEST

/* One datagram of @len pattern bytes to @fd's association and back. */
static void dgram_echo(int fd, const char *path, size_t len, bool connected)
{
	static char out[QTFS_UDS_DATA_MAX], in[sizeof(out) + 16];
	struct iovec iov = { out, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t j;

	for (j = 0; j < len; j++)
		out[j] = (char)(len + j * 13);
	if (connected)
		ck_assert_int_eq(send(fd, out, len, 0), (ssize_t)len);
	else
		ck_assert_int_eq(udsproxy_sendmsg(fd, path, &mh, 0),
				 (ssize_t)len);
	ck_assert_msg(poll(&p, 1, 5000) == 1, "no reply to %zu bytes", len);
	ck_assert_int_eq(recv(fd, in, sizeof(in), 0), (ssize_t)len);
	ck_assert(!memcmp(in, out, len));
}

/*
 * SOCK_DGRAM: datagrams to a path (sendto) and on a connected socket
 * reach the server's socket whole, empty ones too, and its replies come
 * back to the client's socket.
 */
START_TEST(dgram_both_ways)
{
	static const size_t sizes[] = { 1, 100, 0, QTFS_UDS_DATA_MAX, 7 };
	static char big[QTFS_UDS_DATA_MAX + 1];
	char path[PATH_MAX], stream[PATH_MAX];
	struct iovec iov = { big, sizeof(big) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int c1, c2, c3, sp[2];
	size_t i;

	pair_up(NULL, NULL);
	start_server();
	use_daemon("b");
	pathf(path, "export/run/d.sock");
	c1 = dgram_at("c1.sock");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		dgram_echo(c1, path, sizes[i], false);
	/* connect() and send() */
	c2 = dgram_at("c2.sock");
	ck_assert_int_eq(udsproxy_connect(c2, path), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		dgram_echo(c2, path, sizes[i], true);
	/* too large for a DATA frame; descriptors: refused, nothing sent */
	ck_assert_int_eq(udsproxy_sendmsg(c1, path, &mh, 0), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(send_fd(c2, sp[0], false), -1);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	/* sent anyway: the daemon drops that datagram and goes on */
	ck_assert_int_eq(send_fd(c2, sp[0], true), 1);
	dgram_echo(c2, path, 5, true);
	close(sp[0]);
	close(sp[1]);
	/* a datagram socket reaches no stream listener, as locally */
	c3 = socket(AF_UNIX, SOCK_DGRAM, 0);
	pathf(stream, "export/run/s.sock");
	ck_assert_int_eq(udsproxy_connect(c3, stream), -1);
	ck_assert_int_eq(errno, EPROTOTYPE);
	close(c3);
	close(c1);
	close(c2);
}
END_TEST

/*
 * The daemon's association socket is reachable by anyone: a datagram of
 * another user is dropped (and counted), and does not take the
 * association over from its program.
 */
START_TEST(dgram_other_user)
{
	struct sockaddr_un assoc, evil = { .sun_family = AF_UNIX };
	socklen_t alen = sizeof(assoc);
	char path[PATH_MAX], ans[4096];
	int c, st, e;
	pid_t pid;

	pair_up(NULL, NULL);
	start_server();
	use_daemon("b");
	pathf(path, "export/run/d.sock");
	c = dgram_at("c.sock");
	ck_assert_int_eq(udsproxy_connect(c, path), 0);
	ck_assert_int_eq(getpeername(c, (struct sockaddr *)&assoc, &alen), 0);
	pathf(path, "evil");
	ck_assert_int_eq(mkdir(path, 0777), 0);
	ck_assert_int_eq(chmod(path, 0777), 0);
	snprintf(evil.sun_path, sizeof(evil.sun_path), "%s/evil/e.sock", base);
	/* nobody, from a socket with a name, before the program's first */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		e = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (bind(e, (struct sockaddr *)&evil, sizeof(evil)))
			_exit(11);
		_exit(sendto(e, "evil", 4, 0, (struct sockaddr *)&assoc,
			     alen) == 4 ? 0 : 12);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d", st);
	pathf(path, "export/run/d.sock");
	dgram_echo(c, path, 4, true);
	ctl_ask("b", "stats\n", 6, ans, sizeof(ans));
	ck_assert_uint_eq(stat_of(ans, "datagrams_dropped"), 1);
	close(c);
}
END_TEST

/*
 * An association idle for --dgram-idle is closed: a connected socket's
 * send() is refused, and sendto() gets a new association by itself.
 */
START_TEST(dgram_idle)
{
	char path[PATH_MAX];
	int c1, c2;

	pair_up_extra(NULL, NULL, NULL, "--dgram-idle=1");
	start_server();
	use_daemon("b");
	pathf(path, "export/run/d.sock");
	c1 = dgram_at("c1.sock");
	c2 = dgram_at("c2.sock");
	ck_assert_int_eq(udsproxy_connect(c2, path), 0);
	dgram_echo(c1, path, 10, false);
	dgram_echo(c2, path, 10, true);
	/* in use: alive after more than a second */
	msleep(700);
	dgram_echo(c2, path, 10, true);
	msleep(700);
	dgram_echo(c2, path, 10, true);
	/* idle: gone within 1.25 s */
	msleep(2500);
	ck_assert_int_eq(send(c2, "x", 1, 0), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	dgram_echo(c1, path, 10, false);
	close(c1);
	close(c2);
}
END_TEST

/* Connect as nobody to @name; return 0 or the errno. */
static int connect_as_nobody(const char *name)
{
	int st, fd;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(250);
		fd = proxy_connect(name);
		_exit(fd >= 0 ? 0 : -fd);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(whitelist_and_errors)
{
	char target[PATH_MAX], link[PATH_MAX];
	int other, priv, fd;

	pair_up(NULL, NULL);
	start_server();
	other = listen_at("export/other/o.sock", 0777);
	priv = listen_at("export/run/private.sock", 0700);
	/* outside [Udsconnect], outside [Mount]: the whitelist's EPERM */
	ck_assert_int_eq(proxy_connect("export/other/o.sock"), -EPERM);
	ck_assert_int_eq(proxy_connect("/etc/hosts"), -EPERM);
	/* not absolute or not normalised */
	ck_assert_int_eq(proxy_connect("./x"), -EINVAL);
	snprintf(target, sizeof(target), "%s/export/run/../run/s.sock", base);
	ck_assert_int_eq(proxy_connect(target), -EINVAL);
	/* the server's own errno values */
	ck_assert_int_eq(proxy_connect("export/run/none.sock"), -ENOENT);
	ck_assert_int_eq(proxy_connect("export/run"), -ECONNREFUSED);
	ck_assert_int_eq(connect_as_nobody("export/run/private.sock"), EACCES);
	fd = proxy_connect("export/run/private.sock");
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* a symlink may not lead out of [Udsconnect], nor out of the export */
	pathf(link, "export/run/to-other.sock");
	ck_assert_int_eq(symlink("../other/o.sock", link), 0);
	ck_assert_int_eq(proxy_connect("export/run/to-other.sock"), -EPERM);
	pathf(link, "export/run/to-tmp.sock");
	pathf(target, "export/other/o.sock");
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(proxy_connect("export/run/to-tmp.sock"), -ELOOP);
	/* one inside is followed */
	pathf(link, "export/run/alias.sock");
	ck_assert_int_eq(symlink("s.sock", link), 0);
	fd = proxy_connect("export/run/alias.sock");
	ck_assert_int_ge(fd, 0);
	close(fd);
	close(other);
	close(priv);
}
END_TEST

/* A connection whose reader stops stalls alone; the others go on. */
START_TEST(stall_is_per_connection)
{
	char buf[65536] = "";
	uint32_t ids[2];
	size_t total = 0;
	int stuck, fd;
	ssize_t n;

	pair_up(NULL, NULL);
	start_server();
	stuck = open_cmd('s', ids);
	fcntl(stuck, F_SETFL, O_NONBLOCK);
	/* writes stop within bounded buffering: socket, two daemons, TCP */
	for (;;) {
		n = write(stuck, buf, sizeof(buf));
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			msleep(200);
			n = write(stuck, buf, sizeof(buf));
			if (n < 0)
				break;
		}
		total += n;
		if (total >= (64 << 20))
			break;
	}
	ck_assert_msg(total < (64 << 20), "no back-pressure");
	fd = open_cmd('e', ids);
	echo_check(fd, 1 << 20);
	close(fd);
	close(stuck);
}
END_TEST

/* --- hostile input --------------------------------------------------- */

/* A raw TCP connection to A's link port, from @src. */
static int raw_link(const char *src)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port_a) };
	struct sockaddr_in me = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(s, 0);
	inet_pton(AF_INET, src, &me.sin_addr);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&me, sizeof(me)), 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return s;
}

/* A frame of @op with payload @fmt into @buf; return its length. */
static uint32_t frame(uint8_t *buf, uint16_t op, uint16_t flags, uint64_t id,
		      const char *fmt, ...)
{
	struct qtfs_buf b;
	va_list ap;

	qtfs_buf_init(&b, buf, 8192);
	qtfs_proto_begin(&b, op, flags, id, 0);
	va_start(ap, fmt);
	qtfs_proto_vpack(&b, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(qtfs_proto_end(&b), 0);
	return b.pos;
}

static uint32_t hello(uint8_t *buf, uint32_t magic)
{
	return frame(buf, QTFS_UDS_OP_HELLO, 0, 1, "dhhddB", magic,
		     QTFS_UDS_MAJOR, QTFS_UDS_MINOR, 0, QTFS_UDS_MSG_MAX,
		     NULL, 0);
}

/*
 * What a hostile peer sends; after each the daemon must close the link
 * (answering the request first where it is one) and serve the next one.
 */
static void hostile_case(int i, int s)
{
	uint8_t buf[8192], *p = buf;
	struct qtfs_cred cred = {};
	uint32_t n = 0;

	switch (i) {
	case 0:		/* a truncated header, then nothing */
		n = 10;
		memset(buf, 0, n);
		break;
	case 1:		/* a header announcing 2 GiB */
		n = hello(buf, QTFS_UDS_MAGIC);
		put_unaligned_le32(0x7fffffff, buf);
		break;
	case 2:		/* garbage */
		for (n = 0; n < 200; n++)
			buf[n] = (uint8_t)(n * 37 + 11);
		break;
	case 3:		/* another protocol's HELLO: answered, then closed */
		n = hello(buf, QTFS_PROTO_MAGIC);
		break;
	case 4:		/* CONNECT before HELLO */
		n = frame(buf, QTFS_UDS_OP_CONNECT, 0, 2, "Cds", &cred,
			  QTFS_UDS_STREAM, "/tmp");
		break;
	case 5:		/* HELLO, then DATA before CONNECT */
		n = hello(buf, QTFS_UDS_MAGIC);
		n += frame(buf + n, QTFS_UDS_OP_DATA, 0, 0, "B", "x", 1);
		break;
	case 6:		/* HELLO, then a CONNECT whose string has no NUL */
		n = hello(buf, QTFS_UDS_MAGIC);
		p = buf + n;
		n += frame(p, QTFS_UDS_OP_CONNECT, 0, 2, "Cds", &cred,
			   QTFS_UDS_STREAM, "/tmp/x");
		buf[n - 1] = 'y';
		break;
	case 7:		/* HELLO, then CONNECT with trailing bytes */
		n = hello(buf, QTFS_UDS_MAGIC);
		p = buf + n;
		n += frame(p, QTFS_UDS_OP_CONNECT, 0, 2, "Cdsb", &cred,
			   QTFS_UDS_STREAM, "/tmp/x", 0);
		break;
	case 8:		/* HELLO, then a reply where a request belongs */
		n = hello(buf, QTFS_UDS_MAGIC);
		n += frame(buf + n, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY, 2, "");
		break;
	case 9:		/* HELLO, then LOCAL_CONNECT on a link */
		n = hello(buf, QTFS_UDS_MAGIC);
		n += frame(buf + n, QTFS_UDS_OP_LOCAL_CONNECT, 0, 1, "dhds",
			   QTFS_UDS_MAGIC, QTFS_UDS_MAJOR, QTFS_UDS_STREAM,
			   "/tmp/x");
		break;
	}
	ck_assert_int_eq(write(s, buf, n), (ssize_t)n);
}

#define HOSTILE_CASES	10

START_TEST(hostile_peer)
{
	uint32_t ids[2];
	int s, fd;

	pair_up(NULL, NULL);
	start_server();
	s = raw_link("127.0.0.1");
	hostile_case(_i, s);
	if (_i == 0)
		shutdown(s, SHUT_WR);
	expect_closed(s, 5000);
	close(s);
	/* the daemon still serves */
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	close(fd);
}
END_TEST

/* Read one frame (no tag) from @s into @buf; its length, or -1. */
static int read_frame(int s, uint8_t *buf, uint32_t size)
{
	uint32_t len;

	if (recv(s, buf, QTFS_HDR_SIZE, MSG_WAITALL) != QTFS_HDR_SIZE)
		return -1;
	len = get_unaligned_le32(buf);
	/* no recv() of nothing: with MSG_WAITALL it waits for more */
	if (len < QTFS_HDR_SIZE || len > size ||
	    (len > QTFS_HDR_SIZE &&
	     recv(s, buf + QTFS_HDR_SIZE, len - QTFS_HDR_SIZE, MSG_WAITALL) !=
	     (ssize_t)(len - QTFS_HDR_SIZE)))
		return -1;
	return len;
}

/*
 * A hostile remote side in place of A: it takes B's link and answers
 * @i's way; the program connecting through B gets the errno of
 * hostile_remote_errno[@i], at once (0: it connects, a 2.0 remote).
 */
static const int hostile_remote_errno[] = {
	ECONNRESET, EPROTO, EPROTO, EPROTO, EACCES, EPROTO,
	EPROTO, EPROTO, EPROTO, EPROTO, EPROTO, 0,
};

static void fake_remote(int i, int l)
{
	uint8_t buf[8192];
	uint32_t n = 0;
	int s = accept(l, NULL, NULL);

	if (s < 0 || read_frame(s, buf, sizeof(buf)) < 0)
		_exit(1);
	switch (i) {
	case 0:		/* gone after HELLO */
		_exit(0);
	case 1:		/* another protocol */
		n = frame(buf, QTFS_UDS_OP_HELLO, QTFS_HDR_REPLY, 1, "dhhddB",
			  QTFS_PROTO_MAGIC, 1, 0, 0, QTFS_UDS_MSG_MAX, NULL, 0);
		break;
	case 2:		/* a reply announcing 2 GiB */
		n = frame(buf, QTFS_UDS_OP_HELLO, QTFS_HDR_REPLY, 1, "");
		put_unaligned_le32(0x7fffffff, buf);
		break;
	default:	/* a good HELLO; then CONNECT is answered badly */
		/* 10, 11: a 2.0 remote, whose replies carry no identity */
		n = frame(buf, QTFS_UDS_OP_HELLO, QTFS_HDR_REPLY, 1, "dhhddB",
			  QTFS_UDS_MAGIC, QTFS_UDS_MAJOR,
			  i >= 10 ? 0 : QTFS_UDS_MINOR, 0, QTFS_UDS_MSG_MAX,
			  NULL, 0);
		if (write(s, buf, n) != n || read_frame(s, buf, sizeof(buf)) < 0)
			_exit(1);
		if (i == 6 || i == 11)		/* 6: success, no identity */
			n = frame(buf, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY, 2,
				  "");
		else if (i == 7)		/* uid -1 */
			n = frame(buf, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY, 2,
				  "dd", (uint32_t)-1, 0);
		else if (i == 8)		/* a byte too many */
			n = frame(buf, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY, 2,
				  "ddb", 0, 0, 0);
		else if (i >= 9)		/* an identity where none goes */
			n = frame(buf, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY, 2,
				  "dd", 0, 0);
		else
			n = frame(buf, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY, 2,
				  "");
		/* 3: an errno out of range; 4, 9: a real one; 5: another id */
		if (i == 3 || i == 4 || i == 5 || i == 9)
			put_unaligned_le32(i == 3 ? (uint32_t)-600 :
					   (uint32_t)-EACCES, buf + 16);
		if (i == 5)
			buf[8] = 3;
		/* 11: data follows, which the program gets as ever */
		if (i == 11)
			n += frame(buf + n, QTFS_UDS_OP_DATA, 0, 0, "B",
				   "z", 1);
		break;
	}
	if (write(s, buf, n) != n)
		_exit(1);
	pause();
}

START_TEST(hostile_remote)
{
	uint32_t ids[2];
	int l, lb, fd;
	char c;
	pid_t fake;

	/* the fake takes A's listener */
	pick_ports(&l, &lb);
	pid_b = start_daemon_on("b", lb, port_b, port_a, NULL, NULL);
	fake = fork();
	ck_assert_int_ge(fake, 0);
	if (!fake) {
		die_with_parent();
		fake_remote(_i, l);
	}
	close(l);
	fd = proxy_connect("export/run/s.sock");
	/* why, for a failure seen once under load */
	if (hostile_remote_errno[_i] ? fd != -hostile_remote_errno[_i] :
	    fd < 0)
		show_logs();
	if (hostile_remote_errno[_i]) {
		ck_assert_int_eq(fd, -hostile_remote_errno[_i]);
	} else {
		ck_assert_int_ge(fd, 0);
		read_n(fd, &c, 1);
		ck_assert_int_eq(c, 'z');
		close(fd);
	}
	stop(&fake);
	/* B still serves, with a real A */
	pid_a = start_daemon("a", &port_a, port_b, NULL, NULL);
	start_server();
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	close(fd);
}
END_TEST

/*
 * A 2.1 remote on a datagram association: the first answer carries its
 * sender's identity, which the client program reads; the second one is
 * malformed (@i: no identity, a uid of -1, a byte too many), so B closes
 * the link and delivers nothing.  The fake exits 0 when the link closes.
 */
static void fake_dgram_remote(int i, int l)
{
	uint8_t buf[8192];
	uint32_t n;
	int s = accept(l, NULL, NULL);

	if (s < 0 || read_frame(s, buf, sizeof(buf)) < 0)
		_exit(1);
	n = frame(buf, QTFS_UDS_OP_HELLO, QTFS_HDR_REPLY, 1, "dhhddB",
		  QTFS_UDS_MAGIC, QTFS_UDS_MAJOR, QTFS_UDS_MINOR, 0,
		  QTFS_UDS_MSG_MAX, NULL, 0);
	if (write(s, buf, n) != n || read_frame(s, buf, sizeof(buf)) < 0)
		_exit(1);
	n = frame(buf, QTFS_UDS_OP_CONNECT, QTFS_HDR_REPLY, 2, "");
	if (write(s, buf, n) != n || read_frame(s, buf, sizeof(buf)) < 0)
		_exit(1);
	n = frame(buf, QTFS_UDS_OP_DATA, 0, 0, "ddB", 4242, 4243, "n", 1);
	if (write(s, buf, n) != n || read_frame(s, buf, sizeof(buf)) < 0)
		_exit(1);
	if (i == 0)
		n = frame(buf, QTFS_UDS_OP_DATA, 0, 0, "B", "n", 1);
	else if (i == 1)
		n = frame(buf, QTFS_UDS_OP_DATA, 0, 0, "ddB", (uint32_t)-1,
			  4243, "n", 1);
	else
		n = frame(buf, QTFS_UDS_OP_DATA, 0, 0, "ddBb", 4242, 4243,
			  "n", 1, 0);
	if (write(s, buf, n) != n)
		_exit(1);
	_exit(read_frame(s, buf, sizeof(buf)) < 0 ? 0 : 2);
}

START_TEST(hostile_dgram_identity)
{
	struct pollfd p = { .events = POLLIN };
	char path[PATH_MAX];
	int l, lb, fd, st, one = 1;
	pid_t fake;

	pick_ports(&l, &lb);
	pid_b = start_daemon_on("b", lb, port_b, port_a, NULL, NULL);
	fake = fork();
	ck_assert_int_ge(fake, 0);
	if (!fake) {
		die_with_parent();
		fake_dgram_remote(_i, l);
	}
	close(l);
	use_daemon("b");
	pathf(path, "export/run/d.sock");
	fd = dgram_at("ch.sock");
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one,
				    sizeof(one)), 0);
	ck_assert_int_eq(udsproxy_connect(fd, path), 0);
	ck_assert_int_eq(send(fd, "x", 1, 0), 1);
	expect_sender(fd, 4242, 4243);
	ck_assert_int_eq(send(fd, "y", 1, 0), 1);
	ck_assert_int_eq(waitpid(fake, &st, 0), fake);
	ck_assert_msg(WIFEXITED(st) && !WEXITSTATUS(st),
		      "the link stayed open: %d", st);
	p.fd = fd;
	ck_assert_int_eq(poll(&p, 1, 200), 0);
	close(fd);
}
END_TEST

/* The same from a program on the local socket. */
START_TEST(hostile_local)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t buf[8192];
	uint32_t ids[2], n;
	int s, fd;

	pair_up(NULL, NULL);
	start_server();
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/b.sock", base);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	n = hello(buf, QTFS_UDS_MAGIC);
	put_unaligned_le32(UINT32_MAX, buf);
	ck_assert_int_eq(write(s, buf, n), (ssize_t)n);
	expect_closed(s, 5000);
	close(s);
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	close(fd);
}
END_TEST

/* A peer of another major is refused at HELLO, with a log line saying so. */
START_TEST(old_major)
{
	uint8_t buf[8192];
	char log[8192];
	uint32_t n;
	int s;

	/* a fresh log: the earlier tests' may fill more than the buffer */
	pathf(log, "a.log");
	unlink(log);
	pair_up(NULL, NULL);
	s = raw_link("127.0.0.1");
	n = frame(buf, QTFS_UDS_OP_HELLO, 0, 1, "dhhddB", QTFS_UDS_MAGIC,
		  QTFS_UDS_MAJOR - 1, 0, 0, QTFS_UDS_MSG_MAX, NULL, 0);
	ck_assert_int_eq(write(s, buf, n), (ssize_t)n);
	ck_assert_int_eq(read_frame(s, buf, sizeof(buf)), QTFS_HDR_SIZE);
	ck_assert_int_eq((int32_t)get_unaligned_le32(buf + 16),
			 -EPROTONOSUPPORT);
	expect_closed(s, 5000);
	close(s);
	read_file("a.log", log, sizeof(log));
	ck_assert_msg(strstr(log, "the peer speaks udsproxyd protocol major 1, this daemon major 2"),
		      "%s", log);
}
END_TEST

/*
 * LOCAL_CONNECT of a bad type, or of another major, on the local socket:
 * refused with an errno, and the daemon serves on.
 */
START_TEST(local_bad_request)
{
	static const struct {
		uint16_t major;
		uint32_t type;
		int err;
	} cases[] = {
		{ QTFS_UDS_MAJOR, QTFS_UDS_DGRAM, -EINVAL },	/* stream socket */
		{ QTFS_UDS_MAJOR, QTFS_UDS_SEQPACKET, -EINVAL },
		{ QTFS_UDS_MAJOR, 0, -EINVAL },
		{ QTFS_UDS_MAJOR, 99, -EINVAL },
		{ QTFS_UDS_MAJOR - 1, QTFS_UDS_STREAM, -EPROTO },
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[PATH_MAX];
	uint8_t buf[8192];
	uint32_t ids[2], n;
	size_t i;
	int s, fd;

	pair_up(NULL, NULL);
	start_server();
	pathf(path, "export/run/s.sock");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/b.sock", base);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(s, (struct sockaddr *)&sun,
					 sizeof(sun)), 0);
		n = frame(buf, QTFS_UDS_OP_LOCAL_CONNECT, 0, 1, "dhds",
			  QTFS_UDS_MAGIC, cases[i].major, cases[i].type, path);
		ck_assert_int_eq(write(s, buf, n), (ssize_t)n);
		ck_assert_int_eq(read_frame(s, buf, sizeof(buf)), QTFS_HDR_SIZE);
		ck_assert_msg((int32_t)get_unaligned_le32(buf + 16) ==
			      cases[i].err, "case %zu: %d", i,
			      (int32_t)get_unaligned_le32(buf + 16));
		close(s);
	}
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	close(fd);
}
END_TEST

/* Links from any host but the peer are closed before any answer. */
START_TEST(peer_restriction)
{
	uint8_t buf[8192];
	uint32_t n;
	int s;

	pair_up(NULL, NULL);
	s = raw_link("127.0.0.3");
	n = hello(buf, QTFS_UDS_MAGIC);
	write(s, buf, n);
	expect_closed(s, 5000);
	close(s);
}
END_TEST

/* --- the control socket --------------------------------------------- */

/* Run qtinfo with @args; its exit status, stdout and stderr in @out. */
static int run_qtinfo(const char *args, char *out, size_t outlen)
{
	char cmd[3 * PATH_MAX];
	size_t n;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "%.*s/../../qtinfo/qtinfo %s 2>&1",
		 (int)(strrchr(bin, '/') - bin - strlen("/../../ipc")), bin,
		 args);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * <socket>.ctl: root's only; stats, the live connections and the log
 * level, read and set at run time, directly and through qtinfo uds.
 */
START_TEST(control_socket)
{
	char ans[8192], path[PATH_MAX], args[PATH_MAX + 64];
	uint32_t ids[2];
	struct stat st;
	int fd, status;
	pid_t pid;

	pair_up(NULL, NULL);
	start_server();
	fd = open_cmd('e', ids);
	echo_check(fd, 100000);
	snprintf(path, sizeof(path), "%s/b.sock.ctl", base);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ctl_ask("b", "stats\n", 6, ans, sizeof(ans));
	ck_assert_msg(!strncmp(ans, "ok\nconnections 1\n", 17), "%s", ans);
	/* the command byte and the echoed bytes, each way */
	ck_assert_uint_ge(stat_of(ans, "bytes_to_peer"), 100001);
	ck_assert_uint_ge(stat_of(ans, "bytes_from_peer"), 100008);
	ck_assert_uint_eq(stat_of(ans, "connections_total"), 1);
	ctl_ask("b", "conns\n", 6, ans, sizeof(ans));
	snprintf(path, sizeof(path), " local stream relay 0 ");
	ck_assert_msg(strstr(ans, path) && strstr(ans, "/export/run/s.sock\n"),
		      "%s", ans);
	ctl_ask("a", "conns\n", 6, ans, sizeof(ans));
	ck_assert_msg(strstr(ans, " remote stream relay 0 "), "%s", ans);
	/* the log level */
	ctl_ask("b", "log\n", 4, ans, sizeof(ans));
	ck_assert_str_eq(ans, "ok\nlevel DEBUG\n");
	ctl_ask("b", "log WARN\n", 9, ans, sizeof(ans));
	ck_assert_str_eq(ans, "ok\nlevel WARN\n");
	ctl_ask("b", "log\n", 4, ans, sizeof(ans));
	ck_assert_str_eq(ans, "ok\nlevel WARN\n");
	close(fd);
	/* nobody may not even connect */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/b.sock.ctl",
			 base);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		_exit(connect(s, (struct sockaddr *)&sun, sizeof(sun)) ? errno :
		      0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == EACCES);
	/* qtinfo uds */
	snprintf(args, sizeof(args), "--uds-socket %s/b.sock uds", base);
	ck_assert_int_eq(run_qtinfo(args, ans, sizeof(ans)), 0);
	ck_assert_msg(strstr(ans, "connections_total 1\n"), "%s", ans);
	snprintf(args, sizeof(args), "-u %s/b.sock uds log INFO", base);
	ck_assert_int_eq(run_qtinfo(args, ans, sizeof(ans)), 0);
	ck_assert_str_eq(ans, "level INFO\n");
	snprintf(args, sizeof(args), "-u %s/b.sock uds conns", base);
	ck_assert_int_eq(run_qtinfo(args, ans, sizeof(ans)), 0);
	ck_assert_msg(!strncmp(ans, "id side type state uid", 22), "%s", ans);
	ck_assert_int_eq(run_qtinfo("-u /nonexistent/u.sock uds stats", ans,
				    sizeof(ans)), 1);
	ck_assert_msg(strstr(ans, "cannot reach udsproxyd at /nonexistent/u.sock.ctl"),
		      "%s", ans);
}
END_TEST

/*
 * Each bad request gets one error line and changes nothing; the daemon
 * goes on serving.
 */
static const struct {
	const char *req;
	size_t len;
	const char *msg;
} ctl_bad[] = {
	{ "bogus\n", 6, "error EINVAL: unknown request 'bogus'" },
	{ "\n", 1, "error EINVAL: unknown request ''" },
	{ "stats x\n", 8, "error EINVAL: 'stats' takes no argument" },
	{ "log LOUD\n", 9, "error EINVAL: invalid log level 'LOUD'" },
	{ "log ERR x\n", 10, "error EINVAL: words are separated by one blank" },
	{ "log  ERR\n", 9, "error EINVAL: words are separated by one blank" },
	{ "log \n", 5, "error EINVAL: words are separated by one blank" },
	{ "log\tERR\n", 8, "error EINVAL: the request has a byte that is not printable" },
	{ "log ERR\0\n", 9, "error EINVAL: the request has a NUL byte" },
	{ "stats\nlog ERR\n", 14, "error EINVAL: one request per connection" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64,
	  "error EINVAL: the request is longer than 63 bytes" },
	{ "log ER", 0, "error ETIMEDOUT: no request within 5 seconds" },
};

START_TEST(control_bad_requests)
{
	char ans[4096];
	uint32_t ids[2];
	int fd;

	pair_up(NULL, NULL);
	start_server();
	ctl_ask("b", ctl_bad[_i].req, ctl_bad[_i].len, ans, sizeof(ans));
	ck_assert_msg(!strncmp(ans, ctl_bad[_i].msg, strlen(ctl_bad[_i].msg)) &&
		      ans[strlen(ans) - 1] == '\n' &&
		      !strchr(ans, '\n')[1], "%s", ans);
	ctl_ask("b", "log\n", 4, ans, sizeof(ans));
	ck_assert_str_eq(ans, "ok\nlevel DEBUG\n");
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	close(fd);
}
END_TEST

/*
 * A datagram association has no end of file: a peer sending SHUTDOWN on
 * one has its link closed, and the association is gone.
 */
START_TEST(hostile_dgram_shutdown)
{
	struct qtfs_cred cred = {};
	char path[PATH_MAX], ans[4096];
	uint8_t buf[8192];
	uint32_t n;
	int s;

	pair_up(NULL, NULL);
	start_server();
	pathf(path, "export/run/d.sock");
	s = raw_link("127.0.0.1");
	n = hello(buf, QTFS_UDS_MAGIC);
	ck_assert_int_eq(write(s, buf, n), (ssize_t)n);
	ck_assert_int_gt(read_frame(s, buf, sizeof(buf)), 0);
	n = frame(buf, QTFS_UDS_OP_CONNECT, 0, 2, "Cds", &cred, QTFS_UDS_DGRAM,
		  path);
	ck_assert_int_eq(write(s, buf, n), (ssize_t)n);
	ck_assert_int_eq(read_frame(s, buf, sizeof(buf)), QTFS_HDR_SIZE);
	ck_assert_int_eq((int32_t)get_unaligned_le32(buf + 16), 0);
	ctl_ask("a", "conns\n", 6, ans, sizeof(ans));
	ck_assert_msg(strstr(ans, " remote dgram relay 0 "), "%s", ans);
	n = frame(buf, QTFS_UDS_OP_SHUTDOWN, 0, 0, "");
	ck_assert_int_eq(write(s, buf, n), (ssize_t)n);
	expect_closed(s, 5000);
	close(s);
	ctl_ask("a", "stats\n", 6, ans, sizeof(ans));
	ck_assert_msg(!strncmp(ans, "ok\nconnections 0\n", 17), "%s", ans);
}
END_TEST

/* --- keys and restarts ----------------------------------------------- */

START_TEST(keys)
{
	static const char *const keys[][2] = {
		{ "key1", "key1" }, { "key1", "key2" },
		{ "key1", NULL }, { NULL, "key1" },
	};
	uint32_t ids[2];
	int fd;

	pair_up(keys[_i][0], keys[_i][1]);
	start_server();
	if (_i == 0) {
		/* same key: authenticated, tagged frames carry the data */
		fd = open_cmd('e', ids);
		echo_check(fd, 1 << 20);
		close(fd);
	} else {
		ck_assert_int_eq(proxy_connect("export/run/s.sock"), -EACCES);
	}
}
END_TEST

/* A restarted daemon: live connections end, none hangs, new ones work. */
START_TEST(restart)
{
	uint32_t ids[2];
	int fd;

	pair_up(NULL, NULL);
	start_server();
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	stop(&pid_a);
	expect_closed(fd, 5000);
	ck_assert_int_eq(write(fd, "x", 1), -1);
	ck_assert(errno == EPIPE || errno == ECONNRESET);
	close(fd);
	ck_assert_int_eq(proxy_connect("export/run/s.sock"), -ECONNREFUSED);
	pid_a = start_daemon("a", &port_a, port_b, NULL, NULL);
	fd = open_cmd('e', ids);
	echo_check(fd, 4096);
	/* now the local one */
	stop(&pid_b);
	expect_closed(fd, 5000);
	close(fd);
	ck_assert_int_eq(proxy_connect("export/run/s.sock"), -ECONNREFUSED);
	pid_b = start_daemon("b", &port_b, port_a, NULL, NULL);
	fd = open_cmd('e', ids);
	close(fd);
}
END_TEST

/* --max-conns: one more connect fails with EAGAIN at once. */
START_TEST(max_conns)
{
	uint32_t ids[2];
	int fd;

	pair_up_extra(NULL, NULL, NULL, "--max-conns=1");
	start_server();
	fd = open_cmd('e', ids);
	ck_assert_int_eq(proxy_connect("export/run/s.sock"), -EAGAIN);
	close(fd);
}
END_TEST

/*
 * Half of --max-conns per local uid and for the peer's links: neither
 * one user nor the peer can take every connection from the others.
 */
START_TEST(conn_shares)
{
	char path[PATH_MAX];
	uint32_t ids[2];
	int fd[2], raw[3], i;

	pair_up_extra(NULL, NULL, NULL, "--max-conns=4");
	start_server();
	/* root's share at B is 2; nobody still gets in */
	for (i = 0; i < 2; i++)
		fd[i] = open_cmd('e', ids);
	ck_assert_int_eq(proxy_connect("export/run/s.sock"), -EAGAIN);
	ck_assert_int_eq(connect_as_nobody("export/run/s.sock"), 0);
	close(fd[0]);
	close(fd[1]);
	/* two silent links from the peer fill its share at A ... */
	stop(&pid_a);
	pid_a = start_daemon("a", &port_a, port_b, NULL, "--max-conns=4");
	for (i = 0; i < 3; i++)
		raw[i] = raw_link("127.0.0.1");
	expect_closed(raw[2], 2000);
	/* ... and A's own programs still reach B's sockets */
	use_daemon("a");
	fd[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	pathf(path, "export/run/s.sock");
	ck_assert_int_eq(udsproxy_connect(fd[0], path), 0);
	ck_assert_int_eq(write(fd[0], "e", 1), 1);
	read_n(fd[0], ids, sizeof(ids));
	echo_check(fd[0], 4096);
	close(fd[0]);
	for (i = 0; i < 3; i++)
		close(raw[i]);
}
END_TEST

/* --- mountinfo ------------------------------------------------------- */

static const char mountinfo[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"30 22 0:40 / /mnt/q rw,relatime shared:5 - qtfs /home rw\n"
	"31 30 0:41 / /mnt/q/tmp rw - tmpfs tmpfs rw\n"
	"32 22 0:40 /sub /mnt/b\\040x rw - qtfs /srv/share rw\n"
	"33 22 0:42 / /mnt/o rw - qtfs relative rw\n"
	"34 22 0:43 / /mnt/over rw - qtfs /first rw\n"
	"35 22 0:44 / /mnt/over rw master:3 - qtfs /second rw\n"
	"garbage line\n";

START_TEST(map_path)
{
	static const struct {
		const char *path;
		int ret;
		const char *server;
	} cases[] = {
		{ "/mnt/q/run/s.sock", 0, "/home/run/s.sock" },
		{ "/mnt/q", 0, "/home" },
		{ "/mnt/q/tmp/s.sock", -ENOENT, NULL },	/* tmpfs on top */
		{ "/mnt/qq/s.sock", -ENOENT, NULL },	/* not a boundary */
		{ "/etc/x", -ENOENT, NULL },
		{ "/mnt/b x/s", 0, "/srv/share/sub/s" },	/* \040, root */
		{ "/mnt/o/s", -EINVAL, NULL },		/* relative source */
		{ "/mnt/over/s", 0, "/second/s" },	/* the top mount */
	};
	char mi[PATH_MAX], out[QTFS_PATH_MAX];
	size_t i;
	int ret;

	write_file("mountinfo", mountinfo, 0644);
	pathf(mi, "mountinfo");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ret = udsproxy_map_path(mi, cases[i].path, out, sizeof(out));
		ck_assert_msg(ret == cases[i].ret, "%s: %d", cases[i].path,
			      ret);
		if (!ret)
			ck_assert_str_eq(out, cases[i].server);
	}
	ck_assert_int_eq(udsproxy_map_path("/nonexistent", "/x", out,
					   sizeof(out)), -ENOENT);
	ck_assert_int_eq(udsproxy_map_path(mi, "/mnt/q/x", out, 5),
			 -ENAMETOOLONG);
}
END_TEST

/* No daemon: clear errors. */
START_TEST(lib_errors)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct iovec iov = { "x", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	setenv(UDSPROXY_SOCK_ENV, "/nonexistent/udsproxyd.sock", 1);
	ck_assert_int_eq(udsproxy_connect(fd, "/x"), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(udsproxy_sendmsg(fd, "/x", &mh, 0), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	close(fd);
	/* no daemon: ECONNREFUSED, and the socket can be used again */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(udsproxy_connect(fd, "/x"), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(udsproxy_connect(fd, "/x"), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
}
END_TEST

/* --- command line ---------------------------------------------------- */

/* Run udsproxyd with @args (a shell word list); its exit status. */
static int run(const char *args, char *out, size_t outlen)
{
	char cmd[3 * PATH_MAX];
	size_t n;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", bin, args);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(command_line)
{
	static const struct {
		const char *args;
		const char *msg;
	} bad[] = {
		{ "1 10 12121 2", "got 4 arguments" },
		{ "0 10 12121 2 12121", "invalid THREADS '0'" },
		{ "65 10 12121 2 12121", "invalid THREADS '65'" },
		{ "1 10 12121 127.0.0.1 12121", "both be CIDs or both IPv4" },
		{ "1 127.0.0.1 0 127.0.0.1 1", "invalid port '0'" },
		{ "1 127.0.0.1 1 0.0.0.0 1", "invalid PEER_CID '0.0.0.0'" },
		{ "1 10 12121 4294967295 12121", "invalid PEER_CID" },
		{ "1 1x 12121 2 12121", "invalid LOCAL_CID '1x'" },
		{ "--max-conns 0 1 10 1 2 1", "invalid --max-conns '0'" },
		{ "--dgram-idle 0 1 10 1 2 1", "invalid --dgram-idle '0'" },
		{ "--dgram-idle 86401 1 10 1 2 1", "invalid --dgram-idle '86401'" },
		{ "--dgram-idle 5s 1 10 1 2 1", "invalid --dgram-idle '5s'" },
		{ "--log-level LOUD 1 10 1 2 1", "invalid --log-level 'LOUD'" },
		{ "--bogus 1 10 1 2 1", "unknown option" },
		{ "--whitelist /nonexistent/wl 1 127.0.0.1 61399 127.0.0.1 1",
		  "cannot read whitelist /nonexistent/wl" },
	};
	char out[4096], args[3 * PATH_MAX], p[PATH_MAX];
	size_t i;
	FILE *f;

	/* port 61399 below is never bound: each case fails before that */
	ck_assert_int_eq(run("--help", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(run(bad[i].args, out, sizeof(out)), 1);
		ck_assert_msg(strstr(out, bad[i].msg), "%s: %s", bad[i].args,
			      out);
	}
	/* a key file others can read is refused, naming the fix */
	write_file("openkey", KEY1, 0644);
	pathf(p, "openkey");
	snprintf(args, sizeof(args),
		 "--key-file %s 1 127.0.0.1 61399 127.0.0.1 1", p);
	ck_assert_int_eq(run(args, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "chmod 600"));
	/* more connections than descriptors: refused at start */
	snprintf(args, sizeof(args),
		 "sh -c 'ulimit -n 512; ulimit -Hn 512; exec %s --max-conns 1000 1 127.0.0.1 61399 127.0.0.1 1' 2>&1",
		 bin);
	f = popen(args, "r");
	ck_assert_ptr_nonnull(f);
	out[fread(out, 1, sizeof(out) - 1, f)] = '\0';
	ck_assert_int_eq(WEXITSTATUS(pclose(f)), 1);
	ck_assert_msg(strstr(out, "RLIMIT_NOFILE allows 512"), "%s", out);
	/* a whitelist that does not parse */
	write_file("badwl", "[Mount]\nPath=relative\n", 0644);
	pathf(p, "badwl");
	snprintf(args, sizeof(args),
		 "--whitelist %s 1 127.0.0.1 61399 127.0.0.1 1", p);
	ck_assert_int_eq(run(args, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "line 2"));
	/* socket activation with more than the one listener */
	snprintf(args, sizeof(args),
		 "sh -c 'export LISTEN_PID=$$ LISTEN_FDS=2; exec %s 1 127.0.0.1 61399 127.0.0.1 1' 2>&1",
		 bin);
	f = popen(args, "r");
	ck_assert_ptr_nonnull(f);
	out[fread(out, 1, sizeof(out) - 1, f)] = '\0';
	ck_assert_int_eq(WEXITSTATUS(pclose(f)), 1);
	ck_assert_msg(strstr(out, "LISTEN_FDS=2: expected 1"), "%s", out);
}
END_TEST

/*
 * A socket handed over by socket activation must be the listener the
 * command line names: anything else is refused at start.
 */
START_TEST(socket_activation_bad)
{
	char port[16], log[PATH_MAX], out[4096];
	const char *argv[] = { bin, "--socket", NULL, "1", "127.0.0.1", port,
			       "127.0.0.1", "1", NULL };
	char sock[PATH_MAX];
	int l, p, st;
	pid_t pid;

	pathf(sock, "act.sock");
	argv[2] = sock;
	pathf(log, "act.log");
	/* 0: a listener on another port; 1: not listening; 2: UDP */
	if (_i == 0) {
		l = link_listener(0, &p);
		snprintf(port, sizeof(port), "%d", p == 1 ? 2 : 1);
	} else {
		l = socket(AF_INET, _i == 1 ? SOCK_STREAM : SOCK_DGRAM, 0);
		ck_assert_int_ge(l, 0);
		strcpy(port, "1");
	}
	unlink(log);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		exec_daemon(l, log, argv);
	close(l);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	read_file("act.log", out, sizeof(out));
	ck_assert_msg(strstr(out, _i ? "fd 3 is not a listening TCP socket" :
			     "not on LOCAL_CID LOCAL_PORT"), "%s", out);
	ck_assert_int_ne(access(sock, F_OK), 0);
}
END_TEST

/* The local socket's directory is made; both sockets go at SIGTERM. */
START_TEST(socket_dir)
{
	char sock[PATH_MAX], seq[PATH_MAX + 16], port[16], log[PATH_MAX];
	const char *argv[] = { bin, "--socket", sock, "--log-level", "ERR",
			       "1", "127.0.0.1", port, "127.0.0.1", "1", NULL };
	int i, status, l, p;
	struct stat st;
	pid_t pid;

	pathf(sock, "qtfs/u.sock");
	pathf(log, "u.log");
	snprintf(seq, sizeof(seq), "%s%s", sock, QTFS_UDS_SEQPACKET_SUFFIX);
	l = link_listener(0, &p);
	snprintf(port, sizeof(port), "%d", p);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		exec_daemon(l, log, argv);
	close(l);
	for (i = 0; i < 500 && stat(sock, &st); i++)
		msleep(10);
	ck_assert_msg(i < 500, "no socket %s", sock);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0666);
	ck_assert_int_eq(stat(seq, &st), 0);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_ne(stat(sock, &st), 0);
	ck_assert_int_ne(stat(seq, &st), 0);
}
END_TEST

static Suite *udsproxyd_suite(void)
{
	Suite *s = suite_create("udsproxyd");
	TCase *tc = tcase_create("relay");
	TCase *th = tcase_create("hostile");
	TCase *tu = tcase_create("unit");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, data_both_ways);
	tcase_add_test(tc, seqpacket_boundaries);
	tcase_add_test(tc, caller_identity);
	tcase_add_test(tc, scm_credentials);
	tcase_add_test(tc, server_identity);
	tcase_add_test(tc, scm_rights_refused);
	tcase_add_loop_test(tc, scm_rights_kinds, 0,
			    sizeof(fd_kinds) / sizeof(fd_kinds[0]));
	tcase_add_test(tc, dgram_both_ways);
	tcase_add_test(tc, dgram_idle);
	tcase_add_test(tc, dgram_other_user);
	tcase_add_test(tc, control_socket);
	tcase_add_test(tc, whitelist_and_errors);
	tcase_add_test(tc, stall_is_per_connection);
	tcase_add_loop_test(tc, keys, 0, 4);
	tcase_add_test(tc, restart);
	tcase_add_test(tc, max_conns);
	tcase_add_test(tc, conn_shares);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(th, setup, teardown);
	tcase_set_timeout(th, 60);
	tcase_add_loop_test(th, hostile_peer, 0, HOSTILE_CASES);
	tcase_add_loop_test(th, hostile_remote, 0,
			    sizeof(hostile_remote_errno) / sizeof(int));
	tcase_add_test(th, hostile_local);
	tcase_add_loop_test(th, hostile_dgram_identity, 0, 3);
	tcase_add_test(th, peer_restriction);
	tcase_add_test(th, old_major);
	tcase_add_test(th, local_bad_request);
	tcase_add_test(th, hostile_dgram_shutdown);
	tcase_add_loop_test(th, control_bad_requests, 0,
			    sizeof(ctl_bad) / sizeof(ctl_bad[0]));
	suite_add_tcase(s, th);

	tcase_add_unchecked_fixture(tu, setup, teardown);
	tcase_add_test(tu, map_path);
	tcase_add_test(tu, lib_errors);
	tcase_add_test(tu, command_line);
	tcase_add_test(tu, socket_dir);
	tcase_add_loop_test(tu, socket_activation_bad, 0, 3);
	suite_add_tcase(s, tu);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(udsproxyd_suite());
	int failed;

	/* writes to a connection that ended must fail, not kill the test */
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
