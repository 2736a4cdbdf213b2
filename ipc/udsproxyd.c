// SPDX-License-Identifier: GPL-2.0
/*
 * udsproxyd: cross-host unix socket connections (doc/ipc.md).
 *
 *   udsproxyd [OPTIONS] THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT
 *
 * main() reads the command line, the key and the whitelist, opens the
 * listeners and runs the event loop; uds_conn.c carries the connections.
 * Everything is checked before anything is opened, and each bad argument
 * ends the start with one line naming it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "qt_log.h"
#include "udsproxyd.h"

#define UDS_SOCK_DEFAULT	"/run/qtfs/udsproxyd.sock"
#define UDS_WL_DEFAULT		"/etc/qtfs/whitelist"
#define UDS_THREADS_MAX		64
#define UDS_CONNS_DEFAULT	256
#define UDS_CONNS_MAX		65536
/* --dgram-idle: seconds, default and most (a day) */
#define UDS_DGRAM_IDLE_DEFAULT	60
#define UDS_DGRAM_IDLE_MAX	86400
/* Peer-caused log lines: at most this many per interval. */
#define UDS_LOG_BURST		10
#define UDS_LOG_INTERVAL	5

/**
 * uds_log_ratelimit() - may one more line caused by a peer be logged?
 *
 * Return: true for the first %UDS_LOG_BURST lines of each
 * %UDS_LOG_INTERVAL seconds.
 */
bool uds_log_ratelimit(void)
{
	static time_t start;
	static unsigned int count;
	time_t now = time(NULL);

	if (now - start >= UDS_LOG_INTERVAL) {
		start = now;
		count = 0;
	}
	return ++count <= UDS_LOG_BURST;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udsproxyd [OPTIONS] THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT\n"
		"\n"
		"Carries unix socket connections made through a qtfs mount (by programs\n"
		"started with LD_PRELOAD=libudsproxy.so) to the other host, and connects\n"
		"the other host's callers to the sockets here, as the caller.\n"
		"\n"
		"  THREADS              1..%u, accepted for compatibility (one event loop)\n"
		"  LOCAL_CID LOCAL_PORT where to listen for the peer udsproxyd (vsock)\n"
		"  PEER_CID PEER_PORT   where the peer udsproxyd listens; links from\n"
		"                       any other host are refused\n"
		"  In TCP test mode both CIDs are IPv4 addresses.\n"
		"\n"
		"options:\n"
		"  --socket PATH        local socket for libudsproxy.so (%s);\n"
		"                       PATH.seqpacket for its SOCK_SEQPACKET sockets,\n"
		"                       PATH.ctl (root only) for qtinfo uds\n"
		"  --whitelist FILE     [Mount] and [Udsconnect] rules (%s)\n"
		"  --key-file FILE      pre-shared key in hex, as qtfs_auth_key (none)\n"
		"  --max-conns N        connections at once, 1..%u (%u)\n"
		"  --dgram-idle SECONDS close a datagram association idle this long,\n"
		"                       1..%u (%u)\n"
		"  --log-level LEVEL    ERR WARN INFO DEBUG (INFO); SIGUSR1 and SIGUSR2\n"
		"                       raise and lower it at run time, as does\n"
		"                       qtinfo uds log LEVEL\n"
		"  --syslog             log to syslog instead of stderr\n"
		"  -h, --help           this text\n"
		"\n"
		"With socket activation (LISTEN_PID, LISTEN_FDS=1) fd 3 is the listener\n"
		"for the peer's links, bound to LOCAL_CID LOCAL_PORT.\n"
		"SIGHUP reloads the whitelist; SIGTERM and SIGINT stop the daemon.\n"
		"See doc/ipc.md.\n",
		UDS_THREADS_MAX, UDS_SOCK_DEFAULT, UDS_WL_DEFAULT,
		UDS_CONNS_MAX, UDS_CONNS_DEFAULT, UDS_DGRAM_IDLE_MAX,
		UDS_DGRAM_IDLE_DEFAULT);
}

