// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of rexec and rexec_server (rexec/, doc/rexec.md) on the
 * host: one rexec_server on a unix socket in a mkdtemp() directory, and
 * rexec pointed straight at it with --socket (a socket not on a qtfs
 * mount is connected to locally, udsproxyd is not involved).  The working
 * directory translation reads a mountinfo file the test writes.
 *
 * Every process a test starts dies with it (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "qtfs_proto.h"
#include "rexec.h"
#include "uapi/qtfs_rexec.h"

#define NOBODY		65534
#define BIG_SIZE	(6U << 20)

static char base[] = "/tmp/check_rexec.XXXXXX";
static char rexec_bin[PATH_MAX], server_bin[PATH_MAX];
static char sock[PATH_MAX], pids[PATH_MAX];
static pid_t server_pid;

static void pathf(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", base, name);
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void write_file(const char *name, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	pathf(p, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Read a whole small file into @buf; return: its length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* --- fixture: one rexec_server per test case ------------------------ */

/*
 * Start rexec_server on @path with --max-conns @max and the whitelist
 * file @wlname, after @prep (if any) in its process; wait until it
 * serves.
 */
static pid_t start_server_with(const char *path, const char *max,
			       const char *wlname, void (*prep)(void))
{
	char wl[PATH_MAX], log[PATH_MAX];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	pid_t pid;
	int i, fd;

	pathf(wl, wlname);
	pathf(log, "server.log");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/*
		 * As `nohup rexec_server &` from a script starts it: SIGHUP,
		 * SIGINT and SIGQUIT ignored, which the binaries it runs must
		 * not inherit (signal_forwarding fails if they do).
		 */
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		if (prep)
			prep();
		setenv("REXEC_LOG_FILE", log, 1);
		execl(server_bin, server_bin, "--socket", path, "--whitelist",
		      wl, "--env", "TERM,LANG,LC_*,TZ,REXEC_T_*,HOME",
		      "--max-conns", max, "--log-level", "DEBUG", (char *)NULL);
		_exit(127);
	}
	strcpy(sun.sun_path, path);
	for (i = 0; i < 500; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			close(fd);
			return pid;
		}
		close(fd);
		msleep(10);
	}
	ck_abort_msg("rexec_server did not start (see %s)", log);
	return -1;
}

static pid_t start_server(const char *path, const char *max)
{
	return start_server_with(path, max, "wl", NULL);
}

static void setup(void)
{
	char p[PATH_MAX], wl[PATH_MAX + 256];
	ssize_t n;

	ck_assert_ptr_nonnull(mkdtemp(base));
	ck_assert_int_eq(chmod(base, 0755), 0);
	n = readlink("/proc/self/exe", rexec_bin, sizeof(rexec_bin) - 32);
	ck_assert_int_gt(n, 0);
	rexec_bin[n] = '\0';
	strcpy(server_bin, rexec_bin);
	strcpy(strrchr(rexec_bin, '/'), "/../../rexec/rexec");
	strcpy(strrchr(server_bin, '/'), "/../../rexec/rexec_server");
	pathf(sock, "run/rexec.sock");
	pathf(pids, "pids");
	pathf(p, "export");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	pathf(p, "export/sub");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	pathf(p, "mnt");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	pathf(p, "mnt/sub");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(wl, sizeof(wl),
		 "# test whitelist\n\n/bin/sh\n  /usr/bin/cat  \n/usr/bin/env\n"
		 "/usr/bin/sleep\n/usr/bin/id\n/usr/bin/tty\n/usr/bin/stty\n"
		 "%s/missing\n", base);
	write_file("wl", wl);
	server_pid = start_server(sock, "64");
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
	}
	server_pid = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(base + strlen(base) - 6, "XXXXXX");
}

/* --- running rexec --------------------------------------------------- */

/**
 * struct run - one rexec and what it did
 * @pid:  its pid
 * @in:   pipe to its stdin (-1 once closed)
 * @out:  pipe from its stdout
 * @err:  pipe from its stderr
 * @obuf: stdout collected
 * @olen: bytes in @obuf
 * @ebuf: stderr collected (NUL-terminated)
 * @elen: bytes in @ebuf
 */
struct run {
	pid_t pid;
	int in, out, err;
	char *obuf;
	size_t olen;
	char ebuf[8192];
	size_t elen;
};

/*
 * Start rexec with --socket, --pid-dir, @opts (NULL-terminated: options,
 * BINARY, ARGS) in directory @dir, as @uid unless it is -1, with stdin
 * @tty if it is not -1 (a pipe otherwise).  @tty becomes the controlling
 * terminal of rexec's own session, so that a resize signals it as a
 * terminal's size change signals a shell.
 */
static void start_tty(struct run *r, const char *dir, int uid, int tty,
		      const char *const *opts)
{
	int in[2], out[2], err[2];
	const char *argv[32];
	int n = 0;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(pipe(err), 0);
	argv[n++] = rexec_bin;
	argv[n++] = "--socket";
	argv[n++] = sock;
	argv[n++] = "--pid-dir";
	argv[n++] = pids;
	while (*opts && n < 31)
		argv[n++] = *opts++;
	argv[n] = NULL;
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (!r->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_DFL);
		if (tty >= 0 && (setsid() < 0 || ioctl(tty, TIOCSCTTY, 0)))
			_exit(97);
		dup2(tty >= 0 ? tty : in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		if ((dir && chdir(dir)) ||
		    (uid >= 0 && (setgroups(0, NULL) || setgid(uid) ||
				  setuid(uid))))
			_exit(99);
		execv(rexec_bin, (char **)argv);
		_exit(98);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->in = in[1];
	r->out = out[0];
	r->err = err[0];
	fcntl(r->in, F_SETFL, O_NONBLOCK);
}

static void start(struct run *r, const char *dir, int uid,
		  const char *const *opts)
{
	start_tty(r, dir, uid, -1, opts);
}

/*
 * Feed @len bytes of @data to stdin (then close it) while collecting
 * stdout and stderr, until both are at end of file or @until appears
 * on stdout; return: rexec's exit code, or -1 if @until appeared.
 */
static int pump(struct run *r, const void *data, size_t len,
		const char *until)
{
	size_t off = 0, cap = 1 << 16;
	struct pollfd p[3];
	char buf[65536];
	ssize_t n;
	int st;

	if (!r->obuf)
		r->obuf = malloc(cap + 1);
	while (r->out >= 0 || r->err >= 0) {
		p[0] = (struct pollfd){ r->out, POLLIN, 0 };
		p[1] = (struct pollfd){ r->err, POLLIN, 0 };
		p[2] = (struct pollfd){ len == (size_t)-1 ? -1 : r->in,
					POLLOUT, 0 };
		if (r->in >= 0 && off == len && len != (size_t)-1) {
			close(r->in);
			r->in = -1;
			p[2].fd = -1;
		}
		ck_assert_int_gt(poll(p, 3, 10000), 0);
		if (p[2].revents) {
			n = write(r->in, (const char *)data + off, len - off);
			if (n > 0)
				off += n;
			else if (errno != EAGAIN)
				off = len;
		}
		if (p[0].revents) {
			n = read(r->out, buf, sizeof(buf));
			if (n <= 0) {
				close(r->out);
				r->out = -1;
			} else {
				while (r->olen + n > cap)
					cap *= 2;
				r->obuf = realloc(r->obuf, cap + 1);
				memcpy(r->obuf + r->olen, buf, n);
				r->olen += n;
				r->obuf[r->olen] = '\0';
				if (until && strstr(r->obuf, until))
					return -1;
			}
		}
		if (p[1].revents) {
			n = read(r->err, buf, sizeof(buf));
			if (n <= 0) {
				close(r->err);
				r->err = -1;
			} else {
				n = (size_t)n < sizeof(r->ebuf) - 1 - r->elen ?
				    n : (ssize_t)(sizeof(r->ebuf) - 1 - r->elen);
				memcpy(r->ebuf + r->elen, buf, n);
				r->elen += n;
				r->ebuf[r->elen] = '\0';
			}
		}
	}
	if (r->in >= 0)
		close(r->in);
	ck_assert_int_eq(waitpid(r->pid, &st, 0), r->pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static void run_free(struct run *r)
{
	free(r->obuf);
}

/* Run rexec to the end with @input; stdout in @r. */
static int run(struct run *r, const char *input, size_t len,
	       const char *const *opts)
{
	start(r, NULL, -1, opts);
	return pump(r, input, len, NULL);
}

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* --- stdio, exit status ---------------------------------------------- */

START_TEST(stdio_binary_and_exit)
{
	char data[4096];
	struct run r;
	int i;

	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = (char)(i * 7);
	ck_assert_int_eq(run(&r, data, sizeof(data),
			     OPTS("--cwd", "/", "/bin/sh", "-c",
				  "cat; echo to-stderr >&2; exit 42")), 42);
	ck_assert_uint_eq(r.olen, sizeof(data));
	ck_assert_mem_eq(r.obuf, data, sizeof(data));
	ck_assert_str_eq(r.ebuf, "to-stderr\n");
	run_free(&r);
}
END_TEST

START_TEST(large_stream)
{
	char *data = malloc(BIG_SIZE);
	struct run r;
	size_t i;

	ck_assert_ptr_nonnull(data);
	srand(7);
	for (i = 0; i < BIG_SIZE; i++)
		data[i] = (char)rand();
	ck_assert_int_eq(run(&r, data, BIG_SIZE,
			     OPTS("--cwd", "/", "/usr/bin/cat")), 0);
	ck_assert_uint_eq(r.olen, BIG_SIZE);
	ck_assert_int_eq(memcmp(r.obuf, data, BIG_SIZE), 0);
	run_free(&r);
	free(data);
}
END_TEST

/* The remote cat sees end of file only if rexec's stdin EOF travels. */
START_TEST(stdin_eof)
{
	struct run r;

	ck_assert_int_eq(run(&r, "abc", 3,
			     OPTS("--cwd", "/", "/bin/sh", "-c",
				  "wc -c; echo done")), 0);
	ck_assert_str_eq(r.obuf, "3\ndone\n");
	run_free(&r);
	/* and no stdin at all: /dev/null-like immediate end of file */
	ck_assert_int_eq(run(&r, "", 0,
			     OPTS("--cwd", "/", "/usr/bin/cat")), 0);
	ck_assert_uint_eq(r.olen, 0);
	run_free(&r);
}
END_TEST

static const int death_signals[] = { SIGKILL, SIGTERM, SIGSEGV };

START_TEST(death_by_signal)
{
	char script[64];
	struct run r;

	snprintf(script, sizeof(script), "ulimit -c 0; kill -%d $$",
		 death_signals[_i]);
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "/bin/sh", "-c",
					     script)),
			 128 + death_signals[_i]);
	run_free(&r);
}
END_TEST

/* --- signals, lifetime, pid map --------------------------------------- */

static const int fwd_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

START_TEST(signal_forwarding)
{
	char script[256];
	struct run r;

	snprintf(script, sizeof(script),
		 "ulimit -c 0; trap 'echo got-%d; exit 7' %d; echo ready; while :; do sleep 0.05; done",
		 fwd_signals[_i], fwd_signals[_i]);
	start(&r, NULL, -1, OPTS("--cwd", "/", "/bin/sh", "-c", script));
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, "ready\n"), -1);
	kill(r.pid, fwd_signals[_i]);
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, NULL), 7);
	ck_assert_ptr_nonnull(strstr(r.obuf, "got-"));
	run_free(&r);
}
END_TEST

