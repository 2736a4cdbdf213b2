// SPDX-License-Identifier: GPL-2.0
/*
 * engine - the userspace half of the qtfs server.
 *
 *   engine [OPTIONS] [THREADS UDS_THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT]
 *
 * Parses the whitelist, installs it in qtfs_server.ko, starts the server
 * and parks worker threads in QTSRV_IOC_SERVE, where they run client
 * requests inside the module (so every operation happens in this process's
 * mount namespace and root).  SIGTERM/SIGINT stop the server and exit 0;
 * SIGHUP reloads the whitelist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "engine_whitelist.h"
#include "../include/uapi/qtfs_ioctl.h"
#include "../include/uapi/qtfs_proto.h"

#define ENGINE_VERSION		"0.1.0"
#define ENGINE_WHITELIST	"/etc/qtfs/whitelist"
#define ENGINE_PIDFILE		"/run/qtfs/engine.pid"
#define ENGINE_THREADS_DEF	16
#define ENGINE_THREADS_MAX	1024
#define ENGINE_UDS_THREADS_MAX	64
#define ENGINE_ERRLEN		512
#define ENGINE_KICK_NS		(100 * 1000 * 1000)	/* worker kick period */

/**
 * struct engine_opts - the command line
 * @threads:     worker threads in QTSRV_IOC_SERVE
 * @uds_threads: uds-proxy threads (recorded for the uds proxy)
 * @local_cid:   uds-proxy local vsock CID (recorded)
 * @local_port:  uds-proxy local port (recorded)
 * @peer_cid:    uds-proxy peer vsock CID (recorded)
 * @peer_port:   uds-proxy peer port (recorded)
 * @have_uds:    the six positional values were given
 * @whitelist:   whitelist file
 * @device:      control device
 * @pidfile:     file to write our pid to once serving ("" for none)
 */
struct engine_opts {
	unsigned long threads;
	unsigned long uds_threads;
	unsigned long local_cid;
	unsigned long local_port;
	unsigned long peer_cid;
	unsigned long peer_port;
	bool have_uds;
	const char *whitelist;
	const char *device;
	const char *pidfile;
};

static int dev_fd = -1;
static atomic_bool stopping;
static atomic_bool failed;

static void elog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void elog(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "engine: %s\n", line);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: engine [OPTIONS] [THREADS UDS_THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT]\n"
		"\n"
		"Serve qtfs clients through qtfs_server.ko: install the whitelist, start\n"
		"the listeners (addresses are qtfs_server.ko parameters) and run client\n"
		"requests in THREADS worker threads.\n"
		"\n"
		"positional form, as documented for qtfs (e.g. engine 16 1 2 12121 10 12121):\n"
		"  THREADS      worker threads, 1..%d\n"
		"  UDS_THREADS  unix-socket proxy threads, 1..%d\n"
		"  LOCAL_CID    local vsock CID of the unix-socket proxy channel\n"
		"  LOCAL_PORT   its local port, 1..4294967294\n"
		"  PEER_CID     peer vsock CID of the channel\n"
		"  PEER_PORT    its peer port, 1..4294967294\n"
		"  The five unix-socket proxy values are validated and recorded for the\n"
		"  uds proxy, which this engine does not run yet.\n"
		"\n"
		"options:\n"
		"  -t, --threads N       worker threads (overrides THREADS; default %d)\n"
		"  -w, --whitelist PATH  whitelist file (default %s)\n"
		"  -d, --device PATH     control device (default %s)\n"
		"  -p, --pidfile PATH    write the pid here once serving, for qtinfo wl\n"
		"                        (default %s; \"\" for none)\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n"
		"\n"
		"signals: SIGTERM/SIGINT stop the server and exit, SIGHUP reloads the\n"
		"whitelist (a bad file is reported and the old rules stay).\n",
		ENGINE_THREADS_MAX, ENGINE_UDS_THREADS_MAX, ENGINE_THREADS_DEF,
		ENGINE_WHITELIST, QTSRV_DEV_PATH, ENGINE_PIDFILE);
}

