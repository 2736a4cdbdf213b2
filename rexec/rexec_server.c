// SPDX-License-Identifier: GPL-2.0
/*
 * rexec_server: runs whitelisted binaries for rexec on the other host
 * (doc/rexec.md).
 *
 *   rexec_server [--socket PATH] [--whitelist FILE] [--env LIST]
 *                [--max-conns N] [--log-level LEVEL] [--syslog]
 *
 * It listens on a unix socket in a directory exported by qtfs; rexec
 * reaches it through udsproxyd, which connects with the caller's uid and
 * groups, so SO_PEERCRED and SO_PEERGROUPS of a connection say whom to run
 * the binary as.  One event loop serves every connection: nothing in it
 * waits on a peer or on a binary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "qt_evloop.h"
#include "qt_log.h"
#include "qtfs_path.h"
#include "rexec.h"

#define REXEC_CONNS_DEFAULT	64
#define REXEC_CONNS_MAX		4096
/* A connection must have sent EXEC within this time. */
#define REXEC_SETUP_MS		10000
/* Peer-caused log lines: at most this many per interval. */
#define REXEC_LOG_BURST		10
#define REXEC_LOG_INTERVAL	5
#define REXEC_PATH_DEFAULT	"PATH=/usr/local/bin:/usr/bin:/bin"

/**
 * struct rexec_srv - the daemon
 * @sock:      path of the listening socket
 * @wl_path:   whitelist file
 * @wl:        binaries allowed (&rexec_whitelist_load)
 * @env:       environment allow-list (&rexec_envlist_parse)
 * @max_conns: connections served at once
 * @nconns:    connections now
 * @next_id:   id of the next connection, for log lines
 * @loop:      the event loop
 * @lfd:       listening socket
 * @sessions:  every live &struct rexec_sess
 */
struct rexec_srv {
	const char *sock;
	const char *wl_path;
	GPtrArray *wl;
	GPtrArray *env;
	unsigned long max_conns;
	unsigned long nconns;
	unsigned int next_id;
	struct qt_evloop *loop;
	int lfd;
	GList *sessions;
};

/* Where a connection is in the protocol. */
enum rexec_state {
	REXEC_ST_HELLO,		/* waiting for HELLO */
	REXEC_ST_EXEC,		/* waiting for EXEC */
	REXEC_ST_STARTING,	/* forked: waiting for its execve() */
	REXEC_ST_RUNNING,	/* the binary runs */
	REXEC_ST_DONE,		/* EXIT is queued: flush and close */
};

/**
 * struct rexec_watch - one descriptor of a session in the event loop
 * @fd:   descriptor, -1 when closed
 * @mask: QT_EV_* events watched now (0: not registered)
 * @id:   the loop's id of the registration
 */
struct rexec_watch {
	int fd;
	unsigned int mask;
	int id;
};

/**
 * struct rexec_sess - one connection and the binary it runs
 * @srv:     the daemon
 * @c:       framing of the connection
 * @id:      connection number for log lines
 * @state:   &enum rexec_state
 * @uid:     caller's uid (SO_PEERCRED)
 * @gid:     caller's gid
 * @groups:  caller's supplementary groups (SO_PEERGROUPS)
 * @ngroups: entries in @groups
 * @minor:   the protocol minor both sides speak (the smaller one)
 * @flags:   %QTFS_REXEC_* flags of EXEC
 * @pid:     the binary's pid (and process group), 0 before it runs
 * @ptm:     master of its pseudo-terminal (%QTFS_REXEC_PTY), else -1
 * @sock:    watch of the connection (@c.fd)
 * @in:      the binary's stdin pipe, our end (on a pseudo-terminal: a
 *           duplicate of @ptm)
 * @out:     its stdout pipe, our end (a duplicate of @ptm)
 * @err:     its stderr pipe, our end (none on a pseudo-terminal)
 * @pidfd:   pidfd of the binary: readable when it exits
 * @start:   the child's error pipe: end of file once execve() worked, an
 *           errno if something before it failed
 * @inbuf:   stdin bytes received and not yet written to @in
 * @in_eof:  the client sent EOF on stdin
 * @in_line: the last stdin byte did not end a line (what a terminal's
 *           end of file has to take into account)
 * @status:  wait status once @pidfd said the binary exited
 * @exited:  @status is valid
 * @timer:   id of the setup timer, 0 once EXEC arrived
 */
struct rexec_sess {
	struct rexec_srv *srv;
	struct rexec_conn c;
	unsigned int id;
	enum rexec_state state;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	uint16_t minor;
	uint32_t flags;
	pid_t pid;
	int ptm;
	struct rexec_watch sock, in, out, err, pidfd, start;
	GByteArray *inbuf;
	bool in_eof;
	bool in_line;
	int status;
	bool exited;
	int timer;
};

static void sess_pump(struct rexec_sess *s);

/* Return: true for the first %REXEC_LOG_BURST peer-caused lines of each
 * %REXEC_LOG_INTERVAL seconds. */