/*
 * Without a pseudo-terminal (-T), SIGWINCH reaches the binary when
 * rexec's stdin is a terminal, and only then (the INT after it ends the
 * script either way).
 */
START_TEST(winch_forwarding)
{
	const char *script =
		"ulimit -c 0; trap 'echo winch' WINCH; trap 'echo int; exit 7' INT; "
		"echo ready; while :; do sleep 0.05; done";
	struct winsize ws = { .ws_row = 33, .ws_col = 99 };
	int master = -1, slave = -1;
	struct run r;

	if (_i) {
		master = posix_openpt(O_RDWR | O_NOCTTY);
		ck_assert_int_ge(master, 0);
		ck_assert_int_eq(grantpt(master), 0);
		ck_assert_int_eq(unlockpt(master), 0);
		slave = open(ptsname(master), O_RDWR | O_NOCTTY);
		ck_assert_int_ge(slave, 0);
		ck_assert_int_eq(ioctl(slave, TIOCSWINSZ, &ws), 0);
	}
	start_tty(&r, NULL, -1, slave, OPTS("-T", "--cwd", "/", "/bin/sh",
					    "-c", script));
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, "ready\n"), -1);
	kill(r.pid, SIGWINCH);
	if (_i)
		ck_assert_int_eq(pump(&r, NULL, (size_t)-1, "winch\n"), -1);
	else
		msleep(300);
	kill(r.pid, SIGINT);
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, NULL), 7);
	ck_assert_int_eq(strstr(r.obuf, "winch") != NULL, _i);
	ck_assert_ptr_nonnull(strstr(r.obuf, "int\n"));
	run_free(&r);
	if (_i) {
		close(slave);
		close(master);
	}
}
END_TEST

/* --- pseudo-terminal ------------------------------------------------- */

/* A pty for rexec's stdin, @rows x @cols; the test keeps the master. */
static void open_pty(int *master, int *slave, unsigned short rows,
		     unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(*master, 0);
	ck_assert_int_eq(grantpt(*master), 0);
	ck_assert_int_eq(unlockpt(*master), 0);
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(*slave, 0);
	ck_assert_int_eq(ioctl(*slave, TIOCSWINSZ, &ws), 0);
}

static bool same_modes(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       !memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc));
}

/* Run rexec with stdin @tty to the end; return: its exit code. */
static int run_tty(struct run *r, int tty, const char *const *opts)
{
	start_tty(r, NULL, -1, tty, opts);
	return pump(r, NULL, (size_t)-1, NULL);
}

/*
 * With stdin a terminal the binary runs on a pseudo-terminal of the
 * terminal's size (output with the terminal's CR LF), -T keeps pipes,
 * -t asks for one without a terminal; the terminal's modes are back
 * after each.
 */