/**
 * struct uds_opts - the command line
 * @sock:      --socket
 * @wl:        --whitelist
 * @wl_given:  --whitelist was given (then it must exist)
 * @key_file:  --key-file, or NULL
 * @max_conns: --max-conns
 * @dgram_idle: --dgram-idle, seconds
 * @level:     --log-level
 * @syslog:    --syslog
 * @local:     LOCAL_CID LOCAL_PORT
 * @peer:      PEER_CID PEER_PORT
 */
struct uds_opts {
	const char *sock;
	const char *wl;
	bool wl_given;
	const char *key_file;
	unsigned long max_conns;
	unsigned long dgram_idle;
	enum qt_log_level level;
	bool syslog;
	struct uds_addr local;
	struct uds_addr peer;
};

static int bad(const char *fmt, const char *what, const char *val)
{
	fprintf(stderr, "udsproxyd: ");
	fprintf(stderr, fmt, what, val);
	fprintf(stderr, " (see udsproxyd --help)\n");
	return -EINVAL;
}

static int parse_num(const char *s, const char *what, unsigned long min,
		     unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || *v < min || *v > max) {
		fprintf(stderr,
			"udsproxyd: invalid %s '%s': expected a number from %lu to %lu (see udsproxyd --help)\n",
			what, s, min, max);
		return -EINVAL;
	}
	return 0;
}

/* A CID or, in TCP test mode, an IPv4 address, and a port. */
static int parse_addr(const char *host, const char *port, const char *what,
		      bool peer, struct uds_addr *a)
{
	struct in_addr in;
	unsigned long v;

	if (strchr(host, '.')) {
		if (inet_pton(AF_INET, host, &in) != 1 ||
		    (peer && in.s_addr == htonl(INADDR_ANY)))
			return bad("invalid %s '%s': expected a CID or an IPv4 address",
				   what, host);
		a->family = AF_INET;
		a->addr = in.s_addr;
		if (parse_num(port, "port", 1, 65535, &v))
			return -EINVAL;
	} else {
		/* CID 0 is the hypervisor's own, -1 VMADDR_CID_ANY */
		if (parse_num(host, what, 1, VMADDR_CID_ANY - 1, &v))
			return -EINVAL;
		a->family = AF_VSOCK;
		a->addr = v;
		if (parse_num(port, "port", 1, VMADDR_PORT_ANY - 1, &v))
			return -EINVAL;
	}
	a->port = v;
	return 0;
}

static int parse_level(const char *s, enum qt_log_level *level)
{
	if (!uds_level_parse(s, level))
		return 0;
	return bad("invalid %s '%s': use ERR, WARN, INFO or DEBUG",
		   "--log-level", s);
}

/* Return: 0 to run, 1 after --help, -EINVAL on a bad command line. */
static int parse_cli(int argc, char **argv, struct uds_opts *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "whitelist", required_argument, NULL, 'w' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "dgram-idle", required_argument, NULL, 'i' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long threads;
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			/* room for the seqpacket socket's suffixes too */
			if (!*optarg || strlen(optarg) +
			    strlen(QTFS_UDS_SEQPACKET_SUFFIX QTFS_UDS_BIND_SUFFIX) >=
			    sizeof(((struct sockaddr_un *)0)->sun_path))
				return bad("invalid %s '%s': empty or too long for a unix socket",
					   "--socket", optarg);
			o->sock = optarg;
			break;
		case 'w':
			o->wl = optarg;
			o->wl_given = true;
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case 'm':
			if (parse_num(optarg, "--max-conns", 1, UDS_CONNS_MAX,
				      &o->max_conns))
				return -EINVAL;
			break;
		case 'i':
			if (parse_num(optarg, "--dgram-idle", 1,
				      UDS_DGRAM_IDLE_MAX, &o->dgram_idle))
				return -EINVAL;
			break;
		case 'l':
			if (parse_level(optarg, &o->level))
				return -EINVAL;
			break;
		case 'S':
			o->syslog = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return bad("%s%s", "unknown option", "");
		}
	}
	if (argc - optind != 5) {
		fprintf(stderr,
			"udsproxyd: expected THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT, got %d arguments (see udsproxyd --help)\n",
			argc - optind);
		return -EINVAL;
	}
	argv += optind;
	if (parse_num(argv[0], "THREADS", 1, UDS_THREADS_MAX, &threads) ||
	    parse_addr(argv[1], argv[2], "LOCAL_CID", false, &o->local) ||
	    parse_addr(argv[3], argv[4], "PEER_CID", true, &o->peer))
		return -EINVAL;
	if (o->local.family != o->peer.family)
		return bad("%s and %s must both be CIDs or both IPv4 addresses",
			   "LOCAL_CID", "PEER_CID");
	return 0;
}