static bool log_ratelimit(void)
{
	static time_t start;
	static unsigned int count;
	time_t now = time(NULL);

	if (now - start >= REXEC_LOG_INTERVAL) {
		start = now;
		count = 0;
	}
	return ++count <= REXEC_LOG_BURST;
}

#define sess_warn(s, fmt, ...)						\
	do {								\
		if (log_ratelimit())					\
			qt_warn("conn %u: " fmt, (s)->id, ##__VA_ARGS__); \
	} while (0)

static bool sess_event(void *ctx, int fd, unsigned int events)
{
	(void)fd;
	(void)events;
	sess_pump(ctx);
	return true;
}

/* Watch @w for @mask (0: not at all), re-registering only on a change. */
static void watch_set(struct rexec_sess *s, struct rexec_watch *w,
		      unsigned int mask)
{
	if (w->fd < 0)
		mask = 0;
	if (w->mask == mask && (mask || !w->id))
		return;
	qt_evloop_del(s->srv->loop, w->id);
	w->id = 0;
	w->mask = mask;
	if (!mask)
		return;
	w->id = qt_evloop_add_fd(s->srv->loop, w->fd, mask, sess_event, s);
	if (w->id < 0)
		w->id = 0;
}

static void watch_close(struct rexec_sess *s, struct rexec_watch *w)
{
	watch_set(s, w, 0);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/**
 * struct rexec_reap - a binary whose connection is gone, still to reap
 * @pid:   its pid
 * @pidfd: its pidfd, watched until it exits
 */
struct rexec_reap {
	pid_t pid;
	int pidfd;
};

static bool reap_event(void *ctx, int fd, unsigned int events)
{
	struct rexec_reap *r = ctx;

	(void)fd;
	(void)events;
	if (waitpid(r->pid, NULL, WNOHANG) == 0)
		return true;
	close(r->pidfd);
	free(r);
	return false;
}

/*
 * End a session.  A binary still running is killed with its whole process
 * group (the connection, that is rexec, is gone: linked lifetime) and
 * reaped when it is gone.
 */
static void sess_free(struct rexec_sess *s)
{
	struct rexec_srv *srv = s->srv;
	struct rexec_reap *r;

	if (s->pid > 0 && s->state != REXEC_ST_DONE) {
		qt_info("conn %u: killing process group %d: connection closed",
			s->id, s->pid);
		kill(-s->pid, SIGKILL);
		/* a child not yet through setsid() is in no group of its own */
		if (!s->exited)
			kill(s->pid, SIGKILL);
	}
	if (s->pid > 0 && !s->exited) {
		watch_set(s, &s->pidfd, 0);
		r = malloc(sizeof(*r));
		if (r) {
			r->pid = s->pid;
			r->pidfd = s->pidfd.fd;
			s->pidfd.fd = -1;
			if (qt_evloop_add_fd(srv->loop, r->pidfd, QT_EV_IN,
					     reap_event, r) < 0) {
				s->pidfd.fd = r->pidfd;
				free(r);
			}
		}
		if (s->pidfd.fd >= 0)
			waitpid(s->pid, NULL, 0);
	}
	watch_close(s, &s->pidfd);
	watch_close(s, &s->start);
	watch_close(s, &s->in);
	watch_close(s, &s->out);
	watch_close(s, &s->err);
	if (s->ptm >= 0)
		close(s->ptm);
	watch_set(s, &s->sock, 0);
	rexec_conn_destroy(&s->c);
	qt_evloop_del(srv->loop, s->timer);
	g_byte_array_free(s->inbuf, TRUE);
	free(s->groups);
	srv->sessions = g_list_remove(srv->sessions, s);
	srv->nconns--;
	free(s);
}

static bool sess_timeout(void *ctx)
{
	struct rexec_sess *s = ctx;

	sess_warn(s, "no EXEC within %u ms: closing", REXEC_SETUP_MS);
	s->timer = 0;
	sess_free(s);
	return false;
}

/* --- starting the binary ------------------------------------------- */

/**
 * struct rexec_spawn - what the child needs, all prepared before fork()
 * @path: binary
 * @argv: its arguments, NULL-terminated
 * @envp: its environment, NULL-terminated
 * @cwd:  working directory
 */
struct rexec_spawn {
	const char *path;
	char **argv;
	char **envp;
	const char *cwd;
};

/*
 * The child: only async-signal-safe calls from here to execve().  Its own
 * session and process group (signals and the kill at teardown reach
 * everything it starts), with the pseudo-terminal as its controlling
 * terminal if it has one, the pipes or the terminal as fds 0-2, the
 * caller's identity, the working directory, and the binary.  Failures
 * go to @errfd as an errno.
 */
static void __attribute__((noreturn))
spawn_child(const struct rexec_sess *s, const struct rexec_spawn *sp,
	    const int fds[3], int errfd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int e, i;

	/*
	 * Every disposition back to the default, as a login gives it: a
	 * server started in the background of a script (nohup ... &) ignores
	 * SIGINT and SIGQUIT, and an ignored disposition would survive
	 * execve(), so that forwarded signals reached a binary that could
	 * not even trap them.
	 */
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			sigaction(i, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (s->ptm >= 0 && ioctl(fds[0], TIOCSCTTY, 0))
		goto fail;
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			goto fail;
	/* only root can take on another identity; a non-root server runs
	 * nothing but its own uid's binaries (checked before the fork) */
	if (geteuid() == 0 &&
	    (setgroups(s->ngroups, s->groups) ||
	     setresgid(s->gid, s->gid, s->gid) ||
	     setresuid(s->uid, s->uid, s->uid)))
		goto fail;
	if (chdir(sp->cwd))
		goto fail;
	execve(sp->path, sp->argv, sp->envp);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Build the environment: what the client sent and the allow-list admits,
 * then HOME, USER, LOGNAME and SHELL of the uid's passwd entry (never the
 * client's) and a default PATH unless PATH was forwarded.
 */
static char **build_env(struct rexec_sess *s, GPtrArray *sent)
{
	static const char *const own[] = { "HOME=", "USER=", "LOGNAME=",
					   "SHELL=" };
	GPtrArray *env = g_ptr_array_new();
	struct passwd pw, *pwp = NULL;
	bool has_path = false;
	char buf[4096];
	unsigned int i, j;

	for (i = 0; i < sent->len; i++) {
		const char *e = g_ptr_array_index(sent, i);
		bool skip = !rexec_envlist_match(s->srv->env, e);

		for (j = 0; j < G_N_ELEMENTS(own) && !skip; j++)
			skip = !strncmp(e, own[j], strlen(own[j]));
		if (skip)
			continue;
		has_path |= !strncmp(e, "PATH=", 5);
		g_ptr_array_add(env, g_strdup(e));
	}
	if (getpwuid_r(s->uid, &pw, buf, sizeof(buf), &pwp) || !pwp) {
		qt_warn("conn %u: uid %u has no passwd entry: no HOME, USER, LOGNAME, SHELL",
			s->id, (unsigned int)s->uid);
	} else {
		g_ptr_array_add(env, g_strconcat("HOME=", pw.pw_dir, NULL));
		g_ptr_array_add(env, g_strconcat("USER=", pw.pw_name, NULL));
		g_ptr_array_add(env, g_strconcat("LOGNAME=", pw.pw_name,
						 NULL));
		g_ptr_array_add(env, g_strconcat("SHELL=", *pw.pw_shell ?
						 pw.pw_shell : "/bin/sh",
						 NULL));
	}
	if (!has_path)
		g_ptr_array_add(env, g_strdup(REXEC_PATH_DEFAULT));
	g_ptr_array_add(env, NULL);
	return (char **)g_ptr_array_free(env, FALSE);
}

/*
 * A pseudo-terminal for the binary, @rows x @cols (0 0: the kernel's
 * default), its slave owned by the caller as a login's is.  The master
 * goes to @s->ptm and, duplicated, to @in[1] and @out[0], the slave to
 * @in[0] (the child's fds 0-2).  Return: 0 or -errno.
 */
static int sess_openpty(struct rexec_sess *s, uint16_t rows, uint16_t cols,
			int in[2], int out[2])
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	int ptm;

	ptm = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ptm < 0)
		return -errno;
	s->ptm = ptm;
	if (grantpt(ptm) || unlockpt(ptm) ||
	    ioctl(ptm, TIOCSWINSZ, &ws))
		return -errno;
	/* the peer of this master, not a path another could swap */
	in[0] = ioctl(ptm, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (in[0] < 0)
		return -errno;
	if (geteuid() == 0 && fchown(in[0], s->uid, -1))
		return -errno;
	in[1] = fcntl(ptm, F_DUPFD_CLOEXEC, 0);
	out[0] = fcntl(ptm, F_DUPFD_CLOEXEC, 0);
	if (in[1] < 0 || out[0] < 0)
		return -errno;
	return 0;
}

/*
 * Fork the binary's process; return: 0, or -errno for the EXEC reply.
 * Its stdio are three pipes, or one pseudo-terminal with
 * %QTFS_REXEC_PTY.  The child reports a failure before execve() (a
 * missing binary, a cwd the caller may not enter) as an errno on a
 * close-on-exec pipe, which the loop reads (sess_started()): a child
 * stuck on the way, in a hung filesystem say, holds up only its own
 * connection.
 */
static int sess_spawn(struct rexec_sess *s, struct rexec_spawn *sp,
		      uint16_t rows, uint16_t cols)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int ep[2] = { -1, -1 }, fds[3], e, ret;
	pid_t pid;

	if (s->flags & QTFS_REXEC_PTY)
		ret = sess_openpty(s, rows, cols, in, out);
	else if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
		 pipe2(err, O_CLOEXEC))
		ret = -errno;
	else
		ret = 0;
	if (ret || pipe2(ep, O_CLOEXEC)) {
		ret = ret ?: -errno;
		goto out_close;
	}
	fds[0] = in[0];
	fds[1] = s->ptm >= 0 ? in[0] : out[1];
	fds[2] = s->ptm >= 0 ? in[0] : err[1];
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_close;
	}
	if (!pid)
		spawn_child(s, sp, fds, ep[1]);
	s->pidfd.fd = syscall(SYS_pidfd_open, pid, 0);
	if (s->pidfd.fd < 0) {
		ret = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out_close;
	}
	s->pid = pid;
	s->in.fd = in[1];
	s->out.fd = out[0];
	s->err.fd = err[0];
	s->start.fd = ep[0];
	in[1] = out[0] = err[0] = ep[0] = -1;
	/* the duplicates of a master share its O_NONBLOCK */
	rexec_set_nonblock(s->in.fd);
	rexec_set_nonblock(s->out.fd);
	if (s->err.fd >= 0)
		rexec_set_nonblock(s->err.fd);
	rexec_set_nonblock(s->start.fd);
	ret = 0;
out_close:
	for (e = 0; e < 2; e++) {
		if (in[e] >= 0)
			close(in[e]);
		if (out[e] >= 0)
			close(out[e]);
		if (err[e] >= 0)
			close(err[e]);
		if (ep[e] >= 0)
			close(ep[e]);
	}
	return ret;
}