START_TEST(pty_session)
{
	struct termios before, after;
	char expect[32];
	int master, slave;
	struct run r;

	open_pty(&master, &slave, 33, 99);
	ck_assert_int_eq(tcgetattr(slave, &before), 0);
	ck_assert_int_eq(run_tty(&r, slave, OPTS("--cwd", "/",
						 "/usr/bin/tty")), 0);
	ck_assert_msg(!strncmp(r.obuf, "/dev/pts/", 9) &&
		      strstr(r.obuf, "\r\n"), "tty said '%s'", r.obuf);
	run_free(&r);
	ck_assert_int_eq(run_tty(&r, slave, OPTS("--cwd", "/", "/usr/bin/stty",
						 "size")), 0);
	ck_assert_str_eq(r.obuf, "33 99\r\n");
	run_free(&r);
	ck_assert_int_eq(tcgetattr(slave, &after), 0);
	ck_assert(same_modes(&before, &after));
	/* pipes: no terminal on the server */
	ck_assert_int_eq(run_tty(&r, slave, OPTS("-T", "--cwd", "/",
						 "/usr/bin/tty")), 1);
	ck_assert_str_eq(r.obuf, "not a tty\n");
	run_free(&r);
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "/usr/bin/tty")),
			 1);
	run_free(&r);
	/* -t without a terminal: size 0 0, and stdin's end of file is the
	 * terminal's EOF character, after the partial line too */
	ck_assert_int_eq(run(&r, "", 0, OPTS("-t", "--cwd", "/",
					     "/usr/bin/tty")), 0);
	ck_assert_int_eq(strncmp(r.obuf, "/dev/pts/", 9), 0);
	run_free(&r);
	ck_assert_int_eq(run(&r, "ab\ncd", 5, OPTS("--tty", "--cwd", "/",
						   "/bin/sh", "-c",
						   "cat >/dev/null; echo end")),
			 0);
	ck_assert_ptr_nonnull(strstr(r.obuf, "end\r\n"));
	run_free(&r);
	ck_assert_int_eq(tcgetattr(slave, &after), 0);
	ck_assert(same_modes(&before, &after));
	if (geteuid() == 0) {
		/* the remote terminal belongs to the caller, as a login's */
		snprintf(expect, sizeof(expect), "\r\n%d\r\n", NOBODY);
		start_tty(&r, "/", NOBODY, slave,
			  OPTS("--cwd", "/", "/bin/sh", "-c",
			       "tty; stat -c %u \"$(tty)\""));
		ck_assert_int_eq(pump(&r, NULL, (size_t)-1, NULL), 0);
		ck_assert_msg(!strncmp(r.obuf, "/dev/pts/", 9) &&
			      strstr(r.obuf, expect), "got '%s'", r.obuf);
		run_free(&r);
	}
	close(slave);
	close(master);
}
END_TEST

/*
 * A resize of rexec's terminal reaches the remote terminal (the kernel
 * there signals the binary), keys reach it raw (^C is the remote
 * terminal's SIGINT), and the modes are restored at the end.
 */
START_TEST(pty_resize_and_keys)
{
	const char *script =
		"trap 'stty size' WINCH; trap 'echo int; exit 7' INT; "
		"echo ready; while :; do sleep 0.05; done";
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	struct termios before, during, after;
	int master, slave;
	struct run r;

	open_pty(&master, &slave, 33, 99);
	ck_assert_int_eq(tcgetattr(slave, &before), 0);
	start_tty(&r, NULL, -1, slave, OPTS("--cwd", "/", "/bin/sh", "-c",
					    script));
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, "ready\r\n"), -1);
	ck_assert_int_eq(tcgetattr(slave, &during), 0);
	ck_assert_msg(!(during.c_lflag & (ICANON | ECHO | ISIG)),
		      "rexec's terminal is not raw");
	ck_assert_int_eq(ioctl(master, TIOCSWINSZ, &ws), 0);
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, "40 120\r\n"), -1);
	ck_assert_int_eq(write(master, "\003", 1), 1);
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, NULL), 7);
	ck_assert_ptr_nonnull(strstr(r.obuf, "int\r\n"));
	ck_assert_int_eq(tcgetattr(slave, &after), 0);
	ck_assert(same_modes(&before, &after));
	run_free(&r);
	close(slave);
	close(master);
}
END_TEST

/*
 * The terminal's modes come back however rexec ends: a forwarded
 * signal ends the binary (and rexec with its status), another kills
 * rexec itself.
 */
static const int pty_end_signals[] = { SIGTERM, SIGUSR1, SIGALRM };

START_TEST(pty_restore_on_signal)
{
	struct termios before, during, after;
	int sig = pty_end_signals[_i];
	int master, slave, rc;
	struct run r;

	open_pty(&master, &slave, 24, 80);
	ck_assert_int_eq(tcgetattr(slave, &before), 0);
	start_tty(&r, NULL, -1, slave, OPTS("--cwd", "/", "/bin/sh", "-c",
					    "echo ready; exec sleep 1000"));
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, "ready\r\n"), -1);
	ck_assert_int_eq(tcgetattr(slave, &during), 0);
	ck_assert(!same_modes(&before, &during));
	kill(r.pid, sig);
	rc = pump(&r, NULL, (size_t)-1, NULL);
	ck_assert_int_eq(rc, sig == SIGTERM ? 128 + SIGTERM : 1000 + sig);
	ck_assert_int_eq(tcgetattr(slave, &after), 0);
	ck_assert(same_modes(&before, &after));
	run_free(&r);
	close(slave);
	close(master);
}
END_TEST

/* Wait for the pid-map file of rexec @pid; return: the remote pid. */
static pid_t remote_pid(pid_t pid)
{
	char p[PATH_MAX + 32], buf[32];
	int i;

	snprintf(p, sizeof(p), "%s/%d", pids, (int)pid);
	for (i = 0; i < 500; i++) {
		if (read_file(p, buf, sizeof(buf)) > 0 && strchr(buf, '\n'))
			return atoi(buf);
		msleep(10);
	}
	ck_abort_msg("no pid-map file %s", p);
	return -1;
}

static bool gone(pid_t pid)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (kill(pid, 0) && errno == ESRCH)
			return true;
		msleep(10);
	}
	return false;
}

/* kill -9 of rexec (nothing forwarded): the lost connection kills it */
START_TEST(kill_rexec_kills_remote)
{
	char p[PATH_MAX + 32];
	struct run r;
	pid_t rpid;
	int st;

	start(&r, NULL, -1, OPTS("--cwd", "/", "/usr/bin/sleep", "1000"));
	rpid = remote_pid(r.pid);
	ck_assert_int_gt(rpid, 1);
	ck_assert_int_ne(rpid, r.pid);
	ck_assert_int_eq(kill(rpid, 0), 0);
	kill(r.pid, SIGKILL);
	waitpid(r.pid, &st, 0);
	close(r.in);
	close(r.out);
	close(r.err);
	ck_assert_msg(gone(rpid), "remote sleep %d survived rexec", rpid);
	/* the server still serves */
	run_free(&r);
	ck_assert_int_eq(run(&r, "x", 1, OPTS("--cwd", "/", "/usr/bin/cat")),
			 0);
	ck_assert_str_eq(r.obuf, "x");
	run_free(&r);
	/* kill -TERM is forwarded: exit 143, and the pid map is removed */
	start(&r, NULL, -1, OPTS("--cwd", "/", "/usr/bin/sleep", "1000"));
	rpid = remote_pid(r.pid);
	kill(r.pid, SIGTERM);
	ck_assert_int_eq(pump(&r, NULL, 0, NULL), 128 + SIGTERM);
	ck_assert(gone(rpid));
	snprintf(p, sizeof(p), "%s/%d", pids, (int)r.pid);
	ck_assert_int_eq(access(p, F_OK), -1);
	run_free(&r);
}
END_TEST

/* --- environment, identity, cwd, whitelist ---------------------------- */

