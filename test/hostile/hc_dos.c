// SPDX-License-Identifier: GPL-2.0
/*
 * Class dos: a peer that tries to hold every worker of the server while
 * the well-behaved mount (--mnt) keeps working.
 *
 * The peer asks for many 1 MiB READs and never reads the replies (over and
 * over, on new connections), parks requests on FIFOs (opens that wait for
 * the other end, reads of an empty FIFO, writes to a full one, a write to
 * a FIFO nobody reads), and holds connections that never say HELLO.
 * Meanwhile the mount must stat, write and read without a pause: every
 * operation completes, and the slowest within a generous bound (how fast
 * is measured elsewhere).  The server must also drop the slow reader once
 * it has taken no reply for qtfs_server_send_timeout (lowered for the
 * class), and once the peer is gone every engine worker must be idle.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "hostile.h"

#define DOS_READS		64	/* 1 MiB READs per slow connection */
#define DOS_FIFO_OPENS		8	/* pipelined opens of each FIFO kind */
#define DOS_PREHELLO		6	/* connections that never send HELLO */
#define DOS_RUN_S		15	/* how long the mount is measured */
#define DOS_OP_MAX_NS		(10 * 1000000000LL)
#define DOS_REPLY_S		10	/* bound on an answer the peer awaits */
#define DOS_SEND_TIMEOUT	"5"	/* qtfs_server_send_timeout meanwhile */
#define DOS_IDLE_S		20	/* bound on the workers becoming idle */
#define DOS_MAX_OPS		200000
#define DOS_PARAM "/sys/module/qtfs_server/parameters/qtfs_server_send_timeout"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Send a request built by the codec without waiting; its id, 0 if not. */
static u64 send_req(struct sess *s, u16 opcode, const char *fmt, ...)
{
	static __thread unsigned char msg[QTFS_MSG_MAX];
	static const struct qtfs_cred root;
	struct qtfs_buf b;
	u64 id = s->next_id++;
	va_list ap;

	qtfs_buf_init(&b, msg, sizeof(msg));
	qtfs_proto_begin(&b, opcode, 0, id, 0);
	qtfs_proto_pack(&b, "C", &root);
	va_start(ap, fmt);
	qtfs_proto_vpack(&b, fmt, ap);
	va_end(ap);
	if (qtfs_proto_end(&b) || hw_send(s->fd, msg, b.pos))
		return 0;
	return id;
}

/**
 * struct pend - a request whose answer the peer waits for
 * @id:   request id, 0 if it could not be sent
 * @err:  the reply's error, or R_BAD while there is none
 * @q:    the reply's first 8 payload bytes (a handle)
 * @d:    its first 4 payload bytes (a count)
 */
struct pend {
	u64 id;
	int err;
	u64 q;
	u32 d;
};

/*
 * Collect the replies to @p[0..@n) in any order, for at most DOS_REPLY_S:
 * a request the server sits on stays R_BAD.  Replies to requests given up
 * earlier are skipped.
 */
static void collect(struct sess *s, struct pend *p, int n)
{
	long long end = now_ns() + DOS_REPLY_S * 1000000000LL;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct qtfs_msg_hdr h;
	struct qtfs_buf b;
	int i, left = 0;

	for (i = 0; i < n; i++) {
		p[i].err = R_BAD;
		left += !!p[i].id;
	}
	while (left && now_ns() < end) {
		if (poll(&pfd, 1, (end - now_ns()) / 1000000 + 1) <= 0)
			continue;
		if (hw_recv(s->fd, &h, rbuf, sizeof(rbuf)))
			return;
		for (i = 0; i < n; i++) {
			if (!p[i].id || p[i].id != h.id || p[i].err != R_BAD)
				continue;
			p[i].err = h.error;
			qtfs_buf_init(&b, rbuf, h.len - QTFS_HDR_SIZE);
			qtfs_proto_unpack(&b, "q", &p[i].q);
			qtfs_buf_init(&b, rbuf, h.len - QTFS_HDR_SIZE);
			qtfs_proto_unpack(&b, "d", &p[i].d);
			left--;
		}
	}
}

/* One request and its answer, bounded by DOS_REPLY_S. */
static struct pend one(struct sess *s, u16 opcode, const char *fmt, ...)
{
	static __thread unsigned char msg[QTFS_MSG_MAX];
	static const struct qtfs_cred root;
	struct pend p = { 0 };
	struct qtfs_buf b;
	u64 id = s->next_id++;
	va_list ap;

	qtfs_buf_init(&b, msg, sizeof(msg));
	qtfs_proto_begin(&b, opcode, 0, id, 0);
	qtfs_proto_pack(&b, "C", &root);
	va_start(ap, fmt);
	qtfs_proto_vpack(&b, fmt, ap);
	va_end(ap);
	if (!qtfs_proto_end(&b) && !hw_send(s->fd, msg, b.pos))
		p.id = id;
	collect(s, &p, 1);
	return p;
}

