// SPDX-License-Identifier: GPL-2.0
/*
 * rexec: run a binary on the other host (doc/rexec.md).
 *
 *   rexec [OPTIONS] BINARY [ARGS...]
 *
 * Connects to rexec_server's socket.  That socket lies in a directory the
 * other host exports through qtfs: connect(2) here is libudsproxy.so's
 * (ipc/libudsproxy.c is linked in), which carries a connect to a path on
 * a qtfs mount through udsproxyd, with its key and peer restriction, and
 * leaves any other path local.  Then stdin goes out, stdout and stderr
 * come back, the signals a terminal sends are forwarded, and the binary's
 * exit status becomes rexec's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "libudsproxy.h"
#include "qt_evloop.h"
#include "qtfs_path.h"
#include "rexec.h"

extern char **environ;

/* Seconds rexec_server may take to answer HELLO and EXEC, each. */
#define REXEC_REPLY_TIMEOUT	30
#define REXEC_REPLY_TIMEOUT_MAX	3600

/**
 * struct rexec_cli - the client
 * @sock:      path of rexec_server's socket on this host
 * @remote:    --remote-socket: its path on the other host, reached
 *             through udsproxyd without a qtfs mount; NULL: use @sock
 * @cwd:       --cwd: working directory on the server, or NULL
 * @mountinfo: mountinfo to translate the working directory with
 * @pid_dir:   directory of the pid-map files
 * @timeout:   --reply-timeout: seconds to wait for each of the HELLO
 *             and EXEC replies
 * @env:       environment allow-list
 * @c:         the connection
 * @loop:      event loop
 * @errfd:     where the binary's stderr goes (stderr, unless the log
 *             took it: $REXEC_LOG_FILE)
 * @sigfd:     signalfd of the forwarded signals
 * @in_id:     loop id of the stdin watch, 0 when not watched
 * @sock_id:   loop id of the socket watch
 * @sock_mask: events the socket is watched for
 * @in_eof:    stdin reached end of file (EOF sent)
 * @out_gone:  stdout cannot be written any more: drop what comes
 * @tty:       stdin is a terminal
 * @want_pty:  --tty 1, --no-tty 0, neither -1 (a pseudo-terminal if
 *             @tty)
 * @pty:       the binary runs on a pseudo-terminal on the server
 * @status:    rexec's exit code, once known
 * @done:      EXIT arrived or the connection failed
 */
struct rexec_cli {
	const char *sock;
	const char *remote;
	const char *cwd;
	const char *mountinfo;
	const char *pid_dir;
	unsigned int timeout;
	GPtrArray *env;
	struct rexec_conn c;
	struct qt_evloop *loop;
	int errfd;
	int sigfd;
	int in_id;
	int sock_id;
	unsigned int sock_mask;
	bool in_eof;
	bool out_gone;
	bool tty;
	int want_pty;
	bool pty;
	int status;
	bool done;
};

/* The signals a terminal (or a kill) sends that the binary gets too. */
static const int rexec_fwd_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
					 SIGWINCH };

static void cli_pump(struct rexec_cli *r);

static void cli_fail(struct rexec_cli *r, const char *why)
{
	qt_err("%s", why);
	r->status = REXEC_EXIT_FAILURE;
	r->done = true;
}

/* Write all of @buf to @fd (blocking); return: 0 or -errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* --- the terminal --------------------------------------------------- */

/*
 * While the binary runs on a pseudo-terminal, rexec's terminal is raw:
 * every key goes to the remote terminal, whose line discipline echoes,
 * edits and turns ^C into SIGINT.  Its modes from before are here, in
 * globals because a signal handler restores them too.
 */
static struct termios tty_saved;
static volatile sig_atomic_t tty_raw;

/*
 * Signals that would end rexec with its terminal raw (the forwarded ones
 * are blocked and read from a signalfd, SIGPIPE is ignored).
 */