/*
 * EXEC: check everything, then fork.  Return: 0 when the child is on its
 * way or an error reply is queued, -EPROTO for a malformed request (the
 * connection is closed).
 */
static int sess_exec(struct rexec_sess *s)
{
	GPtrArray *argv = g_ptr_array_new(), *env = g_ptr_array_new();
	const void *argb, *envb;
	uint32_t flags, alen, elen;
	uint16_t rows, cols;
	const char *cwd;
	struct rexec_spawn sp = {};
	int ret;

	ret = rexec_args(&s->c, "dhhsBB", &flags, &rows, &cols, &cwd, &argb,
			 &alen, &envb, &elen);
	/* a pseudo-terminal is 1.1's; a size needs a terminal */
	if (ret || (flags & ~QTFS_REXEC_FLAGS_MASK) ||
	    ((flags & QTFS_REXEC_PTY) && s->minor < 1) ||
	    (!(flags & (QTFS_REXEC_TTY | QTFS_REXEC_PTY)) && (rows || cols)) ||
	    alen > QTFS_REXEC_ARGS_MAX || elen > QTFS_REXEC_ARGS_MAX ||
	    rexec_strv_parse(argb, alen, QTFS_REXEC_ARGC_MAX, argv) ||
	    rexec_strv_parse(envb, elen, QTFS_REXEC_ARGC_MAX, env) ||
	    !argv->len) {
		ret = -EPROTO;
		goto out;
	}
	s->flags = flags;
	sp.path = g_ptr_array_index(argv, 0);
	sp.cwd = cwd;
	if (!qtfs_path_is_normal(cwd, strlen(cwd))) {
		sess_warn(s, "working directory '%s' is not absolute and normalised",
			  cwd);
		ret = -EINVAL;
	} else if (!rexec_whitelist_allows(s->srv->wl, sp.path)) {
		sess_warn(s, "uid %u: '%s' is not in %s: refused",
			  (unsigned int)s->uid, sp.path, s->srv->wl_path);
		ret = -EPERM;
	} else if (geteuid() != 0 && s->uid != geteuid()) {
		sess_warn(s, "uid %u: this server runs as uid %u and can run binaries only for it: refused",
			  (unsigned int)s->uid, (unsigned int)geteuid());
		ret = -EPERM;
	}
	if (ret)
		goto reply;
	g_ptr_array_add(argv, NULL);
	sp.argv = (char **)argv->pdata;
	sp.envp = build_env(s, env);
	ret = sess_spawn(s, &sp, rows, cols);
	g_strfreev(sp.envp);
	if (!ret) {
		qt_debug("conn %u: uid %u: %s forked as pid %d in %s%s", s->id,
			 (unsigned int)s->uid, sp.path, s->pid, cwd,
			 s->ptm >= 0 ? " on a pseudo-terminal" : "");
		s->state = REXEC_ST_STARTING;
		goto out;
	}
	qt_info("conn %u: uid %u: %s: %s", s->id, (unsigned int)s->uid,
		sp.path, strerror(-ret));
reply:
	ret = rexec_send(&s->c, QTFS_REXEC_OP_EXEC, QTFS_HDR_REPLY, 2, ret,
			 "");
	s->state = REXEC_ST_DONE;
out:
	g_ptr_array_unref(argv);
	g_ptr_array_unref(env);
	return ret;
}