/* ----- the slow reader ----- */

/**
 * struct slow - the thread that asks for data and never takes it
 * @stop:    set by the class to end the attack
 * @fd:      the current connection, for the class to shut it down
 * @conns:   connections it attacked through
 * @dropped: of those, the ones the server closed
 * @big:     payload of the file it reads
 */
struct slow {
	int stop;
	int fd;
	int conns;
	int dropped;
	char *big;
};

/*
 * Wait until the server closes @fd, without reading what it sent (which
 * hw_wait_closed() would).  Return: 0 once closed, -ETIMEDOUT.
 */
static int wait_hangup(int fd, int secs)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	long long end = now_ns() + secs * 1000000000LL;

	while (now_ns() < end) {
		/* POLLIN is always there: look, then sleep */
		if (poll(&p, 1, 0) > 0 &&
		    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return 0;
		usleep(100000);
	}
	return -ETIMEDOUT;
}

/* One connection: a 1 MiB file, DOS_READS reads of it, no reading. */
static void slow_round(struct slow *sl)
{
	struct pend p;
	struct sess s;
	int i, closed;

	if (sess_mount(&s))
		return;
	__atomic_store_n(&sl->fd, s.fd, __ATOMIC_RELEASE);
	p = one(&s, QTFS_OP_CREATE, "pnddd", "", "hdos_big", QTFS_O_RDWR,
		0644, 022);
	if (!p.err)
		p = one(&s, QTFS_OP_WRITE, "qqB", p.q, 0ULL, sl->big,
			(u32)QTFS_IO_MAX);
	if (p.err) {
		expect("slow reader: CREATE + WRITE of a 1 MiB file", p.err, 0);
		goto out;
	}
	p = one(&s, QTFS_OP_OPEN, "pd", "hdos_big", QTFS_O_RDONLY);
	if (p.err) {
		expect("slow reader: OPEN", p.err, 0);
		goto out;
	}
	/* blocks once the server stops reading; ends when it closes */
	for (i = 0; i < DOS_READS; i++)
		if (!send_req(&s, QTFS_OP_READ, "qqd", p.q, 0ULL,
			      (u32)QTFS_IO_MAX))
			break;
	closed = !wait_hangup(s.fd, 30);
	/* a connection the class shut down itself does not count */
	if (!__atomic_load_n(&sl->stop, __ATOMIC_ACQUIRE)) {
		sl->conns++;
		sl->dropped += closed;
	}
out:
	__atomic_store_n(&sl->fd, -1, __ATOMIC_RELEASE);
	sess_close(&s);
}

static void *slow_reader(void *arg)
{
	struct slow *sl = arg;

	while (!__atomic_load_n(&sl->stop, __ATOMIC_ACQUIRE))
		slow_round(sl);
	return NULL;
}

/* ----- FIFOs ----- */

static void fifo_make(struct sess *s, const char *name)
{
	char what[64];

	call(s, QTFS_OP_UNLINK, "pn", "", name);
	snprintf(what, sizeof(what), "MKNOD FIFO %s", name);
	expect(what, call(s, QTFS_OP_MKNOD, "pndddd", "", name,
			  S_IFIFO | 0600, 0, 0, 0), 0);
}

/*
 * Everything on a FIFO that would wait for another process, sent so that
 * each would hold a worker if the server waited: the answers must come
 * at once, non-blocking.
 */