static const int tty_fatal_signals[] = {
	SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR,
	SIGXCPU, SIGXFSZ, SIGSYS, SIGTRAP, SIGSTKFLT, SIGABRT, SIGSEGV,
	SIGBUS, SIGFPE, SIGILL,
};

static void tty_restore(void)
{
	if (!tty_raw)
		return;
	tcsetattr(STDIN_FILENO, TCSADRAIN, &tty_saved);
	tty_raw = 0;
}

/* Async-signal-safe: restore, then die of @sig as rexec would have. */
static void tty_fatal(int sig)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &tty_saved);
	tty_raw = 0;
	/* SA_RESETHAND | SA_NODEFER: the default action, at once */
	raise(sig);
}

/* Put stdin's terminal in raw mode until tty_restore() or a signal. */
static void tty_make_raw(void)
{
	struct sigaction sa = { .sa_handler = tty_fatal,
				.sa_flags = SA_RESETHAND | SA_NODEFER };
	struct sigaction old;
	struct termios raw;
	unsigned int i;

	if (tcgetattr(STDIN_FILENO, &tty_saved)) {
		qt_warn("cannot read the terminal's modes: %s",
			strerror(errno));
		return;
	}
	/* a signal rexec's caller made it ignore stays ignored */
	for (i = 0; i < G_N_ELEMENTS(tty_fatal_signals); i++)
		if (!sigaction(tty_fatal_signals[i], NULL, &old) &&
		    old.sa_handler == SIG_DFL)
			sigaction(tty_fatal_signals[i], &sa, NULL);
	raw = tty_saved;
	cfmakeraw(&raw);
	tty_raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw)) {
		tty_raw = 0;
		qt_warn("cannot put the terminal in raw mode: %s",
			strerror(errno));
	}
}

/* --- setting up ----------------------------------------------------- */

/*
 * The working directory on the server: --cwd as given, else the current
 * directory translated through the qtfs mount that holds it.
 */
static int cli_cwd(struct rexec_cli *r, char *out, size_t outlen)
{
	char here[PATH_MAX];
	int ret;

	if (r->cwd) {
		ret = qtfs_path_normalize(out, outlen, r->cwd);
		if (ret)
			qt_err("--cwd '%s': %s", r->cwd, ret == -EPERM ?
			       "must not contain '..'" :
			       "not an absolute path");
		return ret;
	}
	if (!getcwd(here, sizeof(here))) {
		ret = -errno;
		qt_err("cannot get the current directory: %s",
		       strerror(-ret));
		return ret;
	}
	ret = udsproxy_map_path(r->mountinfo, here, out, outlen);
	if (ret == -ENOENT)
		qt_err("the current directory %s is not on a qtfs mount: give --cwd DIR, a directory on the server",
		       here);
	else if (ret)
		qt_err("cannot translate the current directory %s through %s: %s",
		       here, r->mountinfo, strerror(-ret));
	return ret;
}