START_TEST(env_allow_list)
{
	struct passwd *pw = getpwuid(getuid());
	char home[PATH_MAX + 8];
	struct run r;

	ck_assert_ptr_nonnull(pw);
	setenv("REXEC_T_A", "one two", 1);
	setenv("REXEC_FOO", "no", 1);
	setenv("LANG", "C", 1);
	setenv("HOME", "/bogus", 1);
	setenv("LD_PRELOAD", "/bogus.so", 1);
	/* client forwards REXEC_T_*, LANG, HOME, LD_PRELOAD; the server
	 * admits REXEC_T_* and LANG, and sets HOME from passwd */
	ck_assert_int_eq(run(&r, "", 0,
			     OPTS("--cwd", "/", "--env",
				  "REXEC_T_*,LANG,HOME,LD_PRELOAD",
				  "/usr/bin/env")), 0);
	ck_assert_ptr_nonnull(strstr(r.obuf, "REXEC_T_A=one two\n"));
	ck_assert_ptr_nonnull(strstr(r.obuf, "LANG=C\n"));
	ck_assert_ptr_null(strstr(r.obuf, "REXEC_FOO"));
	ck_assert_ptr_null(strstr(r.obuf, "LD_PRELOAD"));
	ck_assert_ptr_null(strstr(r.obuf, "/bogus"));
	snprintf(home, sizeof(home), "HOME=%s\n", pw->pw_dir);
	ck_assert_ptr_nonnull(strstr(r.obuf, home));
	snprintf(home, sizeof(home), "USER=%s\n", pw->pw_name);
	ck_assert_ptr_nonnull(strstr(r.obuf, home));
	snprintf(home, sizeof(home), "LOGNAME=%s\n", pw->pw_name);
	ck_assert_ptr_nonnull(strstr(r.obuf, home));
	ck_assert_ptr_nonnull(strstr(r.obuf, "\nSHELL=/"));
	run_free(&r);
	/* the client's list alone decides what leaves: LANG not listed */
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "--env", "REXEC_T_*",
					     "/usr/bin/env")), 0);
	ck_assert_ptr_null(strstr(r.obuf, "LANG="));
	ck_assert_ptr_nonnull(strstr(r.obuf, "REXEC_T_A="));
	run_free(&r);
}
END_TEST

/* The binary runs as the caller (SO_PEERCRED), not as the root server. */
START_TEST(caller_identity)
{
	char expect[64];
	struct run r;

	if (geteuid() != 0)
		return;	/* needs a root server and another user */
	start(&r, "/", NOBODY, OPTS("--cwd", "/", "/usr/bin/id", "-u"));
	ck_assert_int_eq(pump(&r, "", 0, NULL), 0);
	snprintf(expect, sizeof(expect), "%d\n", NOBODY);
	ck_assert_str_eq(r.obuf, expect);
	run_free(&r);
	start(&r, "/", NOBODY, OPTS("--cwd", "/", "/usr/bin/id", "-g"));
	ck_assert_int_eq(pump(&r, "", 0, NULL), 0);
	ck_assert_str_eq(r.obuf, expect);
	run_free(&r);
}
END_TEST

START_TEST(working_directory)
{
	char dir[PATH_MAX], mi[3 * PATH_MAX], expect[PATH_MAX + 2];
	char mip[PATH_MAX];
	struct run r;

	/* --cwd as given */
	pathf(dir, "export/sub");
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", dir, "/bin/sh", "-c",
					     "pwd")), 0);
	snprintf(expect, sizeof(expect), "%s\n", dir);
	ck_assert_str_eq(r.obuf, expect);
	run_free(&r);
	/* the current directory on a qtfs mount: its server path */
	snprintf(mi, sizeof(mi),
		 "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		 "40 22 0:50 / %s/mnt rw,relatime - qtfs %s/export rw\n",
		 base, base);
	write_file("mountinfo", mi);
	pathf(mip, "mountinfo");
	pathf(dir, "mnt/sub");
	start(&r, dir, -1, OPTS("--mountinfo", mip, "/bin/sh", "-c", "pwd"));
	ck_assert_int_eq(pump(&r, "", 0, NULL), 0);
	pathf(dir, "export/sub");
	snprintf(expect, sizeof(expect), "%s\n", dir);
	ck_assert_str_eq(r.obuf, expect);
	run_free(&r);
	/* outside a qtfs mount: a clear error */
	start(&r, base, -1, OPTS("--mountinfo", mip, "/bin/sh", "-c", "pwd"));
	ck_assert_int_eq(pump(&r, "", 0, NULL), REXEC_EXIT_FAILURE);
	ck_assert_ptr_nonnull(strstr(r.ebuf, "not on a qtfs mount"));
	ck_assert_ptr_nonnull(strstr(r.ebuf, "--cwd"));
	run_free(&r);
	/* bad --cwd, and a directory missing on the server */
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "rel", "/bin/sh")),
			 REXEC_EXIT_FAILURE);
	ck_assert_ptr_nonnull(strstr(r.ebuf, "--cwd"));
	run_free(&r);
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/nonexistent/dir",
					     "/bin/sh", "-c", "pwd")),
			 REXEC_EXIT_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(r.ebuf, "No such file"));
	run_free(&r);
}
END_TEST

START_TEST(whitelist)
{
	char missing[PATH_MAX];
	struct run r;

	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "/usr/bin/env")),
			 0);
	run_free(&r);
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "/usr/bin/ls")),
			 REXEC_EXIT_DENIED);
	ck_assert_ptr_nonnull(strstr(r.ebuf, "whitelist"));
	ck_assert_uint_eq(r.olen, 0);
	run_free(&r);
	/* names are exact: no relative name, no other spelling */
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "cat")),
			 REXEC_EXIT_DENIED);
	run_free(&r);
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "/usr/bin/../bin/cat")),
			 REXEC_EXIT_DENIED);
	run_free(&r);
	/* listed but absent */
	pathf(missing, "missing");
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", missing)),
			 REXEC_EXIT_NOTFOUND);
	run_free(&r);
}
END_TEST

/* Poll until rexec of @binary exits with @code; return: whether it did. */
static bool runs_with(const char *binary, int code)
{
	struct run r;
	int i, rc;

	for (i = 0; i < 100; i++) {
		rc = run(&r, "", 0, OPTS("--cwd", "/", binary));
		run_free(&r);
		if (rc == code)
			return true;
		msleep(20);
	}
	return false;
}

/* SIGHUP reads the whitelist again; a bad file keeps the old list. */
START_TEST(whitelist_reload)
{
	char wl[PATH_MAX], saved[PATH_MAX], cmd[3 * PATH_MAX + 64];

	pathf(wl, "wl");
	pathf(saved, "wl.saved");
	snprintf(cmd, sizeof(cmd), "cp %s %s && echo /usr/bin/true >> %s",
		 wl, saved, wl);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(kill(server_pid, SIGHUP), 0);
	ck_assert(runs_with("/usr/bin/true", 0));
	write_file("wl", "relative/path\n");
	ck_assert_int_eq(kill(server_pid, SIGHUP), 0);
	msleep(200);
	ck_assert(runs_with("/usr/bin/true", 0));
	ck_assert_int_eq(rename(saved, wl), 0);
	ck_assert_int_eq(kill(server_pid, SIGHUP), 0);
	ck_assert(runs_with("/usr/bin/true", REXEC_EXIT_DENIED));
}
END_TEST

/* --- hostile input ----------------------------------------------------- */