static void fifo_attacks(struct sess *s)
{
	struct pend p[2 * DOS_FIFO_OPENS + 1], q, w, rd;
	int i, ok;

	fifo_make(s, "hdos_fifo_r");
	fifo_make(s, "hdos_fifo_w");
	fifo_make(s, "hdos_fifo_rw");
	fifo_make(s, "hdos_fifo_x");

	/* opens that wait for the other end */
	for (i = 0; i < DOS_FIFO_OPENS; i++) {
		p[i].id = send_req(s, QTFS_OP_OPEN, "pd", "hdos_fifo_r",
				   QTFS_O_RDONLY);
		p[DOS_FIFO_OPENS + i].id =
			send_req(s, QTFS_OP_OPEN, "pd", "hdos_fifo_w",
				 QTFS_O_WRONLY);
	}
	p[2 * DOS_FIFO_OPENS].id =
		send_req(s, QTFS_OP_CREATE, "pnddd", "", "hdos_fifo_w",
			 QTFS_O_WRONLY, 0600, 0);
	collect(s, p, 2 * DOS_FIFO_OPENS + 1);
	for (ok = 0, i = 0; i < DOS_FIFO_OPENS; i++)
		ok += !p[i].err;
	tk_check("FIFO opened for reading with no writer: each answered at once",
	      ok == DOS_FIFO_OPENS);
	for (ok = 0, i = 0; i < DOS_FIFO_OPENS; i++)
		ok += p[DOS_FIFO_OPENS + i].err == -ENXIO;
	tk_check("FIFO opened for writing with no reader: each ENXIO at once",
	      ok == DOS_FIFO_OPENS);
	expect("CREATE of an existing FIFO for writing, no reader",
	       p[2 * DOS_FIFO_OPENS].err, -ENXIO);
	for (i = 0; i < DOS_FIFO_OPENS; i++)
		if (!p[i].err)
			call(s, QTFS_OP_RELEASE, "q", p[i].q);

	/* reading an empty FIFO, writing a full one */
	q = one(s, QTFS_OP_OPEN, "pd", "hdos_fifo_rw", QTFS_O_RDWR);
	expect("FIFO opened for reading and writing", q.err, 0);
	if (!q.err) {
		expect("READ of an empty FIFO",
		       one(s, QTFS_OP_READ, "qqd", q.q, 0ULL, 4096U).err,
		       -EAGAIN);
		w = one(s, QTFS_OP_WRITE, "qqB", q.q, 0ULL, rbuf,
			(u32)QTFS_IO_MAX);
		printf("  1 MiB WRITE to the FIFO took %u bytes\n", w.d);
		tk_check("WRITE of 1 MiB to a FIFO: a partial write",
		      !w.err && w.d > 0 && w.d < QTFS_IO_MAX);
		expect("WRITE to a full FIFO",
		       one(s, QTFS_OP_WRITE, "qqB", q.q, 0ULL, rbuf, 4096U).err,
		       -EAGAIN);
		expect("READ of the full FIFO",
		       one(s, QTFS_OP_READ, "qqd", q.q, 0ULL, 4096U).err, 0);
		call(s, QTFS_OP_RELEASE, "q", q.q);
	}

	/* a write to a FIFO whose reader went away: EPIPE (and SIGPIPE) */
	rd.id = send_req(s, QTFS_OP_OPEN, "pd", "hdos_fifo_x", QTFS_O_RDONLY);
	collect(s, &rd, 1);
	w = one(s, QTFS_OP_OPEN, "pd", "hdos_fifo_x", QTFS_O_WRONLY);
	expect("FIFO opened for writing while a reader has it", w.err, 0);
	if (!rd.err)
		call(s, QTFS_OP_RELEASE, "q", rd.q);
	if (!w.err) {
		expect("WRITE to a FIFO nobody reads",
		       one(s, QTFS_OP_WRITE, "qqB", w.q, 0ULL, rbuf, 16U).err,
		       -EPIPE);
		call(s, QTFS_OP_RELEASE, "q", w.q);
	}
	expect("the server lives on after the SIGPIPE",
	       one(s, QTFS_OP_GETATTR, "pq", "", 0ULL).err, 0);

	call(s, QTFS_OP_UNLINK, "pn", "", "hdos_fifo_r");
	call(s, QTFS_OP_UNLINK, "pn", "", "hdos_fifo_w");
	call(s, QTFS_OP_UNLINK, "pn", "", "hdos_fifo_rw");
	call(s, QTFS_OP_UNLINK, "pn", "", "hdos_fifo_x");
}

/* ----- the well-behaved mount ----- */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* One stat, write + fsync, or read on the mount; its latency or -1. */
static long long good_op(int kind, const char *path)
{
	char buf[4096];
	long long t = now_ns();
	struct stat st;
	int fd, ok = 0;

	memset(buf, 'g', sizeof(buf));
	switch (kind) {
	case 0:
		ok = !stat(mnt, &st);
		break;
	case 1:
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			ok = write(fd, buf, sizeof(buf)) == sizeof(buf) &&
			     !fsync(fd);
			ok &= !close(fd);
		}
		break;
	default:
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			ok = read(fd, buf, sizeof(buf)) == sizeof(buf) &&
			     buf[0] == 'g';
			close(fd);
		}
	}
	return ok ? now_ns() - t : -1;
}