/* --- the protocol --------------------------------------------------- */

static int sess_hello(struct rexec_sess *s)
{
	uint32_t magic, max;
	uint16_t major, minor;

	if (rexec_args(&s->c, "dhhd", &magic, &major, &minor, &max))
		return -EPROTO;
	if (magic != QTFS_REXEC_MAGIC || major != QTFS_REXEC_MAJOR) {
		sess_warn(s, "HELLO with magic %#x major %u: not rexec %u.x",
			  magic, major, QTFS_REXEC_MAJOR);
		return -EPROTONOSUPPORT;
	}
	s->state = REXEC_ST_EXEC;
	s->minor = minor < QTFS_REXEC_MINOR ? minor : QTFS_REXEC_MINOR;
	return rexec_send(&s->c, QTFS_REXEC_OP_HELLO, QTFS_HDR_REPLY, 1, 0,
			  "dhhd", QTFS_REXEC_MAGIC, QTFS_REXEC_MAJOR,
			  QTFS_REXEC_MINOR, QTFS_REXEC_MSG_MAX);
}

/*
 * The end of file of stdin on a pseudo-terminal, which cannot be closed
 * for the binary: what typing it would do.  In canonical mode that is
 * the EOF character, twice after a partial line (the first ends the
 * line); a terminal in raw mode has no end of file and gets nothing.
 */