static int raw_connect_at(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sun.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int raw_connect(void)
{
	return raw_connect_at(sock);
}

/* One message in @buf; return: its length. */
static uint32_t msg(uint8_t *buf, uint32_t size, uint16_t op, uint16_t flags,
		    uint64_t id, const char *fmt, ...)
{
	struct qtfs_buf b;
	va_list ap;

	qtfs_buf_init(&b, buf, size);
	qtfs_proto_begin(&b, op, flags, id, 0);
	va_start(ap, fmt);
	qtfs_proto_vpack(&b, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(qtfs_proto_end(&b), 0);
	return b.pos;
}

static uint32_t hello(uint8_t *buf, uint32_t magic, uint16_t major)
{
	return msg(buf, 256, QTFS_REXEC_OP_HELLO, 0, 1, "dhhd", magic, major,
		   0, QTFS_REXEC_MSG_MAX);
}

/*
 * An EXEC of /usr/bin/sleep 1000 in /, with @args_nul trailing NUL, a
 * window of @rows rows and 80 columns if @rows is not 0.
 */
static uint32_t exec_msg_rows(uint8_t *buf, uint32_t flags, bool args_nul,
			      uint16_t rows)
{
	static const char args[] = "/usr/bin/sleep\0" "1000";

	return msg(buf, 1024, QTFS_REXEC_OP_EXEC, 0, 2, "dhhsBB", flags, rows,
		   rows ? 80 : 0, "/", args,
		   (uint32_t)sizeof(args) - !args_nul, "", 0);
}

static uint32_t exec_msg(uint8_t *buf, uint32_t flags, bool args_nul)
{
	return exec_msg_rows(buf, flags, args_nul, 0);
}

enum { PRE_NONE, PRE_HELLO, PRE_EXEC };

/*
 * The hostile cases: what precedes (nothing, HELLO, HELLO + EXEC of a
 * sleep) and the bad frame; in every case the server closes the
 * connection (after the replies it owes), kills what it started, and
 * goes on serving.
 */
static const struct {
	const char *name;
	int pre;
} hostile[] = {
	{ "truncated header", PRE_NONE },
	{ "truncated payload", PRE_NONE },
	{ "length below header", PRE_NONE },
	{ "oversized length", PRE_NONE },
	{ "reserved field set", PRE_NONE },
	{ "bad magic", PRE_NONE },
	{ "other major", PRE_NONE },
	{ "EXEC before HELLO", PRE_NONE },
	{ "HELLO with a short payload", PRE_NONE },
	{ "unknown opcode", PRE_HELLO },
	{ "reply flag on a request", PRE_HELLO },
	{ "argv without NUL", PRE_HELLO },
	{ "unknown EXEC flag", PRE_HELLO },
	{ "HELLO twice", PRE_HELLO },
	{ "string without NUL", PRE_HELLO },
	{ "DATA to stdout", PRE_EXEC },
	{ "SIGKILL forwarded", PRE_EXEC },
	{ "DATA after EOF", PRE_EXEC },
	{ "EXIT from the client", PRE_EXEC },
	{ "DATA with an id", PRE_EXEC },
	{ "pseudo-terminal asked by a 1.0 client", PRE_HELLO },
	{ "window size without a terminal", PRE_HELLO },
	{ "WINSIZE without a terminal", PRE_EXEC },
};

static void send_all(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Read frames until the server closes; return: the last opcode read. */
static int until_closed(int fd)
{
	uint8_t buf[65536];
	struct qtfs_msg_hdr h;
	int last = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, QTFS_HDR_SIZE, MSG_WAITALL);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return last;
		ck_assert_msg(n == QTFS_HDR_SIZE, "server did not close (%zd, %s)",
			      n, strerror(errno));
		ck_assert_int_eq(qtfs_proto_decode_hdr(buf, &h), 0);
		ck_assert_uint_le(h.len, sizeof(buf));
		if (h.len > QTFS_HDR_SIZE)
			ck_assert_int_eq(recv(fd, buf + QTFS_HDR_SIZE,
					      h.len - QTFS_HDR_SIZE,
					      MSG_WAITALL),
					 (ssize_t)(h.len - QTFS_HDR_SIZE));
		last = h.opcode;
	}
}

START_TEST(hostile_frames)
{
	uint8_t buf[1024], rep[256];
	struct qtfs_hdr *hp = (struct qtfs_hdr *)buf;
	uint32_t n = 0, rpid = 0;
	struct qtfs_msg_hdr h;
	struct qtfs_buf b;
	struct run r;
	int fd = raw_connect();

	if (hostile[_i].pre >= PRE_HELLO) {
		send_all(fd, buf, hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR));
		ck_assert_int_eq(recv(fd, rep, 24 + 12, MSG_WAITALL), 36);
	}
	if (hostile[_i].pre == PRE_EXEC) {
		send_all(fd, buf, exec_msg(buf, 0, true));
		ck_assert_int_eq(recv(fd, rep, 24 + 4, MSG_WAITALL), 28);
		ck_assert_int_eq(qtfs_proto_decode_hdr(rep, &h), 0);
		ck_assert_int_eq(h.error, 0);
		qtfs_buf_init(&b, rep + 24, 4);
		ck_assert_int_eq(qtfs_proto_unpack(&b, "d", &rpid), 0);
		ck_assert_int_eq(kill(rpid, 0), 0);
	}
	switch (_i) {
	case 0:
		n = 10;
		hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR);
		break;
	case 1:
		n = hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR) - 3;
		break;
	case 2:
		n = hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR);
		hp->len = htole32(8);
		break;
	case 3:
		n = hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR);
		hp->len = htole32(QTFS_REXEC_MSG_MAX + 1);
		break;
	case 4:
		n = hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR);
		hp->reserved = htole32(1);
		break;
	case 5:
		n = hello(buf, QTFS_PROTO_MAGIC, QTFS_REXEC_MAJOR);
		break;
	case 6:
		n = hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR + 1);
		break;
	case 7:
		n = exec_msg(buf, 0, true);
		break;
	case 8:
		n = msg(buf, sizeof(buf), QTFS_REXEC_OP_HELLO, 0, 1, "dh",
			QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR);
		break;
	case 9:
		n = msg(buf, sizeof(buf), 99, 0, 2, "");
		break;
	case 10:
		n = exec_msg(buf, 0, true);
		hp->flags = htole16(QTFS_HDR_REPLY);
		break;
	case 11:
		n = exec_msg(buf, 0, false);
		break;
	case 12:
		n = exec_msg(buf, 0x100, true);
		break;
	case 13:
		n = hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR);
		break;
	case 14:
		n = exec_msg(buf, 0, true);
		/* the cwd "/": its NUL becomes a byte */
		buf[24 + 8 + 2 + 1] = 'x';
		break;
	case 15:
		n = msg(buf, sizeof(buf), QTFS_REXEC_OP_DATA, 0, 0, "bB",
			QTFS_REXEC_STDOUT, "x", 1);
		break;
	case 16:
		n = msg(buf, sizeof(buf), QTFS_REXEC_OP_SIGNAL, 0, 0, "d",
			SIGKILL);
		break;
	case 17:
		n = msg(buf, sizeof(buf), QTFS_REXEC_OP_EOF, 0, 0, "b",
			QTFS_REXEC_STDIN);
		n += msg(buf + n, sizeof(buf) - n, QTFS_REXEC_OP_DATA, 0, 0,
			 "bB", QTFS_REXEC_STDIN, "x", 1);
		break;
	case 18:
		n = msg(buf, sizeof(buf), QTFS_REXEC_OP_EXIT, 0, 0, "dd", 0, 0);
		break;
	case 19:
		n = msg(buf, sizeof(buf), QTFS_REXEC_OP_DATA, 0, 5, "bB",
			QTFS_REXEC_STDIN, "x", 1);
		break;
	case 20:
		/* hello() says minor 0: the flag is not its protocol's */
		n = exec_msg(buf, QTFS_REXEC_PTY, true);
		break;
	case 21:
		n = exec_msg_rows(buf, 0, true, 24);
		break;
	case 22:
		n = msg(buf, sizeof(buf), QTFS_REXEC_OP_WINSIZE, 0, 0, "hh",
			24, 80);
		break;
	}
	send_all(fd, buf, n);
	if (_i == 0 || _i == 1)
		shutdown(fd, SHUT_WR);
	/* HELLO twice is answered by nothing: the first was answered */
	ck_assert_int_ne(until_closed(fd), QTFS_REXEC_OP_EXIT);
	close(fd);
	if (rpid)
		ck_assert_msg(gone(rpid), "%s: remote pid %u survived",
			      hostile[_i].name, rpid);
	/* still serving */
	ck_assert_int_eq(run(&r, "ok", 2, OPTS("--cwd", "/", "/usr/bin/cat")),
			 0);
	ck_assert_str_eq(r.obuf, "ok");
	run_free(&r);
}
END_TEST