/* Parse the whitelist into @d->wl.  A default file may be missing. */
static int load_whitelist(struct uds_daemon *d, bool must_exist)
{
	struct qtsrv_wl_set set;
	char err[4096 + 256];
	int ret;

	ret = qtsrv_wl_load(d->wl_path, &set, err, sizeof(err));
	if (ret == -ENOENT && !must_exist) {
		qt_warn("no whitelist %s: every connect from the peer is refused",
			d->wl_path);
		pthread_rwlock_wrlock(&d->wl_lock);
		qtsrv_wl_free(&d->wl);
		pthread_rwlock_unlock(&d->wl_lock);
		return 0;
	}
	if (ret) {
		qt_err("%s", err);
		return ret;
	}
	pthread_rwlock_wrlock(&d->wl_lock);
	qtsrv_wl_free(&d->wl);
	d->wl = set;
	pthread_rwlock_unlock(&d->wl_lock);
	qt_info("whitelist %s: %zu [Udsconnect] paths under %zu [Mount] paths",
		d->wl_path, qtsrv_wl_count(&set, QT_WL_UDSCONNECT),
		qtsrv_wl_count(&set, QTSRV_WL_MOUNT));
	return 0;
}

/**
 * uds_listen_unix() - a listening unix socket at @path, in mode @mode
 * @path: where; a stale socket there is replaced, anything else is not
 * @type: SOCK_STREAM or SOCK_SEQPACKET
 * @mode: its permissions
 *
 * The socket is bound and listening under a temporary name
 * (@path%QTFS_UDS_BIND_SUFFIX, with a umask that gives @mode from the start)
 * and then renamed over @path, so that once @path is this socket it
 * accepts: nobody who sees it gets ECONNREFUSED, and a stale socket is
 * replaced in one step.  Its directory (/run/qtfs, which a reboot
 * empties) is made if missing, as the engine does for its pidfile.
 *
 * Return: the socket, or -1 after a log line.
 */