static void sess_pty_eof(struct rexec_sess *s)
{
	struct termios t;

	if (tcgetattr(s->ptm, &t) || !(t.c_lflag & ICANON) ||
	    t.c_cc[VEOF] == _POSIX_VDISABLE)
		return;
	g_byte_array_append(s->inbuf, &t.c_cc[VEOF], 1);
	if (s->in_line)
		g_byte_array_append(s->inbuf, &t.c_cc[VEOF], 1);
}

/* WINSIZE: the terminal's new size, or SIGWINCH without a terminal. */
static void sess_winsize(struct rexec_sess *s, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (s->exited)
		return;
	/* the kernel signals the terminal's foreground group if it changed */
	if (s->ptm >= 0)
		ioctl(s->ptm, TIOCSWINSZ, &ws);
	else
		kill(-s->pid, SIGWINCH);
}

/* DATA, EOF, SIGNAL, WINSIZE while the binary runs. */
static int sess_running(struct rexec_sess *s, uint16_t op)
{
	const uint8_t *data;
	uint32_t len, sig;
	uint16_t rows, cols;
	uint8_t stream;

	switch (op) {
	case QTFS_REXEC_OP_DATA:
		if (rexec_args(&s->c, "bB", &stream, &data, &len) ||
		    stream != QTFS_REXEC_STDIN || !len ||
		    len > QTFS_REXEC_DATA_MAX || s->in_eof)
			return -EPROTO;
		/* a binary that closed its stdin gets nothing more */
		if (s->in.fd >= 0)
			g_byte_array_append(s->inbuf, data, len);
		s->in_line = data[len - 1] != '\n' && data[len - 1] != '\r';
		return 0;
	case QTFS_REXEC_OP_EOF:
		if (rexec_args(&s->c, "b", &stream) ||
		    stream != QTFS_REXEC_STDIN || s->in_eof)
			return -EPROTO;
		s->in_eof = true;
		if (s->ptm >= 0 && s->in.fd >= 0)
			sess_pty_eof(s);
		return 0;
	case QTFS_REXEC_OP_SIGNAL:
		if (rexec_args(&s->c, "d", &sig))
			return -EPROTO;
		if (sig != SIGHUP && sig != SIGINT && sig != SIGQUIT &&
		    sig != SIGTERM) {
			sess_warn(s, "SIGNAL %u is not forwarded: closing", sig);
			return -EPROTO;
		}
		if (!s->exited)
			kill(-s->pid, sig);
		return 0;
	case QTFS_REXEC_OP_WINSIZE:
		if (rexec_args(&s->c, "hh", &rows, &cols) ||
		    !(s->flags & (QTFS_REXEC_TTY | QTFS_REXEC_PTY)))
			return -EPROTO;
		sess_winsize(s, rows, cols);
		return 0;
	}
	return -EPROTO;
}

/* One received frame; return: 0 or -errno (the connection is closed). */
static int sess_frame(struct rexec_sess *s)
{
	const struct qtfs_msg_hdr *h = &s->c.hdr;

	if (h->flags & QTFS_HDR_REPLY)
		return -EPROTO;
	switch (s->state) {
	case REXEC_ST_HELLO:
		if (h->opcode != QTFS_REXEC_OP_HELLO || h->id != 1)
			return -EPROTO;
		return sess_hello(s);
	case REXEC_ST_EXEC:
		if (h->opcode != QTFS_REXEC_OP_EXEC || h->id != 2)
			return -EPROTO;
		qt_evloop_del(s->srv->loop, s->timer);
		s->timer = 0;
		return sess_exec(s);
	case REXEC_ST_RUNNING:
		if (h->id)
			return -EPROTO;
		return sess_running(s, h->opcode);
	case REXEC_ST_STARTING:	/* the client waits for EXEC's reply */
	case REXEC_ST_DONE:
		break;
	}
	return -EPROTO;
}

