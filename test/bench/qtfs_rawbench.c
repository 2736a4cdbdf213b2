// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_rawbench: the bare transport under qtfs, for `make bench` to put
 * beside the filesystem rows: what a socket pair costs before any qtfs
 * protocol is on it.  Not a test: it asserts nothing and times everything.
 *
 *   qtfs_rawbench <label> vsock|tcp [MiB]
 *
 * A forked child listens (vsock: any CID, a port the kernel picks, reached
 * at VMADDR_CID_LOCAL through vsock_loopback; tcp: 127.0.0.1 port 0) and
 * echoes.  The parent times PINGS round trips of a 64-byte request and a
 * 64-byte reply, then streams MiB of 64 KiB writes that the child drains
 * and acknowledges with one byte.  Prints one line: label, stream MiB/s,
 * round trips per second, and the median and 99th percentile round trip
 * in microseconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define PING_SIZE	64
#define PINGS		5000
#define STREAM_CHUNK	(64 << 10)

union rb_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_vm vm;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "qtfs_rawbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Full-length I/O: stream sockets may return short counts. */
static int xfer(int fd, void *buf, size_t len, int out)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = out ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* The child: answer every ping, then drain the stream and acknowledge. */
static void serve(int lfd, long stream_bytes)
{
	char ping[PING_SIZE], *buf;
	long got = 0;
	ssize_t n;
	int fd, i;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	for (i = 0; i < PINGS; i++)
		if (xfer(fd, ping, sizeof(ping), 0) || xfer(fd, ping, sizeof(ping), 1))
			die("echo");
	buf = malloc(STREAM_CHUNK);
	if (!buf)
		die("malloc");
	while (got < stream_bytes) {
		n = read(fd, buf, STREAM_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("stream read");
		got += n;
	}
	if (xfer(fd, buf, 1, 1))
		die("ack");
	close(fd);
	_exit(0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static double rtt[PINGS];
	char ping[PING_SIZE], *buf;
	double t, total, mibs;
	union rb_addr addr;
	socklen_t alen;
	int lfd, fd, i, vsock, one = 1, status;
	long mib, sent;
	pid_t pid;

	if (argc < 3 || argc > 4 ||
	    (strcmp(argv[2], "vsock") && strcmp(argv[2], "tcp"))) {
		fprintf(stderr, "usage: qtfs_rawbench <label> vsock|tcp [MiB]\n");
		return 2;
	}
	mib = argc == 4 ? strtol(argv[3], NULL, 10) : 64;
	if (mib < 1 || mib > 4096) {
		fprintf(stderr, "qtfs_rawbench: MiB must be 1 to 4096\n");
		return 2;
	}
	vsock = !strcmp(argv[2], "vsock");

	memset(&addr, 0, sizeof(addr));
	if (vsock) {
		addr.vm.svm_family = AF_VSOCK;
		addr.vm.svm_cid = VMADDR_CID_ANY;
		addr.vm.svm_port = VMADDR_PORT_ANY;
		alen = sizeof(addr.vm);
	} else {
		addr.in.sin_family = AF_INET;
		addr.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		alen = sizeof(addr.in);
	}
	lfd = socket(addr.sa.sa_family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	if (bind(lfd, &addr.sa, alen) || listen(lfd, 1))
		die("bind/listen");
	/* read back the port the kernel picked */
	if (getsockname(lfd, &addr.sa, &alen))
		die("getsockname");
	if (vsock)
		addr.vm.svm_cid = VMADDR_CID_LOCAL;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		serve(lfd, mib << 20);
	close(lfd);

	fd = socket(addr.sa.sa_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, &addr.sa, alen))
		goto fail;
	/* qtfs sets TCP_NODELAY too: without it Nagle times the pings */
	if (!vsock && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		goto fail;

	memset(ping, 0x5a, sizeof(ping));
	total = now();
	for (i = 0; i < PINGS; i++) {
		t = now();
		if (xfer(fd, ping, sizeof(ping), 1) || xfer(fd, ping, sizeof(ping), 0))
			goto fail;
		rtt[i] = (now() - t) * 1e6;
	}
	total = now() - total;

	buf = malloc(STREAM_CHUNK);
	if (!buf)
		goto fail;
	memset(buf, 0x5a, STREAM_CHUNK);
	t = now();
	for (sent = 0; sent < mib << 20; sent += STREAM_CHUNK)
		if (xfer(fd, buf, STREAM_CHUNK, 1))
			goto fail;
	if (xfer(fd, buf, 1, 0))
		goto fail;
	mibs = mib / (now() - t);
	free(buf);
	close(fd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;

	qsort(rtt, PINGS, sizeof(rtt[0]), cmp_double);
	printf("%-22s %10.1f %10.0f %10.1f %10.1f\n", argv[1], mibs,
	       PINGS / total, rtt[PINGS / 2], rtt[PINGS * 99 / 100]);
	return 0;

fail:
	fprintf(stderr, "qtfs_rawbench: %s: %s\n", argv[2], strerror(errno));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 1;
}