/* A connection that never sends HELLO does not block others. */
START_TEST(idle_connection)
{
	int fd = raw_connect();
	struct run r;

	ck_assert_int_eq(run(&r, "ok", 2, OPTS("--cwd", "/", "/usr/bin/cat")),
			 0);
	ck_assert_str_eq(r.obuf, "ok");
	run_free(&r);
	close(fd);
}
END_TEST

/*
 * A connection on @path that says HELLO; return: the fd if the server
 * answered, -1 if it closed the connection instead.
 */
static int hello_at(const char *path)
{
	uint8_t buf[256];
	int fd = raw_connect_at(path);

	send(fd, buf, hello(buf, QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR),
	     MSG_NOSIGNAL);
	if (recv(fd, buf, 36, MSG_WAITALL) == 36)
		return fd;
	close(fd);
	return -1;
}

/* --max-conns, and one uid's share of it: half, rounded up */
START_TEST(conn_limits)
{
	char path[PATH_MAX];
	int a, b, c, st;
	pid_t srv, pid;

	pathf(path, "run/lim.sock");
	srv = start_server(path, "3");
	a = hello_at(path);
	b = hello_at(path);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(hello_at(path), -1);
	if (geteuid() == 0) {
		/* another uid still gets the rest */
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (!pid) {
			if (setgid(NOBODY) || setuid(NOBODY))
				_exit(2);
			_exit(hello_at(path) >= 0 ? 0 : 1);
		}
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_int_eq(WEXITSTATUS(st), 0);
	}
	close(a);
	msleep(100);
	c = hello_at(path);
	ck_assert_int_ge(c, 0);
	close(b);
	close(c);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
}
END_TEST

/* --- waiting for rexec_server --------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * --reply-timeout against a fake server that (0) never accepts, (1)
 * answers HELLO and never EXEC, (2) answers HELLO and never reads an EXEC
 * larger than the socket's buffer: rexec gives up after the time given.
 */
static const char *const timeout_msgs[] = {
	"did not answer HELLO within 1 s",
	"did not answer EXEC within 1 s",
	"did not answer EXEC within 1 s",
};

START_TEST(reply_timeout)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static char big[2][120001];
	uint8_t buf[256];
	pid_t fake = 0;
	struct run r;
	int64_t t0;
	int lfd, fd;

	pathf(sun.sun_path, "fake.sock");
	unlink(sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	if (_i) {
		fake = fork();
		ck_assert_int_ge(fake, 0);
		if (!fake) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			fd = accept(lfd, NULL, NULL);
			if (recv(fd, buf, 36, MSG_WAITALL) != 36)
				_exit(1);
			send_all(fd, buf, msg(buf, sizeof(buf),
					      QTFS_REXEC_OP_HELLO,
					      QTFS_HDR_REPLY, 1, "dhhd",
					      QTFS_REXEC_MAGIC,
					      QTFS_REXEC_MAJOR,
					      QTFS_REXEC_MINOR,
					      QTFS_REXEC_MSG_MAX));
			pause();
			_exit(0);
		}
	}
	memset(big, 'x', sizeof(big));
	big[0][sizeof(big[0]) - 1] = big[1][sizeof(big[1]) - 1] = '\0';
	t0 = now_ms();
	start(&r, NULL, -1, OPTS("--socket", sun.sun_path, "--reply-timeout",
				 "1", "--cwd", "/", "/usr/bin/cat",
				 _i == 2 ? big[0] : "a", _i == 2 ? big[1] : "b"));
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, NULL), REXEC_EXIT_FAILURE);
	ck_assert_int_ge(now_ms() - t0, 900);
	ck_assert_int_lt(now_ms() - t0, 5000);
	ck_assert_msg(strstr(r.ebuf, timeout_msgs[_i]), "stderr: %s", r.ebuf);
	run_free(&r);
	if (fake) {
		kill(fake, SIGKILL);
		waitpid(fake, NULL, 0);
	}
	close(lfd);
}
END_TEST

/*
 * A 1.0 rexec_server (a fake: HELLO with minor 0, then EXEC refused
 * with ENOENT unless it asks for a pseudo-terminal, which 1.0 does not
 * know): rexec with a terminal warns and asks for pipes.
 */
START_TEST(old_server_no_pty)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t buf[4096];
	struct qtfs_msg_hdr h;
	int lfd, fd, master, slave;
	uint32_t flags;
	struct qtfs_buf b;
	struct run r;
	pid_t fake;

	pathf(sun.sun_path, "old.sock");
	unlink(sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	fake = fork();
	ck_assert_int_ge(fake, 0);
	if (!fake) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = accept(lfd, NULL, NULL);
		if (recv(fd, buf, 36, MSG_WAITALL) != 36)
			_exit(1);
		send_all(fd, buf, msg(buf, sizeof(buf), QTFS_REXEC_OP_HELLO,
				      QTFS_HDR_REPLY, 1, "dhhd",
				      QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR, 0,
				      QTFS_REXEC_MSG_MAX));
		if (recv(fd, buf, 24, MSG_WAITALL) != 24 ||
		    qtfs_proto_decode_hdr(buf, &h) || h.len > sizeof(buf) ||
		    recv(fd, buf + 24, h.len - 24, MSG_WAITALL) !=
		    (ssize_t)h.len - 24)
			_exit(1);
		qtfs_buf_init(&b, buf + 24, h.len - 24);
		if (qtfs_proto_unpack(&b, "d", &flags))
			_exit(1);
		qtfs_buf_init(&b, buf, sizeof(buf));
		qtfs_proto_begin(&b, QTFS_REXEC_OP_EXEC, QTFS_HDR_REPLY, 2,
				 flags & QTFS_REXEC_PTY ? -EPROTO : -ENOENT);
		if (qtfs_proto_end(&b))
			_exit(1);
		send_all(fd, buf, b.pos);
		recv(fd, buf, 1, 0);
		_exit(0);
	}
	open_pty(&master, &slave, 24, 80);
	start_tty(&r, NULL, -1, slave, OPTS("--socket", sun.sun_path, "--cwd",
					    "/", "/usr/bin/tty"));
	ck_assert_int_eq(pump(&r, NULL, (size_t)-1, NULL),
			 REXEC_EXIT_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(r.ebuf, "without pseudo-terminals"));
	run_free(&r);
	kill(fake, SIGKILL);
	waitpid(fake, NULL, 0);
	close(lfd);
	close(slave);
	close(master);
}
END_TEST