/* Connect (through udsproxyd when the path is on a qtfs mount). */
static int cli_connect(struct rexec_cli *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	if (r->remote && !qtfs_path_is_normal(r->remote, strlen(r->remote))) {
		qt_err("--remote-socket %s: not an absolute, normalised path",
		       r->remote);
		return -EINVAL;
	}
	if (strlen(r->sock) >= sizeof(sun.sun_path)) {
		qt_err("--socket %s: too long for a unix socket", r->sock);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, r->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (r->remote) {
		if (udsproxy_connect(fd, r->remote))
			goto fail;
	} else if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		/* libudsproxy's connect(): a socket on a qtfs mount goes
		 * through udsproxyd, any other is connected to here */
		goto fail;
	}
	/* the replies wait in poll() with a deadline, then in the loop */
	if (rexec_set_nonblock(fd))
		goto fail;
	return rexec_conn_init(&r->c, fd);
fail:
	ret = -errno;
	qt_err("cannot reach rexec_server at %s%s: %s",
	       r->remote ? r->remote : r->sock,
	       r->remote ? " through udsproxyd" : "", strerror(-ret));
	close(fd);
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send what is queued and wait for the reply @op, id @id, for at most
 * --reply-timeout seconds (a server that neither reads nor answers
 * cannot hold rexec); return: 0 or -errno.
 */
static int cli_reply(struct rexec_cli *r, uint16_t op, uint64_t id)
{
	int64_t end = now_ms() + (int64_t)r->timeout * 1000, left;
	struct pollfd p = { .fd = r->c.fd };
	int ret;

	for (;;) {
		ret = rexec_flush(&r->c);
		if (!ret)
			ret = rexec_recv(&r->c);
		if (ret)
			break;
		left = end - now_ms();
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		p.events = POLLIN | (r->c.tx->len ? POLLOUT : 0);
		if (poll(&p, 1, left) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	if (ret == -ENODATA)
		ret = -ECONNRESET;
	if (ret < 0)
		return ret;
	if (r->c.hdr.opcode != op || !(r->c.hdr.flags & QTFS_HDR_REPLY) ||
	    r->c.hdr.id != id)
		return -EPROTO;
	return 0;
}

/* The environment entries the allow-list forwards, as one blob. */
static GByteArray *cli_env(struct rexec_cli *r)
{
	GByteArray *b = g_byte_array_new();
	char **e;

	for (e = environ; *e; e++)
		if (rexec_envlist_match(r->env, *e))
			g_byte_array_append(b, (const guint8 *)*e,
					    strlen(*e) + 1);
	return b;
}

/*
 * HELLO and EXEC.  Return: the remote pid (> 0), or an exit code for rexec
 * (negated) after saying why.
 */
static int cli_start(struct rexec_cli *r, int argc, char **argv,
		     const char *cwd)
{
	GByteArray *args = g_byte_array_new(), *env = cli_env(r);
	struct winsize ws = {};
	uint32_t magic, max, pid;
	uint16_t major, minor;
	int i, ret;

	for (i = 0; i < argc; i++)
		g_byte_array_append(args, (const guint8 *)argv[i],
				    strlen(argv[i]) + 1);
	if (args->len > QTFS_REXEC_ARGS_MAX || env->len > QTFS_REXEC_ARGS_MAX ||
	    argc > QTFS_REXEC_ARGC_MAX) {
		qt_err("arguments or environment too large (%u bytes at most each)",
		       QTFS_REXEC_ARGS_MAX);
		ret = -REXEC_EXIT_FAILURE;
		goto out;
	}
	if (r->tty)
		ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
	ret = rexec_send(&r->c, QTFS_REXEC_OP_HELLO, 0, 1, 0, "dhhd",
			 QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR, QTFS_REXEC_MINOR,
			 QTFS_REXEC_MSG_MAX);
	if (!ret)
		ret = cli_reply(r, QTFS_REXEC_OP_HELLO, 1);
	if (!ret && (r->c.hdr.error ||
		     rexec_args(&r->c, "dhhd", &magic, &major, &minor, &max) ||
		     magic != QTFS_REXEC_MAGIC || major != QTFS_REXEC_MAJOR))
		ret = -EPROTONOSUPPORT;
	if (ret == -ETIMEDOUT) {
		qt_err("%s: rexec_server did not answer HELLO within %u s",
		       r->sock, r->timeout);
		ret = -REXEC_EXIT_FAILURE;
		goto out;
	}
	if (ret) {
		qt_err("%s: no rexec %u.x server: %s", r->sock,
		       QTFS_REXEC_MAJOR, strerror(-ret));
		ret = -REXEC_EXIT_FAILURE;
		goto out;
	}
	rexec_recv_done(&r->c);
	if (r->pty && minor < 1) {
		qt_warn("rexec_server speaks rexec %u.%u, without pseudo-terminals: the binary's stdio are pipes",
			major, minor);
		r->pty = false;
	}
	ret = rexec_send(&r->c, QTFS_REXEC_OP_EXEC, 0, 2, 0, "dhhsBB",
			 (r->tty ? QTFS_REXEC_TTY : 0) |
			 (r->pty ? QTFS_REXEC_PTY : 0), ws.ws_row, ws.ws_col,
			 cwd, args->data, args->len, env->data, env->len);
	if (!ret)
		ret = cli_reply(r, QTFS_REXEC_OP_EXEC, 2);
	if (!ret && !r->c.hdr.error && rexec_args(&r->c, "d", &pid))
		ret = -EPROTO;
	if (ret == -ETIMEDOUT) {
		qt_err("%s: rexec_server did not answer EXEC within %u s",
		       r->sock, r->timeout);
		ret = -REXEC_EXIT_FAILURE;
		goto out;
	}
	if (ret) {
		qt_err("%s: connection to rexec_server failed: %s", r->sock,
		       strerror(-ret));
		ret = -REXEC_EXIT_FAILURE;
		goto out;
	}
	ret = r->c.hdr.error;
	rexec_recv_done(&r->c);
	switch (ret) {
	case 0:
		ret = pid;
		break;
	case -EPERM:
		qt_err("%s: refused by rexec_server: not in its whitelist (/etc/rexec/whitelist) or not allowed for this user",
		       argv[0]);
		ret = -REXEC_EXIT_DENIED;
		break;
	case -ENOENT:
		qt_err("%s: cannot run it on the server in %s: %s", argv[0],
		       cwd, strerror(-ret));
		ret = -REXEC_EXIT_NOTFOUND;
		break;
	default:
		qt_err("%s: cannot run it on the server in %s: %s", argv[0],
		       cwd, strerror(-ret));
		ret = -REXEC_EXIT_DENIED;
	}
out:
	g_byte_array_free(args, TRUE);
	g_byte_array_free(env, TRUE);
	return ret;
}

/* --- running -------------------------------------------------------- */

/* A frame from the server while the binary runs. */
static void cli_frame(struct rexec_cli *r)
{
	const struct qtfs_msg_hdr *h = &r->c.hdr;
	uint32_t kind, value, len;
	const void *data;
	uint8_t stream;
	int fd;

	if ((h->flags & QTFS_HDR_REPLY) || h->id)
		goto bad;
	switch (h->opcode) {
	case QTFS_REXEC_OP_DATA:
		if (rexec_args(&r->c, "bB", &stream, &data, &len) || !len ||
		    len > QTFS_REXEC_DATA_MAX ||
		    (stream != QTFS_REXEC_STDOUT && stream != QTFS_REXEC_STDERR))
			goto bad;
		fd = stream == QTFS_REXEC_STDOUT ? STDOUT_FILENO : r->errfd;
		if (fd == STDOUT_FILENO && r->out_gone)
			return;
		/* a closed stdout (EPIPE) drops the rest, as a pipe would */
		if (write_all(fd, data, len) && fd == STDOUT_FILENO)
			r->out_gone = true;
		return;
	case QTFS_REXEC_OP_EOF:
		if (rexec_args(&r->c, "b", &stream) ||
		    (stream != QTFS_REXEC_STDOUT && stream != QTFS_REXEC_STDERR))
			goto bad;
		/* the reader of our stdout sees the binary's end of file */
		if (stream == QTFS_REXEC_STDOUT && !r->out_gone) {
			close(STDOUT_FILENO);
			r->out_gone = true;
		}
		return;
	case QTFS_REXEC_OP_EXIT:
		if (rexec_args(&r->c, "dd", &kind, &value) ||
		    (kind == QTFS_REXEC_EXITED && value > 255) ||
		    (kind == QTFS_REXEC_KILLED && (!value || value > 64)) ||
		    kind > QTFS_REXEC_KILLED)
			goto bad;
		r->status = kind == QTFS_REXEC_EXITED ? (int)value :
			    128 + (int)value;
		r->done = true;
		return;
	}
bad:
	qt_err("malformed %s frame from rexec_server (%u bytes)",
	       rexec_op_name(h->opcode), h->len);
	r->status = REXEC_EXIT_FAILURE;
	r->done = true;
}

static bool cli_event(void *ctx, int fd, unsigned int events)
{
	(void)fd;
	(void)events;
	cli_pump(ctx);
	return true;
}

/* stdin: one read when the loop says it is readable (stdin is shared with
 * others, so it stays blocking). */
static void cli_read_stdin(struct rexec_cli *r)
{
	static uint8_t buf[QTFS_REXEC_DATA_MAX];
	ssize_t n;

	do
		n = read(STDIN_FILENO, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		if (rexec_send_data(&r->c, QTFS_REXEC_STDIN, buf, n))
			cli_fail(r, "cannot queue stdin");
		return;
	}
	/* end of file, or stdin unreadable (closed, EIO): the same to it */
	r->in_eof = true;
	qt_evloop_del(r->loop, r->in_id);
	r->in_id = 0;
	if (rexec_send(&r->c, QTFS_REXEC_OP_EOF, 0, 0, 0, "b",
		       QTFS_REXEC_STDIN))
		cli_fail(r, "cannot queue stdin's end of file");
}

static bool cli_stdin_event(void *ctx, int fd, unsigned int events)
{
	struct rexec_cli *r = ctx;

	(void)fd;
	(void)events;
	cli_read_stdin(r);
	cli_pump(r);
	return !r->in_eof;
}

static bool cli_signal_event(void *ctx, int fd, unsigned int events)
{
	struct rexec_cli *r = ctx;
	struct signalfd_siginfo si;
	struct winsize ws = {};
	int ret;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			if (!r->tty || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws))
				continue;
			ret = rexec_send(&r->c, QTFS_REXEC_OP_WINSIZE, 0, 0, 0,
					 "hh", ws.ws_row, ws.ws_col);
		} else {
			qt_debug("forwarding signal %u", si.ssi_signo);
			ret = rexec_send(&r->c, QTFS_REXEC_OP_SIGNAL, 0, 0, 0,
					 "d", si.ssi_signo);
		}
		if (ret)
			cli_fail(r, "cannot queue a signal");
	}
	cli_pump(r);
	return true;
}