/* Stat, write and read on the mount for DOS_RUN_S; report latencies. */
static void good_mount(void)
{
	long long *lat, end, ns;
	char path[4096];
	int n = 0, failed = 0;

	lat = calloc(DOS_MAX_OPS, sizeof(*lat));
	if (!lat) {
		tk_check("latency table", 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/.hdos-good", mnt);
	end = now_ns() + DOS_RUN_S * 1000000000LL;
	while (now_ns() < end && n < DOS_MAX_OPS) {
		ns = good_op(n % 3, path);
		if (ns < 0) {
			printf("  mount op %d (%s) failed: %s\n", n,
			       n % 3 == 0 ? "stat" : n % 3 == 1 ? "write" :
			       "read", strerror(errno));
			failed++;
			break;
		}
		lat[n++] = ns;
		if (ns > DOS_OP_MAX_NS)
			break;
	}
	unlink(path);
	qsort(lat, n, sizeof(*lat), cmp_ll);
	if (n)
		printf("  mount: %d ops, latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		       n, lat[n / 2] / 1e6, lat[n * 99 / 100] / 1e6,
		       lat[n - 1] / 1e6);
	tk_check("every mount op under attack completed", n > 0 && !failed);
	tk_check("slowest mount op under attack below 10 s",
	      n > 0 && lat[n - 1] < DOS_OP_MAX_NS);
	free(lat);
}

/* ----- after the attack ----- */

/* Worker threads of every engine, and how many sit idle in SERVE. */
static void engine_workers(int *all, int *idle, int verbose)
{
	char path[600], buf[128];
	struct dirent *p, *t;
	DIR *procd, *taskd;
	FILE *f;

	*all = *idle = 0;
	procd = opendir("/proc");
	if (!procd)
		return;
	while ((p = readdir(procd))) {
		snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f) || strcmp(buf, "engine\n")) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%s/task", p->d_name);
		taskd = opendir(path);
		while (taskd && (t = readdir(taskd))) {
			/* the main thread waits for signals, not requests */
			if (t->d_name[0] == '.' || !strcmp(t->d_name, p->d_name))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/wchan",
				 p->d_name, t->d_name);
			f = fopen(path, "re");
			if (!f)
				continue;
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = 0;
			fclose(f);
			(*all)++;
			if (!strcmp(buf, "qtsrv_ioc_serve") ||
			    !strcmp(buf, "qtsrv_dev_ioctl"))
				(*idle)++;
			else if (verbose)
				printf("  engine worker %s waits in %s\n",
				       t->d_name, buf);
		}
		if (taskd)
			closedir(taskd);
	}
	closedir(procd);
}

/* Once the peer is gone, every worker must be back waiting for work. */
static void workers_freed(void)
{
	long long end = now_ns() + DOS_IDLE_S * 1000000000LL;
	int all, idle;

	do {
		engine_workers(&all, &idle, 0);
		if (all && idle == all)
			break;
		usleep(200000);
	} while (now_ns() < end);
	if (idle != all)
		engine_workers(&all, &idle, 1);
	printf("  %d of %d engine workers idle\n", idle, all);
	tk_check("every engine worker idle after the peer left",
	      all > 0 && idle == all);
}

static int param_swap(const char *val, char *old, size_t oldlen)
{
	FILE *f = fopen(DOS_PARAM, "r+e");
	int ok;

	if (!f)
		return -1;
	ok = old ? !!fgets(old, oldlen, f) : 1;
	rewind(f);
	ok &= fputs(val, f) >= 0;
	ok &= !fclose(f);
	return ok ? 0 : -1;
}

static void class_dos(void)
{
	struct sess fifo, pre[DOS_PREHELLO], next;
	struct slow sl = { .fd = -1 };
	char old[32] = "";
	pthread_t t;
	int i, fd;

	if (!mnt) {
		tk_check("dos needs --mnt", 0);
		return;
	}
	sl.big = calloc(1, QTFS_IO_MAX);
	tk_check("lower qtfs_server_send_timeout to " DOS_SEND_TIMEOUT " s",
	      sl.big && !param_swap(DOS_SEND_TIMEOUT, old, sizeof(old)));
	if (!sl.big)
		return;
	if (pthread_create(&t, NULL, slow_reader, &sl)) {
		tk_check("slow reader thread", 0);
		goto out_param;
	}
	for (i = 0; i < DOS_PREHELLO; i++)
		if (sess_open(&pre[i]))
			pre[i].fd = -1;
	if (!sess_mount(&fifo)) {
		fifo_attacks(&fifo);
		sess_close(&fifo);
	}

	good_mount();

	__atomic_store_n(&sl.stop, 1, __ATOMIC_RELEASE);
	fd = __atomic_load_n(&sl.fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	pthread_join(t, NULL);
	for (i = 0; i < DOS_PREHELLO; i++)
		sess_close(&pre[i]);
	printf("  slow reader: %d connections, %d closed by the server\n",
	       sl.conns, sl.dropped);
	tk_check("the server closed the slow reader's connections",
	      sl.conns > 0 && sl.dropped == sl.conns);

	workers_freed();
	if (!sess_mount(&next)) {
		expect("a new session is served",
		       one(&next, QTFS_OP_GETATTR, "pq", "", 0ULL).err, 0);
		call(&next, QTFS_OP_UNLINK, "pn", "", "hdos_big");
		sess_close(&next);
	}
out_param:
	if (old[0])
		tk_check("restore qtfs_server_send_timeout",
		      !param_swap(old, NULL, 0));
	free(sl.big);
}
HOSTILE_CLASS("dos", class_dos);