/* A decimal number in [min, max]; exits 2 with a reason otherwise. */
static unsigned long parse_num(const char *s, const char *what,
			       unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno == ERANGE || v < min ||
	    v > max) {
		elog("invalid %s '%s': expected a number from %lu to %lu (see engine --help)",
		     what, s, min, max);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv, struct engine_opts *o)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "whitelist", required_argument, NULL, 'w' },
		{ "device", required_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *threads = NULL;
	int c, npos;

	o->threads = ENGINE_THREADS_DEF;
	o->whitelist = ENGINE_WHITELIST;
	o->device = QTSRV_DEV_PATH;
	o->pidfile = ENGINE_PIDFILE;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+t:w:d:p:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			threads = optarg;
			break;
		case 'w':
			o->whitelist = optarg;
			break;
		case 'd':
			o->device = optarg;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("engine (qtfs) %s, protocol %d.%d\n",
			       ENGINE_VERSION, QTFS_PROTO_MAJOR,
			       QTFS_PROTO_MINOR);
			exit(0);
		default:
			if (optopt)
				elog("option -%c %s (see engine --help)", optopt,
				     strchr("twdp", optopt) ?
				     "needs a value" : "is unknown");
			else
				elog("unknown or incomplete option '%s' (see engine --help)",
				     argv[optind - 1]);
			exit(2);
		}
	}
	npos = argc - optind;
	if (npos != 0 && npos != 6) {
		elog("expected 0 or 6 positional values (THREADS UDS_THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT), got %d (see engine --help)",
		     npos);
		exit(2);
	}
	if (npos == 6) {
		o->threads = parse_num(argv[optind], "worker thread count", 1,
				       ENGINE_THREADS_MAX);
		o->uds_threads = parse_num(argv[optind + 1],
					   "uds-proxy thread count", 1,
					   ENGINE_UDS_THREADS_MAX);
		o->local_cid = parse_num(argv[optind + 2], "local CID", 0,
					 UINT32_MAX);
		o->local_port = parse_num(argv[optind + 3], "local port", 1,
					  UINT32_MAX - 1);
		o->peer_cid = parse_num(argv[optind + 4], "peer CID", 0,
					UINT32_MAX);
		o->peer_port = parse_num(argv[optind + 5], "peer port", 1,
					 UINT32_MAX - 1);
		o->have_uds = true;
	}
	if (threads)
		o->threads = parse_num(threads, "--threads value", 1,
				       ENGINE_THREADS_MAX);
}

/* Parse @path and install it in the module.  Return: 0 or -errno. */
static int install_whitelist(const char *path)
{
	struct qtsrv_ioc_whitelist arg = {};
	struct qtsrv_wl_set set;
	char err[ENGINE_ERRLEN];
	struct qtsrv_wl_rule *rules;
	int ret;

	ret = qtsrv_wl_load(path, &set, err, sizeof(err));
	if (ret) {
		elog("%s", err);
		return ret;
	}
	rules = qtsrv_wl_to_ioctl(&set);
	if (!rules) {
		ret = -errno;
		elog("whitelist %s: %s", path, strerror(errno));
		goto out_free;
	}
	arg.nr_rules = set.nr;
	arg.rules = (uintptr_t)rules;
	if (ioctl(dev_fd, QTSRV_IOC_WL_SET, &arg)) {
		ret = -errno;
		elog("cannot install whitelist %s: %s (see dmesg)", path,
		     strerror(errno));
	} else {
		elog("whitelist %s: %zu rules, %zu mount paths", path, set.nr,
		     qtsrv_wl_count(&set, QTSRV_WL_MOUNT));
	}
	free(rules);
out_free:
	qtsrv_wl_free(&set);
	return ret;
}

/*
 * Write our pid to @path atomically (temporary file + rename), creating
 * its directory if needed.  Only qtinfo's reloads depend on it, so a
 * failure is reported and serving goes on.
 */
static void pidfile_write(const char *path)
{
	char *tmp = NULL, *dir;
	FILE *f;

	if (!*path)
		return;
	dir = strdup(path);
	if (dir && strrchr(dir, '/') && strrchr(dir, '/') != dir) {
		*strrchr(dir, '/') = '\0';
		mkdir(dir, 0755);
	}
	free(dir);
	if (asprintf(&tmp, "%s.%d", path, (int)getpid()) < 0) {
		elog("cannot write pidfile %s: out of memory", path);
		return;
	}
	f = fopen(tmp, "we");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) ||
	    rename(tmp, path)) {
		elog("cannot write pidfile %s: %s (qtinfo wl cannot reload this engine; see --pidfile)",
		     path, strerror(errno));
		if (f)
			unlink(tmp);
	}
	free(tmp);
}

/* Remove @path if it still names us (a newer engine may have replaced it). */
static void pidfile_remove(const char *path)
{
	char buf[32] = "";
	FILE *f;

	if (!*path)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && atoi(buf) == (int)getpid())
		unlink(path);
	fclose(f);
}

static void kick_handler(int sig)
{
	(void)sig;
}