static void cli_pump(struct rexec_cli *r)
{
	unsigned int mask;
	int ret;

	while (!r->done) {
		ret = rexec_recv(&r->c);
		if (ret == 0)
			break;
		if (ret < 0) {
			cli_fail(r, ret == -ENODATA || ret == -ECONNRESET ?
				 "connection to rexec_server lost" :
				 "bad frame from rexec_server");
			break;
		}
		cli_frame(r);
		rexec_recv_done(&r->c);
	}
	if (!r->done && rexec_flush(&r->c))
		cli_fail(r, "connection to rexec_server lost");
	if (r->done) {
		qt_evloop_quit(r->loop);
		return;
	}
	/* stdin waits while the server is slow to take what we have */
	if (!r->in_eof && !r->in_id && r->c.tx->len < REXEC_TX_HIGH)
		r->in_id = qt_evloop_add_fd(r->loop, STDIN_FILENO, QT_EV_IN,
					    cli_stdin_event, r);
	else if (r->in_id && r->c.tx->len >= REXEC_TX_HIGH) {
		qt_evloop_del(r->loop, r->in_id);
		r->in_id = 0;
	}
	mask = QT_EV_IN | (r->c.tx->len ? QT_EV_OUT : 0);
	if (mask != r->sock_mask) {
		qt_evloop_del(r->loop, r->sock_id);
		r->sock_id = qt_evloop_add_fd(r->loop, r->c.fd, mask,
					      cli_event, r);
		r->sock_mask = mask;
	}
}

