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
#include <pthread.h>
#include <signal.h>
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
#include "engine_cli.h"
#include "qt_log.h"
#include "qt_whitelist.h"
#include "uapi/qtfs_ioctl.h"
#include "uapi/qtfs_proto.h"

#define ENGINE_VERSION		"0.1.0"
#define ENGINE_ERRLEN		512
#define ENGINE_KICK_NS		(100 * 1000 * 1000)	/* worker kick period */

static int dev_fd = -1;
static atomic_bool stopping;
static atomic_bool failed;

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
		"  PEER_CID     the client: the only peer served (with --peer: one of\n"
		"               them), a vsock CID, or an IPv4 address in TCP test mode\n"
		"  PEER_PORT    peer port of the channel, 1..4294967294\n"
		"  The unix-socket proxy values are validated and recorded for the uds\n"
		"  proxy, which this engine does not run yet.\n"
		"\n"
		"options:\n"
		"  -t, --threads N       worker threads (overrides THREADS; default %d)\n"
		"  -w, --whitelist PATH  whitelist file (default %s)\n"
		"  -d, --device PATH     control device (default %s)\n"
		"  -p, --pidfile PATH    write the pid here once serving, for qtinfo wl\n"
		"                        (default %s; \"\" for none)\n"
		"      --peer CID|IPV4   serve this client too (repeatable, at most %d\n"
		"                        peers with PEER_CID); others are refused\n"
		"      --insecure        with no peer named and no qtfs_auth_key on the\n"
		"                        module, serve anyone, unauthenticated (without\n"
		"                        it such a server refuses to start)\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n"
		"\n"
		"signals: SIGTERM/SIGINT stop the server and exit, SIGHUP reloads the\n"
		"whitelist (a bad file is reported and the old rules stay).\n",
		ENGINE_THREADS_MAX, ENGINE_UDS_THREADS_MAX, ENGINE_THREADS_DEF,
		ENGINE_WHITELIST, QTSRV_DEV_PATH, ENGINE_PIDFILE,
		QTSRV_PEERS_MAX);
}

/* Parse @path and install it in the module.  Return: 0 or -errno. */
static int install_whitelist(const char *path)
{
	struct qtsrv_ioc_whitelist arg = {};
	struct qtsrv_wl_set set;
	char err[ENGINE_ERRLEN];
	struct qtsrv_wl_rule *rules;
	size_t nr;
	int ret;

	ret = qtsrv_wl_load(path, &set, err, sizeof(err));
	if (ret) {
		qt_err("%s", err);
		return ret;
	}
	rules = qtsrv_wl_to_ioctl(&set, &nr);
	if (!rules) {
		ret = -errno;
		qt_err("whitelist %s: %s", path, strerror(errno));
		goto out_free;
	}
	arg.nr_rules = nr;
	arg.rule_size = sizeof(*rules);
	arg.rules = (uintptr_t)rules;
	if (ioctl(dev_fd, QTSRV_IOC_WL_SET, &arg)) {
		ret = -errno;
		qt_err("cannot install whitelist %s: %s (see dmesg)", path,
		     strerror(errno));
	} else {
		qt_info("whitelist %s: %zu rules, %zu mount paths", path, nr,
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
		qt_warn("cannot write pidfile %s: out of memory", path);
		return;
	}
	f = fopen(tmp, "we");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) ||
	    rename(tmp, path)) {
		qt_warn("cannot write pidfile %s: %s (qtinfo wl cannot reload this engine; see --pidfile)",
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
		qt_err("worker %ld: serving failed: %s", id,
		     ret < 0 ? strerror(errno) : "unexpected return value");
		atomic_store(&failed, true);
		kill(getpid(), SIGTERM);
		break;
	}
	return NULL;
}