/* Read frames while stdin has room; return: 0 or -errno. */
static int sess_read_sock(struct rexec_sess *s)
{
	int ret;

	while (s->state != REXEC_ST_DONE &&
	       s->inbuf->len < QTFS_REXEC_DATA_MAX) {
		ret = rexec_recv(&s->c);
		if (ret <= 0)
			return ret;
		ret = sess_frame(s);
		if (ret) {
			sess_warn(s, "bad %s frame (%u bytes): %s: closing",
				  rexec_op_name(s->c.hdr.opcode), s->c.hdr.len,
				  strerror(-ret));
			return ret;
		}
		rexec_recv_done(&s->c);
	}
	return 0;
}

/* Write pending stdin; at its end of file close the pipe. */
static void sess_write_stdin(struct rexec_sess *s)
{
	ssize_t n;

	while (s->in.fd >= 0 && s->inbuf->len) {
		n = write(s->in.fd, s->inbuf->data, s->inbuf->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			/* EPIPE: the binary stopped reading stdin */
			g_byte_array_set_size(s->inbuf, 0);
			watch_close(s, &s->in);
			return;
		}
		g_byte_array_remove_range(s->inbuf, 0, n);
	}
	if (s->in_eof && !s->inbuf->len)
		watch_close(s, &s->in);
}

/* Read a pipe of the binary into DATA while the connection keeps up. */
static int sess_read_pipe(struct rexec_sess *s, struct rexec_watch *w,
			  uint8_t stream)
{
	static uint8_t buf[QTFS_REXEC_DATA_MAX];
	ssize_t n;
	int ret;

	while (w->fd >= 0 && s->c.tx->len < REXEC_TX_HIGH) {
		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			watch_close(s, w);
			return rexec_send(&s->c, QTFS_REXEC_OP_EOF, 0, 0, 0,
					  "b", stream);
		}
		ret = rexec_send_data(&s->c, stream, buf, n);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Did the child reach execve()?  Then EXEC's reply carries its pid; if it
 * failed before, the errno it reported (it exits, and is reaped later).
 * Return: 0 or -errno of queueing the reply.
 */
static int sess_started(struct rexec_sess *s)
{
	ssize_t n;
	int e = 0;

	do
		n = read(s->start.fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	watch_close(s, &s->start);
	if (!n) {
		qt_info("conn %u: uid %u: pid %d runs", s->id,
			(unsigned int)s->uid, s->pid);
		s->state = REXEC_ST_RUNNING;
		return rexec_send(&s->c, QTFS_REXEC_OP_EXEC, QTFS_HDR_REPLY, 2,
				  0, "d", (uint32_t)s->pid);
	}
	e = n == sizeof(e) && e > 0 && e <= QTFS_ERRNO_MAX ? e : EIO;
	qt_info("conn %u: uid %u: pid %d cannot run: %s", s->id,
		(unsigned int)s->uid, s->pid, strerror(e));
	s->state = REXEC_ST_DONE;
	return rexec_send(&s->c, QTFS_REXEC_OP_EXEC, QTFS_HDR_REPLY, 2, -e,
			  "");
}

/* Has the binary exited?  Then keep its status for EXIT. */
static void sess_check_exit(struct rexec_sess *s)
{
	if (s->exited || s->pidfd.fd < 0 ||
	    waitpid(s->pid, &s->status, WNOHANG) <= 0)
		return;
	s->exited = true;
	watch_close(s, &s->pidfd);
	qt_info("conn %u: pid %d %s %d", s->id, s->pid,
		WIFSIGNALED(s->status) ? "killed by signal" : "exited with",
		WIFSIGNALED(s->status) ? WTERMSIG(s->status) :
		WEXITSTATUS(s->status));
}

/*
 * Make all the progress possible, then watch exactly what can make more.
 * EXIT goes after the binary has exited and both its output pipes are
 * at end of file (what it wrote is all delivered, as ssh does).
 */
static void sess_pump(struct rexec_sess *s)
{
	int ret;

	ret = sess_read_sock(s);
	if (ret == -ENODATA || ret == -ECONNRESET) {
		if (s->state != REXEC_ST_DONE)
			qt_info("conn %u: closed by rexec", s->id);
		goto out_free;
	}
	if (ret)
		goto out_free;
	if (s->state == REXEC_ST_STARTING && sess_started(s))
		goto out_free;
	if (s->state == REXEC_ST_RUNNING) {
		sess_write_stdin(s);
		if (sess_read_pipe(s, &s->out, QTFS_REXEC_STDOUT) ||
		    sess_read_pipe(s, &s->err, QTFS_REXEC_STDERR))
			goto out_free;
		sess_check_exit(s);
		if (s->exited && s->out.fd < 0 && s->err.fd < 0) {
			if (WIFSIGNALED(s->status))
				ret = rexec_send(&s->c, QTFS_REXEC_OP_EXIT, 0,
						 0, 0, "dd", QTFS_REXEC_KILLED,
						 WTERMSIG(s->status));
			else
				ret = rexec_send(&s->c, QTFS_REXEC_OP_EXIT, 0,
						 0, 0, "dd", QTFS_REXEC_EXITED,
						 WEXITSTATUS(s->status));
			if (ret)
				goto out_free;
			s->state = REXEC_ST_DONE;
		}
	}
	if (rexec_flush(&s->c))
		goto out_free;
	if (s->state == REXEC_ST_DONE && !s->c.tx->len)
		goto out_free;
	watch_set(s, &s->sock,
		  (s->state != REXEC_ST_DONE &&
		   s->inbuf->len < QTFS_REXEC_DATA_MAX ? QT_EV_IN : 0) |
		  (s->c.tx->len ? QT_EV_OUT : 0) | QT_EV_ERR);
	watch_set(s, &s->in, s->inbuf->len ? QT_EV_OUT : 0);
	watch_set(s, &s->out, s->c.tx->len < REXEC_TX_HIGH ? QT_EV_IN : 0);
	watch_set(s, &s->err, s->c.tx->len < REXEC_TX_HIGH ? QT_EV_IN : 0);
	watch_set(s, &s->pidfd,
		  s->exited || s->state == REXEC_ST_STARTING ? 0 : QT_EV_IN);
	watch_set(s, &s->start, QT_EV_IN);
	return;
out_free:
	sess_free(s);
}

/* --- accepting ------------------------------------------------------ */

/* The caller's identity, from the kernel; return: 0 or -errno. */
static int sess_identify(struct rexec_sess *s, int fd)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred cr;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return -errno;
	s->uid = cr.uid;
	s->gid = cr.gid;
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) &&
	    errno != ERANGE)
		return -errno;
	s->groups = calloc(len / sizeof(gid_t) + 1, sizeof(gid_t));
	if (!s->groups)
		return -ENOMEM;
	if (len && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, s->groups, &len))
		return -errno;
	s->ngroups = len / sizeof(gid_t);
	return 0;
}