static void *worker_main(void *arg)
{
	long id = (long)arg;
	sigset_t set;
	int ret;

	/*
	 * SIGUSR1 interrupts an operation blocked inside the module: ours on
	 * stop, the module's when a client abandons a lock wait.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (;;) {
		ret = ioctl(dev_fd, QTSRV_IOC_SERVE);
		if (ret == 0)
			break;
		if (ret == QTSRV_SERVE_AGAIN)
			continue;
		if (ret < 0 && errno == EINTR) {
			if (atomic_load(&stopping))
				break;
			continue;
		}
		elog("worker %ld: serving failed: %s", id,
		     ret < 0 ? strerror(errno) : "unexpected return value");
		atomic_store(&failed, true);
		kill(getpid(), SIGTERM);
		break;
	}
	return NULL;
}

static int start_server(void)
{
	struct qtsrv_ioc_start arg = {};

	if (!ioctl(dev_fd, QTSRV_IOC_START, &arg))
		return 0;
	switch (errno) {
	case EBUSY:
		elog("cannot start: another engine is running");
		break;
	case EADDRINUSE:
		elog("cannot start: port in use (check the qtfs_server_vsock_port or qtfs_server_port parameter of qtfs_server.ko)");
		break;
	case EADDRNOTAVAIL:
		elog("cannot start: address not available (check qtfs_server_vsock_cid / qtfs_server_ip; for CID 1 load vsock_loopback)");
		break;
	default:
		elog("cannot start: %s (see dmesg)", strerror(errno));
	}
	return -1;
}

/* Ask every worker to leave until all have, interrupting blocked ones. */
static void join_workers(pthread_t *tids, unsigned long n)
{
	struct timespec ts;
	unsigned long i;

	for (i = 0; i < n; i++) {
		for (;;) {
			pthread_kill(tids[i], SIGUSR1);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += ENGINE_KICK_NS;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_timedjoin_np(tids[i], NULL, &ts) != ETIMEDOUT)
				break;
		}
	}
}

int main(int argc, char **argv)
{
	struct engine_opts o = {};
	struct qtsrv_wl_set set;
	char err[ENGINE_ERRLEN];
	struct sigaction sa = {};
	sigset_t sigs;
	pthread_t *tids;
	unsigned long n;
	int sig;

	parse_args(argc, argv, &o);

	/* fail on the whitelist before anything needs the module */
	if (qtsrv_wl_load(o.whitelist, &set, err, sizeof(err))) {
		elog("%s", err);
		return 1;
	}
	qtsrv_wl_free(&set);

	/* the module applies each client caller's umask (or default ACL) */
	umask(0);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sigdelset(&sigs, SIGUSR1);
	sa.sa_handler = kick_handler;	/* no SA_RESTART: interrupt the op */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	dev_fd = open(o.device, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0) {
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
			elog("cannot open %s: qtfs_server module not loaded (insmod qtfs_server.ko)",
			     o.device);
		else
			elog("cannot open %s: %s%s", o.device, strerror(errno),
			     errno == EACCES || errno == EPERM ?
			     " (run as root)" : "");
		return 1;
	}
	if (install_whitelist(o.whitelist) || start_server()) {
		close(dev_fd);
		return 1;
	}

	tids = calloc(o.threads, sizeof(*tids));
	if (!tids) {
		elog("out of memory");
		close(dev_fd);
		return 1;
	}
	for (n = 0; n < o.threads; n++) {
		errno = pthread_create(&tids[n], NULL, worker_main, (void *)n);
		if (errno) {
			elog("cannot start worker thread %lu: %s", n,
			     strerror(errno));
			atomic_store(&failed, true);
			break;
		}
	}
	if (n == o.threads) {
		pidfile_write(o.pidfile);
		elog("serving with %lu worker threads (protocol %d.%d)", n,
		     QTFS_PROTO_MAJOR, QTFS_PROTO_MINOR);
		if (o.have_uds)
			elog("uds-proxy settings recorded, proxy not started: %lu threads, local %lu:%lu, peer %lu:%lu",
			     o.uds_threads, o.local_cid, o.local_port,
			     o.peer_cid, o.peer_port);
	}

	while (!atomic_load(&failed)) {
		if (sigwait(&sigs, &sig))
			continue;
		if (sig != SIGHUP)
			break;
		elog("SIGHUP: reloading whitelist %s", o.whitelist);
		if (install_whitelist(o.whitelist))
			elog("keeping the previous whitelist");
	}

	elog("stopping");
	atomic_store(&stopping, true);
	if (ioctl(dev_fd, QTSRV_IOC_STOP))
		elog("stop failed: %s", strerror(errno));
	join_workers(tids, n);
	free(tids);
	pidfile_remove(o.pidfile);
	close(dev_fd);
	return atomic_load(&failed) ? 1 : 0;
}