int uds_listen_unix(const char *path, int type, mode_t mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)], *slash;
	struct stat st;
	mode_t old;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	if (!lstat(path, &st) && !S_ISSOCK(st.st_mode)) {
		qt_err("%s exists and is not a socket: not replacing it", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s%s", path,
		 QTFS_UDS_BIND_SUFFIX);
	unlink(sun.sun_path);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(~mode & 0777);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(sun.sun_path, mode) || listen(fd, SOMAXCONN) ||
	    rename(sun.sun_path, path)) {
		umask(old);
		qt_err("cannot listen on %s: %s", path, strerror(errno));
		unlink(sun.sun_path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

/* The listener for the peer's links. */
static int listen_link(const struct uds_addr *a)
{
	struct sockaddr_vm svm = {
		.svm_family = AF_VSOCK, .svm_cid = a->addr,
		.svm_port = a->port,
	};
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_addr.s_addr = a->addr,
		.sin_port = htons(a->port),
	};
	struct sockaddr *sa = (struct sockaddr *)&svm;
	socklen_t len = sizeof(svm);
	int fd, one = 1;

	if (a->family == AF_INET) {
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	}
	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && a->family == AF_INET)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, sa, len) || listen(fd, SOMAXCONN)) {
		qt_err("cannot listen for the peer on %s port %u: %s",
		       a->family == AF_INET ? "TCP" : "vsock", a->port,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * The listener for the peer's links handed over by a service manager
 * (systemd's socket activation: $LISTEN_PID is ours, $LISTEN_FDS is 1,
 * the socket is fd 3), or -ENOENT when none was.  It must be a listening
 * stream socket bound to LOCAL_CID LOCAL_PORT of the command line, so
 * that the command line still says where the daemon listens.
 */
static int inherited_link(const struct uds_addr *a)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = 3, v = 0;
	socklen_t vlen = sizeof(v);
	uint32_t addr, port;
	char *end;

	if (!pid || !fds || strtol(pid, &end, 10) != getpid() || *end)
		return -ENOENT;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (strcmp(fds, "1")) {
		qt_err("LISTEN_FDS=%s: expected 1, the listener for the peer's links",
		       fds);
		return -EINVAL;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen) || !v ||
	    ss.ss_family != a->family) {
		qt_err("LISTEN_FDS: fd 3 is not a listening %s socket",
		       a->family == AF_INET ? "TCP" : "vsock");
		return -EINVAL;
	}
	if (a->family == AF_INET) {
		addr = ((struct sockaddr_in *)&ss)->sin_addr.s_addr;
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else {
		addr = ((struct sockaddr_vm *)&ss)->svm_cid;
		port = ((struct sockaddr_vm *)&ss)->svm_port;
	}
	if (addr != a->addr || port != a->port) {
		qt_err("LISTEN_FDS: fd 3 listens on port %u, not on LOCAL_CID LOCAL_PORT port %u",
		       port, a->port);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		qt_err("LISTEN_FDS: fd 3: %s", strerror(errno));
		return -EINVAL;
	}
	return fd;
}

/**
 * struct uds_listener - a listening socket
 * @d:    daemon
 * @type: local sockets: %QTFS_UDS_STREAM or %QTFS_UDS_SEQPACKET; 0 for
 *        the listener of the peer's links
 */
struct uds_listener {
	struct uds_daemon *d;
	uint32_t type;
};

static bool on_listen(void *ctx, int fd, unsigned int events)
{
	struct uds_listener *l = ctx;
	int s;

	(void)events;
	while ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	       0) {
		if (l->type)
			uds_conn_accept_local(l->d, s, l->type);
		else
			uds_conn_accept_link(l->d, s);
	}
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		uds_peer_log(QT_LOG_WARN, "accept: %s", strerror(errno));
	return true;
}

/*
 * Room for every connection's descriptors (program, link, helper) and
 * the listeners.  Without it a full table would leave a listener
 * readable with accept() failing, and the loop spinning on it.
 */
static int raise_nofile(unsigned long conns)
{
	rlim_t need = 3 * (rlim_t)conns + 32;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need) {
		qt_err("--max-conns %lu needs %llu file descriptors, RLIMIT_NOFILE allows %llu",
		       conns, (unsigned long long)need,
		       (unsigned long long)rl.rlim_max);
		return -EMFILE;
	}
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

static bool on_quit(void *ctx)
{
	qt_info("stopping");
	qt_evloop_quit(((struct uds_daemon *)ctx)->loop);
	return true;
}

static bool on_reload(void *ctx)
{
	if (load_whitelist(ctx, true))
		qt_warn("keeping the rules in force");
	return true;
}

static bool on_level_up(void *ctx)
{
	struct uds_daemon *d = ctx;

	uds_set_level(d, d->level < QT_LOG_DEBUG ? d->level + 1 : d->level);
	return true;
}

static bool on_level_down(void *ctx)
{
	struct uds_daemon *d = ctx;

	uds_set_level(d, d->level > QT_LOG_ERR ? d->level - 1 : d->level);
	return true;
}