/* Connections of @uid, the one being accepted included. */
static unsigned long srv_uid_conns(const struct rexec_srv *srv, uid_t uid)
{
	unsigned long n = 0;
	const GList *l;

	for (l = srv->sessions; l; l = l->next)
		n += ((const struct rexec_sess *)l->data)->uid == uid;
	return n;
}

static bool srv_accept(void *ctx, int lfd, unsigned int events)
{
	struct rexec_srv *srv = ctx;
	struct rexec_sess *s;
	int fd, ret;

	(void)events;
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return true;
	if (srv->nconns >= srv->max_conns) {
		if (log_ratelimit())
			qt_warn("%lu connections (--max-conns): refusing one",
				srv->nconns);
		close(fd);
		return true;
	}
	s = calloc(1, sizeof(*s));
	if (!s || rexec_conn_init(&s->c, fd)) {
		free(s);
		return true;
	}
	s->srv = srv;
	s->id = ++srv->next_id;
	s->sock.fd = fd;
	s->in.fd = s->out.fd = s->err.fd = s->pidfd.fd = s->start.fd = -1;
	s->ptm = -1;
	s->inbuf = g_byte_array_new();
	srv->nconns++;
	srv->sessions = g_list_prepend(srv->sessions, s);
	ret = sess_identify(s, fd);
	if (ret) {
		qt_warn("conn %u: no peer credentials: %s", s->id,
			strerror(-ret));
		sess_free(s);
		return true;
	}
	if (srv_uid_conns(srv, s->uid) > (srv->max_conns + 1) / 2) {
		sess_warn(s, "uid %u holds half of --max-conns: refused",
			  (unsigned int)s->uid);
		sess_free(s);
		return true;
	}
	s->timer = qt_evloop_add_timer(srv->loop, REXEC_SETUP_MS,
				       sess_timeout, s);
	qt_debug("conn %u: uid %u gid %u", s->id, (unsigned int)s->uid,
		 (unsigned int)s->gid);
	sess_pump(s);
	return true;
}

/* --- start-up ------------------------------------------------------- */

static bool srv_stop(void *ctx)
{
	struct rexec_srv *srv = ctx;

	qt_info("stopping");
	qt_evloop_quit(srv->loop);
	return true;
}

/* SIGHUP: read the whitelist again; a bad file keeps the old one. */
static bool srv_reload(void *ctx)
{
	struct rexec_srv *srv = ctx;
	GPtrArray *wl;
	char why[512];

	if (rexec_whitelist_load(srv->wl_path, &wl, why, sizeof(why))) {
		qt_err("whitelist not reloaded, keeping the old one: %s", why);
		return true;
	}
	g_ptr_array_unref(srv->wl);
	srv->wl = wl;
	qt_info("whitelist reloaded: %u binaries", wl->len);
	return true;
}