static int start_server(const struct engine_opts *o)
{
	struct qtsrv_ioc_start arg = {};

	arg.flags = o->insecure ? QTSRV_START_INSECURE : 0;
	arg.nr_peers = o->nr_peers;
	memcpy(arg.peers, o->peers, sizeof(o->peers));
	if (!ioctl(dev_fd, QTSRV_IOC_START, &arg)) {
		if (o->insecure && !o->nr_peers)
			qt_warn("WARNING: --insecure: unless qtfs_server.ko has qtfs_auth_key or qtfs_server_allowed_cids, every peer that reaches the listeners is served, unauthenticated (see dmesg)");
		return 0;
	}
	switch (errno) {
	case ENOKEY:
		qt_err("cannot start: no peer named and no qtfs_auth_key, so anyone could connect; name the client (PEER_CID of the positional form or --peer CID|IPV4, or qtfs_server_allowed_cids=), load qtfs_server.ko with qtfs_auth_key=, or pass --insecure to serve anyone");
		break;
	case EAFNOSUPPORT:
		qt_err("cannot start: an IPv4 peer needs a qtfs_server.ko built with QTFS_TEST_MODE=1 (TCP)");
		break;
	case EBUSY:
		qt_err("cannot start: another engine is running");
		break;
	case EADDRINUSE:
		qt_err("cannot start: port in use (check the qtfs_server_vsock_port or qtfs_server_port parameter of qtfs_server.ko)");
		break;
	case EADDRNOTAVAIL:
		qt_err("cannot start: address not available (check qtfs_server_vsock_cid / qtfs_server_ip; for CID 1 load vsock_loopback)");
		break;
	default:
		qt_err("cannot start: %s (see dmesg)", strerror(errno));
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

	qt_log_open("engine", false);
	switch (engine_parse_args(argc, argv, &o, err, sizeof(err))) {
	case ENGINE_CLI_OK:
		break;
	case ENGINE_CLI_HELP:
		usage(stdout);
		return 0;
	case ENGINE_CLI_VERSION:
		printf("engine (qtfs) %s, protocol %d.%d\n", ENGINE_VERSION,
		       QTFS_PROTO_MAJOR, QTFS_PROTO_MINOR);
		return 0;
	case ENGINE_CLI_BAD:
		qt_err("%s", err);
		return 2;
	}

	/* fail on the whitelist before anything needs the module */
	if (qtsrv_wl_load(o.whitelist, &set, err, sizeof(err))) {
		qt_err("%s", err);
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
	/* a client's write to a FIFO nobody reads must not kill the server */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	dev_fd = open(o.device, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0) {
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
			qt_err("cannot open %s: qtfs_server module not loaded (insmod qtfs_server.ko)",
			     o.device);
		else
			qt_err("cannot open %s: %s%s", o.device, strerror(errno),
			     errno == EACCES || errno == EPERM ?
			     " (run as root)" : "");
		return 1;
	}
	if (install_whitelist(o.whitelist) || start_server(&o)) {
		close(dev_fd);
		return 1;
	}

	tids = calloc(o.threads, sizeof(*tids));
	if (!tids) {
		qt_err("out of memory");
		close(dev_fd);
		return 1;
	}
	for (n = 0; n < o.threads; n++) {
		errno = pthread_create(&tids[n], NULL, worker_main, (void *)n);
		if (errno) {
			qt_err("cannot start worker thread %lu: %s", n,
			     strerror(errno));
			atomic_store(&failed, true);
			break;
		}
	}
	if (n == o.threads) {
		pidfile_write(o.pidfile);
		qt_info("serving with %lu worker threads (protocol %d.%d)", n,
		     QTFS_PROTO_MAJOR, QTFS_PROTO_MINOR);
		if (o.have_uds)
			qt_info("uds-proxy settings recorded, proxy not started: %lu threads, local %lu:%lu, peer %s:%lu",
			     o.uds_threads, o.local_cid, o.local_port, o.peer,
			     o.peer_port);
	}

	while (!atomic_load(&failed)) {
		if (sigwait(&sigs, &sig))
			continue;
		if (sig != SIGHUP)
			break;
		qt_info("SIGHUP: reloading whitelist %s", o.whitelist);
		if (install_whitelist(o.whitelist))
			qt_warn("keeping the previous whitelist");
	}

	qt_info("stopping");
	atomic_store(&stopping, true);
	if (ioctl(dev_fd, QTSRV_IOC_STOP))
		qt_err("stop failed: %s", strerror(errno));
	join_workers(tids, n);
	free(tids);
	pidfile_remove(o.pidfile);
	close(dev_fd);
	return atomic_load(&failed) ? 1 : 0;
}