int main(int argc, char **argv)
{
	struct uds_opts o = {
		.sock = UDS_SOCK_DEFAULT, .wl = UDS_WL_DEFAULT,
		.max_conns = UDS_CONNS_DEFAULT, .level = QT_LOG_INFO,
		.dgram_idle = UDS_DGRAM_IDLE_DEFAULT,
	};
	struct uds_daemon d = { .wl_lock = PTHREAD_RWLOCK_INITIALIZER };
	struct uds_listener lloc = { &d, QTFS_UDS_STREAM };
	struct uds_listener lseq = { &d, QTFS_UDS_SEQPACKET };
	struct uds_listener llink = { &d, 0 };
	char err[256], seq[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char ctl[sizeof(seq)];
	int lfd, sfd = -1, cfd = -1, pfd, ret;

	ret = parse_cli(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 1;
	qt_log_open("udsproxyd", o.syslog);
	d.level = o.level;
	qt_log_set_level(o.level);
	d.local = o.local;
	d.peer = o.peer;
	d.sock_path = o.sock;
	d.wl_path = o.wl;
	d.max_conns = o.max_conns;
	d.dgram_idle_ms = o.dgram_idle * 1000;
	if (o.key_file &&
	    qt_auth_key_load(o.key_file, &d.key, err, sizeof(err))) {
		qt_err("%s", err);
		return 1;
	}
	if (load_whitelist(&d, o.wl_given) || raise_nofile(o.max_conns))
		return 1;
	if (!d.key.len && d.peer.family == AF_INET)
		qt_warn("TCP links without a key: only the peer address authenticates them");
	/* a write to a closed socket is an error, not a death */
	signal(SIGPIPE, SIG_IGN);
	d.loop = qt_evloop_new();
	/* signals first: once the socket exists, SIGTERM is a clean stop */
	if (!d.loop ||
	    qt_evloop_add_signal(d.loop, SIGTERM, on_quit, &d) < 0 ||
	    qt_evloop_add_signal(d.loop, SIGINT, on_quit, &d) < 0 ||
	    qt_evloop_add_signal(d.loop, SIGHUP, on_reload, &d) < 0 ||
	    qt_evloop_add_signal(d.loop, SIGUSR1, on_level_up, &d) < 0 ||
	    qt_evloop_add_signal(d.loop, SIGUSR2, on_level_down, &d) < 0) {
		qt_err("out of memory");
		return 1;
	}
	/* the stream socket last: once it exists, the daemon is serving */
	snprintf(seq, sizeof(seq), "%s%s", o.sock, QTFS_UDS_SEQPACKET_SUFFIX);
	snprintf(ctl, sizeof(ctl), "%s%s", o.sock, UDS_CTL_SUFFIX);
	pfd = inherited_link(&o.local);
	if (pfd == -ENOENT)
		pfd = listen_link(&o.local);
	if (pfd >= 0)
		sfd = uds_listen_unix(seq, SOCK_SEQPACKET, 0666);
	if (sfd >= 0)
		cfd = uds_ctl_listen(&d, o.sock);
	lfd = cfd >= 0 ? uds_listen_unix(o.sock, SOCK_STREAM, 0666) : -1;
	if (lfd < 0) {
		if (sfd >= 0)
			unlink(seq);
		if (cfd >= 0)
			unlink(ctl);
		return 1;
	}
	if (qt_evloop_add_fd(d.loop, lfd, QT_EV_IN, on_listen, &lloc) < 0 ||
	    qt_evloop_add_fd(d.loop, sfd, QT_EV_IN, on_listen, &lseq) < 0 ||
	    qt_evloop_add_fd(d.loop, pfd, QT_EV_IN, on_listen, &llink) < 0) {
		qt_err("out of memory");
		unlink(o.sock);
		unlink(seq);
		unlink(ctl);
		return 1;
	}
	qt_info("serving %s; links on %s port %u, peer %s port %u%s", o.sock,
		o.local.family == AF_INET ? "TCP" : "vsock", o.local.port,
		argv[argc - 2], o.peer.port, d.key.len ? ", keyed" : "");
	qt_evloop_run(d.loop);
	unlink(o.sock);
	unlink(seq);
	unlink(ctl);
	qt_evloop_free(d.loop);
	close(lfd);
	close(sfd);
	close(cfd);
	close(pfd);
	pthread_rwlock_wrlock(&d.wl_lock);
	qtsrv_wl_free(&d.wl);
	explicit_bzero(&d.key, sizeof(d.key));
	return 0;
}