/* Run the loop until EXIT or failure; return: rexec's exit code. */
static int cli_run(struct rexec_cli *r)
{
	sigset_t set;
	unsigned int i;

	sigemptyset(&set);
	for (i = 0; i < G_N_ELEMENTS(rexec_fwd_signals); i++)
		sigaddset(&set, rexec_fwd_signals[i]);
	r->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	r->loop = qt_evloop_new();
	if (r->sigfd < 0 || !r->loop ||
	    qt_evloop_add_fd(r->loop, r->sigfd, QT_EV_IN, cli_signal_event,
			     r) < 0) {
		qt_err("cannot set up the event loop");
		return REXEC_EXIT_FAILURE;
	}
	cli_pump(r);
	if (!r->done)
		qt_evloop_run(r->loop);
	qt_evloop_free(r->loop);
	close(r->sigfd);
	return r->status;
}

/* --- pid map -------------------------------------------------------- */

/*
 * The pid-map file of the original: <pid dir>/<our pid> holds the remote
 * pid while the binary runs.  A directory we may not write (rexec run by
 * a user) only costs the file.
 */
static char *pidmap_create(const char *dir, int rpid)
{
	char *path, buf[32];
	int fd, n;

	if (g_mkdir_with_parents(dir, 0755) && errno != EEXIST) {
		qt_debug("pid map %s: %s", dir, strerror(errno));
		return NULL;
	}
	path = g_strdup_printf("%s/%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	n = snprintf(buf, sizeof(buf), "%d\n", rpid);
	if (fd < 0 || write_all(fd, buf, n)) {
		qt_debug("pid map %s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		g_free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* --- command line --------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rexec [OPTIONS] BINARY [ARGS...]\n"
		"\n"
		"Runs BINARY (an absolute path on the other host, listed in its\n"
		"/etc/rexec/whitelist) there, as you, through rexec_server: stdin,\n"
		"stdout and stderr are carried, signals forwarded, and its exit status\n"
		"is rexec's (128+N for a death by signal N).\n"
		"\n"
		"options:\n"
		"  -t, --tty          run BINARY on a pseudo-terminal on the server (the\n"
		"                     default when stdin is a terminal, which is then\n"
		"                     raw until rexec ends)\n"
		"  -T, --no-tty       no pseudo-terminal: pipes, stderr apart\n"
		"  --socket PATH      rexec_server's socket (%s); on a qtfs mount it\n"
		"                     is reached through udsproxyd, else directly\n"
		"  --remote-socket PATH  rexec_server's socket by its path on the other\n"
		"                     host, reached through udsproxyd (no qtfs mount\n"
		"                     of it needed; $QTFS_UDSPROXYD_SOCKET names\n"
		"                     udsproxyd's socket)\n"
		"  --cwd DIR          working directory on the server (default: the\n"
		"                     current directory, translated through its qtfs\n"
		"                     mount)\n"
		"  --env LIST         environment variables to forward, comma-separated,\n"
		"                     NAME* for a prefix (%s)\n"
		"  --mountinfo FILE   mount table for the translation (/proc/self/mountinfo)\n"
		"  --pid-dir DIR      pid-map files: DIR/<pid> holds the remote pid (%s)\n"
		"  --reply-timeout S  seconds to wait for each of rexec_server's\n"
		"                     answers before the binary runs, 1..%u (%u)\n"
		"  --log-level LEVEL  ERR WARN INFO DEBUG (WARN)\n"
		"  --help             this text\n"
		"\n"
		"$REXEC_LOG_FILE, if set, receives rexec's own messages.\n"
		"Exit codes of its own: %d refused, %d not found, %d failure.\n",
		REXEC_SOCK_DEFAULT, REXEC_ENV_DEFAULT, REXEC_PID_DIR_DEFAULT,
		REXEC_REPLY_TIMEOUT_MAX, REXEC_REPLY_TIMEOUT, REXEC_EXIT_DENIED, REXEC_EXIT_NOTFOUND, REXEC_EXIT_FAILURE);
}

/* Return: 0 to run, 1 after --help, -EINVAL on a bad command line. */
static int parse_cli(int argc, char **argv, struct rexec_cli *r)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "remote-socket", required_argument, NULL, 'r' },
		{ "cwd", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "mountinfo", required_argument, NULL, 'M' },
		{ "pid-dir", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "reply-timeout", required_argument, NULL, 'R' },
		{ "tty", no_argument, NULL, 't' },
		{ "no-tty", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *env = REXEC_ENV_DEFAULT;
	enum qt_log_level level = QT_LOG_WARN;
	unsigned long v;
	char *end;
	int c;

	/* "+": options end at BINARY, whose own options are its own */
	while ((c = getopt_long(argc, argv, "+htT", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			r->want_pty = 1;
			break;
		case 'T':
			r->want_pty = 0;
			break;
		case 'R':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || !*optarg || *end || optarg[0] == '-' ||
			    !v || v > REXEC_REPLY_TIMEOUT_MAX) {
				qt_err("invalid --reply-timeout '%s': not a number of seconds in 1..%u",
				       optarg, REXEC_REPLY_TIMEOUT_MAX);
				return -EINVAL;
			}
			r->timeout = v;
			break;
		case 's':
			r->sock = optarg;
			break;
		case 'r':
			r->remote = optarg;
			break;
		case 'c':
			r->cwd = optarg;
			break;
		case 'e':
			env = optarg;
			break;
		case 'M':
			r->mountinfo = optarg;
			break;
		case 'p':
			r->pid_dir = optarg;
			break;
		case 'l':
			if (rexec_parse_level(optarg, &level)) {
				qt_err("invalid --log-level '%s': use ERR, WARN, INFO or DEBUG",
				       optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			qt_err("see rexec --help");
			return -EINVAL;
		}
	}
	qt_log_set_level(level);
	if (optind >= argc) {
		qt_err("no BINARY given (see rexec --help)");
		return -EINVAL;
	}
	if (rexec_envlist_parse(env, &r->env)) {
		qt_err("invalid --env '%s': not a comma-separated list of variable names",
		       env);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rexec_cli r = {
		.sock = REXEC_SOCK_DEFAULT,
		.mountinfo = "/proc/self/mountinfo",
		.pid_dir = REXEC_PID_DIR_DEFAULT,
		.timeout = REXEC_REPLY_TIMEOUT,
		.want_pty = -1,
		.errfd = STDERR_FILENO,
		.sigfd = -1,
		.c.fd = -1,
	};
	const char *logf = getenv("REXEC_LOG_FILE");
	char cwd[QTFS_PATH_MAX], *pidmap;
	sigset_t set;
	unsigned int i;
	int ret;

	qt_log_open("rexec", false);
	ret = parse_cli(argc, argv, &r);
	if (ret)
		return ret > 0 ? 0 : REXEC_EXIT_FAILURE;
	if (logf && *logf) {
		ret = rexec_log_file(logf);
		if (ret < 0)
			qt_warn("REXEC_LOG_FILE %s: %s", logf, strerror(-ret));
		else
			r.errfd = ret;
	}
	signal(SIGPIPE, SIG_IGN);
	r.tty = isatty(STDIN_FILENO);
	r.pty = r.want_pty < 0 ? r.tty : r.want_pty;
	if (cli_cwd(&r, cwd, sizeof(cwd)) || cli_connect(&r)) {
		ret = REXEC_EXIT_FAILURE;
		goto out;
	}
	ret = cli_start(&r, argc - optind, argv + optind, cwd);
	if (ret < 0) {
		ret = -ret;
		goto out;
	}
	/*
	 * From now on the forwarded signals come through a signalfd; until
	 * here they end rexec, which ends the connection, and rexec_server
	 * kills what it started for it.
	 */
	sigemptyset(&set);
	for (i = 0; i < G_N_ELEMENTS(rexec_fwd_signals); i++)
		sigaddset(&set, rexec_fwd_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (r.pty && r.tty)
		tty_make_raw();
	pidmap = pidmap_create(r.pid_dir, ret);
	ret = cli_run(&r);
	if (pidmap)
		unlink(pidmap);
	g_free(pidmap);
out:
	tty_restore();
	rexec_conn_destroy(&r.c);
	if (r.env)
		g_ptr_array_unref(r.env);
	return ret;
}