/* Bind @path (replacing a stale socket), mode 0666; return: fd or -errno. */
static int srv_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *dir = g_path_get_dirname(path);
	struct stat st;
	int fd, ret;

	if (g_mkdir_with_parents(dir, 0755) && errno != EEXIST) {
		ret = -errno;
		g_free(dir);
		return ret;
	}
	g_free(dir);
	strcpy(sun.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* anyone may ask: who asked is the kernel's SO_PEERCRED */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, 0666) || listen(fd, 64)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rexec_server [OPTIONS]\n"
		"\n"
		"Runs the binaries that rexec on the other host asks for, if\n"
		"they are in the whitelist, as the user who asked.\n"
		"\n"
		"options:\n"
		"  --socket PATH       socket to listen on, in a directory exported by\n"
		"                      qtfs (%s)\n"
		"  --whitelist FILE    binaries allowed, one absolute path a line (%s);\n"
		"                      read again on SIGHUP\n"
		"  --env LIST          environment variables a client may forward,\n"
		"                      comma-separated, NAME* for a prefix (%s)\n"
		"  --max-conns N       connections at once, 1..%u (%u); one uid may\n"
		"                      hold half of them (rounded up)\n"
		"  --log-level LEVEL   ERR WARN INFO DEBUG (INFO)\n"
		"  --syslog            log to syslog instead of stderr\n"
		"  --help              this text\n"
		"\n"
		"$REXEC_LOG_FILE, if set, receives the log instead of stderr.\n",
		REXEC_SOCK_DEFAULT, REXEC_WL_DEFAULT, REXEC_ENV_DEFAULT,
		REXEC_CONNS_MAX, REXEC_CONNS_DEFAULT);
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "rexec_server: invalid %s '%s': %s (see rexec_server --help)\n",
		opt, val, why);
	return -EINVAL;
}

/* Return: 0 to run, 1 after --help, -EINVAL on a bad command line. */
static int parse_cli(int argc, char **argv, struct rexec_srv *srv,
		     enum qt_log_level *level, bool *use_syslog)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "whitelist", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *env = REXEC_ENV_DEFAULT;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (optarg[0] != '/' ||
			    strlen(optarg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
				return bad("--socket", optarg,
					   "not an absolute path that fits a unix socket");
			srv->sock = optarg;
			break;
		case 'w':
			srv->wl_path = optarg;
			break;
		case 'e':
			env = optarg;
			break;
		case 'm':
			errno = 0;
			srv->max_conns = strtoul(optarg, &end, 10);
			if (errno || !*optarg || *end || optarg[0] == '-' ||
			    !srv->max_conns || srv->max_conns > REXEC_CONNS_MAX)
				return bad("--max-conns", optarg,
					   "not a number in 1..4096");
			break;
		case 'l':
			if (rexec_parse_level(optarg, level))
				return bad("--log-level", optarg,
					   "use ERR, WARN, INFO or DEBUG");
			break;
		case 'S':
			*use_syslog = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "rexec_server: see rexec_server --help\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rexec_server: unexpected argument '%s' (see rexec_server --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	if (rexec_envlist_parse(env, &srv->env))
		return bad("--env", env,
			   "not a comma-separated list of variable names");
	return 0;
}

int main(int argc, char **argv)
{
	struct rexec_srv srv = {
		.sock = REXEC_SOCK_DEFAULT,
		.wl_path = REXEC_WL_DEFAULT,
		.max_conns = REXEC_CONNS_DEFAULT,
	};
	enum qt_log_level level = QT_LOG_INFO;
	const char *logf = getenv("REXEC_LOG_FILE");
	bool use_syslog = false;
	char why[512];
	int ret, saved;

	ret = parse_cli(argc, argv, &srv, &level, &use_syslog);
	if (ret)
		return ret > 0 ? 0 : 1;
	if (logf && *logf && !use_syslog) {
		saved = rexec_log_file(logf);
		if (saved < 0) {
			fprintf(stderr, "rexec_server: REXEC_LOG_FILE %s: %s\n",
				logf, strerror(-saved));
			return 1;
		}
		close(saved);
	}
	qt_log_open("rexec_server", use_syslog);
	qt_log_set_level(level);
	if (rexec_whitelist_load(srv.wl_path, &srv.wl, why, sizeof(why))) {
		qt_err("whitelist: %s", why);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	srv.lfd = srv_listen(srv.sock);
	if (srv.lfd < 0) {
		qt_err("cannot listen on %s: %s", srv.sock,
		       strerror(-srv.lfd));
		return 1;
	}
	srv.loop = qt_evloop_new();
	if (!srv.loop ||
	    qt_evloop_add_fd(srv.loop, srv.lfd, QT_EV_IN, srv_accept,
			     &srv) < 0 ||
	    qt_evloop_add_signal(srv.loop, SIGTERM, srv_stop, &srv) < 0 ||
	    qt_evloop_add_signal(srv.loop, SIGINT, srv_stop, &srv) < 0 ||
	    qt_evloop_add_signal(srv.loop, SIGHUP, srv_reload, &srv) < 0) {
		qt_err("cannot set up the event loop");
		return 1;
	}
	qt_info("listening on %s, %u binaries in %s", srv.sock, srv.wl->len,
		srv.wl_path);
	qt_evloop_run(srv.loop);
	while (srv.sessions)
		sess_free(srv.sessions->data);
	close(srv.lfd);
	unlink(srv.sock);
	qt_evloop_free(srv.loop);
	g_ptr_array_unref(srv.wl);
	g_ptr_array_unref(srv.env);
	return 0;
}