/* The pid of a child of @parent, or 0. */
static pid_t child_of(pid_t parent)
{
	char p[300], buf[512], *rp;
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;
	int ppid;

	ck_assert_ptr_nonnull(d);
	while (!found && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		if (read_file(p, buf, sizeof(buf)) <= 0)
			continue;
		rp = strrchr(buf, ')');
		if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 &&
		    ppid == parent)
			found = atoi(e->d_name);
	}
	closedir(d);
	return found;
}

static int hung_fd = -1;
static char hung_dir[PATH_MAX];

/*
 * A mount namespace of its own with a FUSE mount on @hung_dir whose
 * daemon (the test, holding @fd) never answers, not even INIT: every
 * lookup below it waits, killably, as on a hung filesystem.
 */
static int mount_hung(int fd)
{
	char opts[128];

	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("check_rexec", hung_dir, "fuse", MS_NOSUID | MS_NODEV, opts))
		return -errno;
	return 0;
}

static void prep_hung(void)
{
	if (mount_hung(hung_fd))
		_exit(96);
}

/* Can this host mount FUSE in a namespace of its own? */
static bool can_mount_hung(void)
{
	pid_t pid = fork();
	int st, fd;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		_exit(fd < 0 || mount_hung(fd) ? 1 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) && !WEXITSTATUS(st);
}

/*
 * A child stuck before execve() (its binary on a hung filesystem) holds
 * up only its own connection: another rexec runs meanwhile, the stuck
 * one gives up after --reply-timeout, and the server kills the child.
 */
START_TEST(stuck_child)
{
	char wl[PATH_MAX + 32], path[PATH_MAX], bin[PATH_MAX + 8];
	pid_t srv, stuck = 0;
	struct run a, b;
	int i;

	pathf(hung_dir, "hung");
	ck_assert_int_eq(mkdir(hung_dir, 0755), 0);
	if (geteuid() != 0 || !can_mount_hung()) {
		fprintf(stderr, "stuck_child: no FUSE mount here (needs root and /dev/fuse): skipped\n");
		return;
	}
	hung_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(hung_fd, 0);
	snprintf(bin, sizeof(bin), "%s/bin", hung_dir);
	snprintf(wl, sizeof(wl), "%s\n/usr/bin/cat\n", bin);
	write_file("wl_hung", wl);
	pathf(path, "run/hung.sock");
	srv = start_server_with(path, "64", "wl_hung", prep_hung);
	start(&a, NULL, -1, OPTS("--socket", path, "--reply-timeout", "5",
				 "--cwd", "/", bin));
	for (i = 0; i < 500 && !(stuck = child_of(srv)); i++)
		msleep(10);
	ck_assert_int_gt(stuck, 0);
	start(&b, NULL, -1, OPTS("--socket", path, "--cwd", "/",
				 "/usr/bin/cat"));
	ck_assert_int_eq(pump(&b, "ok", 2, NULL), 0);
	ck_assert_str_eq(b.obuf, "ok");
	run_free(&b);
	ck_assert_int_eq(waitpid(a.pid, NULL, WNOHANG), 0);
	ck_assert_int_eq(kill(stuck, 0), 0);
	ck_assert_int_eq(pump(&a, NULL, (size_t)-1, NULL), REXEC_EXIT_FAILURE);
	ck_assert_msg(strstr(a.ebuf, "did not answer EXEC within 5 s"),
		      "stderr: %s", a.ebuf);
	run_free(&a);
	ck_assert_msg(gone(stuck), "stuck child %d survived its connection",
		      stuck);
	close(hung_fd);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
}
END_TEST

/* --- through udsproxyd ------------------------------------------------- */

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* udsproxyd @name listening on @lport for the peer on @pport. */
static pid_t start_udsproxyd(const char *name, int lport, int pport)
{
	char bin[PATH_MAX], usock[PATH_MAX], wl[PATH_MAX], log[PATH_MAX];
	char lp[16], pp[16];
	struct stat sb;
	pid_t pid;
	int i, fd;

	strcpy(bin, server_bin);
	strcpy(strrchr(bin, '/'), "/../ipc/udsproxyd");
	snprintf(usock, sizeof(usock), "%s/%s.sock", base, name);
	snprintf(log, sizeof(log), "%s/%s.log", base, name);
	pathf(wl, "qtwl");
	snprintf(lp, sizeof(lp), "%d", lport);
	snprintf(pp, sizeof(pp), "%d", pport);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		execl(bin, bin, "--socket", usock, "--whitelist", wl,
		      "--log-level", "DEBUG", "1", "127.0.0.1", lp,
		      "127.0.0.1", pp, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && stat(usock, &sb); i++)
		msleep(10);
	ck_assert_msg(i < 500, "udsproxyd %s did not start (see %s)", name,
		      log);
	return pid;
}

/*
 * The original transport: rexec on "host B" reaches rexec_server's
 * socket on "host A" through two udsproxyd over TCP loopback; A's
 * udsproxyd connects to rexec_server as the caller, so the binary runs
 * as the caller.
 */
START_TEST(through_udsproxyd)
{
	char wl[3 * PATH_MAX], bsock[PATH_MAX], expect[32];
	int pa = free_port(), pb = free_port();
	pid_t a, b;
	struct run r;

	snprintf(wl, sizeof(wl), "[Mount]\nPath=%s\n[Udsconnect]\nPath=%s/run\n",
		 base, base);
	write_file("qtwl", wl);
	a = start_udsproxyd("a", pa, pb);
	b = start_udsproxyd("b", pb, pa);
	pathf(bsock, "b.sock");
	setenv("QTFS_UDSPROXYD_SOCKET", bsock, 1);
	ck_assert_int_eq(run(&r, "across", 6,
			     OPTS("--remote-socket", sock, "--cwd", "/",
				  "/bin/sh", "-c", "cat; exit 3")), 3);
	ck_assert_str_eq(r.obuf, "across");
	run_free(&r);
	if (geteuid() == 0) {
		start(&r, "/", NOBODY, OPTS("--remote-socket", sock, "--cwd",
					    "/", "/usr/bin/id", "-u"));
		ck_assert_int_eq(pump(&r, "", 0, NULL), 0);
		snprintf(expect, sizeof(expect), "%d\n", NOBODY);
		ck_assert_str_eq(r.obuf, expect);
		run_free(&r);
	}
	/* a path udsproxyd's whitelist does not cover */
	ck_assert_int_eq(run(&r, "", 0, OPTS("--remote-socket", "/run/none.sock",
					     "--cwd", "/", "/usr/bin/id")),
			 REXEC_EXIT_FAILURE);
	ck_assert_ptr_nonnull(strstr(r.ebuf, "through udsproxyd"));
	run_free(&r);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
}
END_TEST

/* --- command lines, log file ------------------------------------------- */

static int shell(const char *cmd, char *out, size_t outlen)
{
	size_t n;
	FILE *f;
	int st;

	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(command_line)
{
	static const char *const bad_timeouts[] = { "0", "3601", "-1", "",
						    "1s", "99999999999999" };
	char cmd[4 * PATH_MAX], out[8192], wl[PATH_MAX];
	unsigned int i;

	snprintf(cmd, sizeof(cmd), "%s --help 2>&1", rexec_bin);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: rexec"));
	snprintf(cmd, sizeof(cmd), "%s --socket %s 2>&1", rexec_bin, sock);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), REXEC_EXIT_FAILURE);
	ck_assert_ptr_nonnull(strstr(out, "no BINARY"));
	snprintf(cmd, sizeof(cmd), "%s --env 1BAD /bin/sh 2>&1", rexec_bin);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), REXEC_EXIT_FAILURE);
	ck_assert_ptr_nonnull(strstr(out, "invalid --env"));
	snprintf(cmd, sizeof(cmd), "%s --socket %s/none --cwd / /bin/sh 2>&1",
		 rexec_bin, base);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), REXEC_EXIT_FAILURE);
	ck_assert_ptr_nonnull(strstr(out, "cannot reach rexec_server"));
	for (i = 0; i < G_N_ELEMENTS(bad_timeouts); i++) {
		snprintf(cmd, sizeof(cmd),
			 "%s --socket %s --reply-timeout '%s' --cwd / /bin/sh 2>&1",
			 rexec_bin, sock, bad_timeouts[i]);
		ck_assert_int_eq(shell(cmd, out, sizeof(out)),
				 REXEC_EXIT_FAILURE);
		ck_assert_ptr_nonnull(strstr(out, "invalid --reply-timeout"));
	}

	snprintf(cmd, sizeof(cmd), "%s --help 2>&1", server_bin);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: rexec_server"));
	snprintf(cmd, sizeof(cmd), "%s --max-conns 0 2>&1", server_bin);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "invalid --max-conns"));
	snprintf(cmd, sizeof(cmd), "%s --socket rel 2>&1", server_bin);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), 1);
	snprintf(cmd, sizeof(cmd), "%s extra 2>&1", server_bin);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "unexpected argument"));
	/* a bad whitelist stops the start, naming the line */
	write_file("badwl", "/bin/sh\nusr/bin/cat\n");
	pathf(wl, "badwl");
	snprintf(cmd, sizeof(cmd), "%s --socket %s/s2 --whitelist %s 2>&1",
		 server_bin, base, wl);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "badwl:2: not an absolute"));
	write_file("badwl", "/usr/bin/../bin/cat\n");
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), 1);
	snprintf(cmd, sizeof(cmd), "%s --socket %s/s2 --whitelist %s/nowl 2>&1",
		 server_bin, base, base);
	ck_assert_int_eq(shell(cmd, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "No such file"));
}
END_TEST

START_TEST(log_file)
{
	char log[PATH_MAX], buf[8192];
	struct run r;

	pathf(log, "client.log");
	setenv("REXEC_LOG_FILE", log, 1);
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "/usr/bin/ls")),
			 REXEC_EXIT_DENIED);
	unsetenv("REXEC_LOG_FILE");
	/* rexec's own message went to the log, the binary's stderr stays */
	ck_assert_ptr_null(strstr(r.ebuf, "whitelist"));
	ck_assert_int_gt(read_file(log, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "rexec: /usr/bin/ls: refused"));
	run_free(&r);
	setenv("REXEC_LOG_FILE", log, 1);
	ck_assert_int_eq(run(&r, "", 0, OPTS("--cwd", "/", "/bin/sh", "-c",
					     "echo e >&2")), 0);
	unsetenv("REXEC_LOG_FILE");
	ck_assert_str_eq(r.ebuf, "e\n");
	run_free(&r);
	pathf(log, "server.log");
	ck_assert_int_gt(read_file(log, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "rexec_server: listening on"));
}
END_TEST

/* --- the shared helpers ------------------------------------------------ */

START_TEST(envlist)
{
	GPtrArray *a;

	ck_assert_int_eq(rexec_envlist_parse("TERM,LC_*,X1", &a), 0);
	ck_assert(rexec_envlist_match(a, "TERM=xterm"));
	ck_assert(rexec_envlist_match(a, "LC_ALL=C"));
	ck_assert(rexec_envlist_match(a, "LC_=x"));
	ck_assert(rexec_envlist_match(a, "X1="));
	ck_assert(!rexec_envlist_match(a, "TERMX=1"));
	ck_assert(!rexec_envlist_match(a, "TER=1"));
	ck_assert(!rexec_envlist_match(a, "TERM"));
	ck_assert(!rexec_envlist_match(a, "=TERM"));
	g_ptr_array_unref(a);
	ck_assert_int_eq(rexec_envlist_parse("", &a), 0);
	ck_assert(!rexec_envlist_match(a, "TERM=x"));
	g_ptr_array_unref(a);
	ck_assert_int_eq(rexec_envlist_parse("A,,B", &a), -EINVAL);
	ck_assert_int_eq(rexec_envlist_parse("1A", &a), -EINVAL);
	ck_assert_int_eq(rexec_envlist_parse("A=B", &a), -EINVAL);
	ck_assert_int_eq(rexec_envlist_parse("*", &a), -EINVAL);
	ck_assert_int_eq(rexec_envlist_parse("A*B", &a), -EINVAL);
}
END_TEST

START_TEST(strv)
{
	GPtrArray *a = g_ptr_array_new();

	ck_assert_int_eq(rexec_strv_parse("a\0bc\0\0", 6, 8, a), 0);
	ck_assert_uint_eq(a->len, 3);
	ck_assert_str_eq(g_ptr_array_index(a, 1), "bc");
	ck_assert_str_eq(g_ptr_array_index(a, 2), "");
	g_ptr_array_set_size(a, 0);
	ck_assert_int_eq(rexec_strv_parse("", 0, 8, a), 0);
	ck_assert_uint_eq(a->len, 0);
	ck_assert_int_eq(rexec_strv_parse("ab", 2, 8, a), -EPROTO);
	g_ptr_array_set_size(a, 0);
	ck_assert_int_eq(rexec_strv_parse("a\0b\0c\0", 6, 2, a), -EPROTO);
	g_ptr_array_unref(a);
}
END_TEST

static Suite *rexec_suite(void)
{
	Suite *s = suite_create("rexec");
	TCase *tc = tcase_create("run");
	TCase *th = tcase_create("hostile");
	TCase *tu = tcase_create("unit");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stdio_binary_and_exit);
	tcase_add_test(tc, large_stream);
	tcase_add_test(tc, stdin_eof);
	tcase_add_loop_test(tc, death_by_signal, 0,
			    G_N_ELEMENTS(death_signals));
	tcase_add_loop_test(tc, signal_forwarding, 0,
			    G_N_ELEMENTS(fwd_signals));
	tcase_add_loop_test(tc, winch_forwarding, 0, 2);
	tcase_add_test(tc, pty_session);
	tcase_add_test(tc, pty_resize_and_keys);
	tcase_add_loop_test(tc, pty_restore_on_signal, 0,
			    G_N_ELEMENTS(pty_end_signals));
	tcase_add_test(tc, kill_rexec_kills_remote);
	tcase_add_test(tc, env_allow_list);
	tcase_add_test(tc, caller_identity);
	tcase_add_test(tc, working_directory);
	tcase_add_test(tc, whitelist);
	tcase_add_test(tc, whitelist_reload);
	tcase_add_test(tc, command_line);
	tcase_add_test(tc, log_file);
	tcase_add_test(tc, through_udsproxyd);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(th, setup, teardown);
	tcase_set_timeout(th, 60);
	tcase_add_loop_test(th, hostile_frames, 0, G_N_ELEMENTS(hostile));
	tcase_add_test(th, idle_connection);
	tcase_add_test(th, conn_limits);
	tcase_add_loop_test(th, reply_timeout, 0, G_N_ELEMENTS(timeout_msgs));
	tcase_add_test(th, stuck_child);
	tcase_add_test(th, old_server_no_pty);
	suite_add_tcase(s, th);

	tcase_add_test(tu, envlist);
	tcase_add_test(tu, strv);
	suite_add_tcase(s, tu);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rexec_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
