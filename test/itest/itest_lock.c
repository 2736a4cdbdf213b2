// SPDX-License-Identifier: GPL-2.0
/*
 * File locks (tcase "locks"): POSIX (F_SETLK/F_SETLKW/F_GETLK), OFD
 * (F_OFD_*) and flock() locks are enforced between client processes,
 * between a client process and a server process (the testpeer), and
 * between two mounts (two sessions); F_SETLKW waits and is granted on
 * release, a signal interrupts it with EINTR and frees the server's
 * worker; locks go at close and at exit; other operations keep working
 * while lock waits are blocked.
 *
 * Client-side lockers are helper processes driven over pipes, so that each
 * is its own POSIX lock owner and the test process can watch them block.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define IT_LK_REPLY	30.0	/* s for a helper's answer that must come */
#define IT_LK_BLOCKED	0.5	/* s a blocked wait must stay without answer */
#define IT_LK_ROUNDS	6	/* interrupted waits in a row */
#define IT_LK_WAITERS	4	/* blocked waiters at once (engine threads) */

enum { IT_POSIX, IT_OFD, IT_FLOCK, IT_NKINDS };
static const char *const it_lk_kind[] = { "posix", "ofd", "flock" };

/* Lock or unlock [@start, @start + @len) of @fd (@len 0: to EOF). */
static int it_lk(int fd, int kind, short type, off_t start, off_t len,
		 bool wait)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };
	int ret, op;

	if (kind == IT_FLOCK) {
		op = type == F_RDLCK ? LOCK_SH :
		     type == F_WRLCK ? LOCK_EX : LOCK_UN;
		ret = flock(fd, op | (wait ? 0 : LOCK_NB));
	} else if (kind == IT_OFD) {
		ret = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
	} else {
		ret = fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
	}
	return ret ? errno : 0;
}

/* --- helper processes --------------------------------------------------- */

/**
 * struct it_lkcmd - one command to a helper
 * @op:    'L' lock without waiting, 'B' lock waiting, 'G' test (F_GETLK),
 *         'c' close the second fd, 'C' close the first, 'x' exit
 * @kind:  IT_POSIX, IT_OFD or IT_FLOCK
 * @type:  F_RDLCK, F_WRLCK or F_UNLCK
 * @start: first byte
 * @len:   length, 0 for "to EOF"
 */
struct it_lkcmd {
	char op;
	int kind;
	short type;
	off_t start;
	off_t len;
};

/* A helper's answer: errno of the call (0 on success), F_GETLK result. */
struct it_lkrep {
	int err;
	struct flock fl;
};

/**
 * struct it_helper - a locking process with two fds on one file
 * @pid: its pid
 * @cmd: write end of its command pipe
 * @rep: read end of its reply pipe
 */
struct it_helper {
	pid_t pid;
	int cmd;
	int rep;
};

static void it_helper_sig(int sig)
{
	(void)sig;
}

static void __attribute__((noreturn)) it_helper_main(const char *path,
						      int cfd, int rfd)
{
	struct sigaction sa = { .sa_handler = it_helper_sig };
	struct it_lkcmd c;
	struct it_lkrep r;
	int fd1, fd2;

	/* no SA_RESTART: a signal ends a blocking lock with EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	fd1 = open(path, O_RDWR | O_CLOEXEC);
	fd2 = open(path, O_RDWR | O_CLOEXEC);
	if (fd1 < 0 || fd2 < 0)
		_exit(2);
	while (read(cfd, &c, sizeof(c)) == (ssize_t)sizeof(c)) {
		memset(&r, 0, sizeof(r));
		switch (c.op) {
		case 'L':
		case 'B':
			r.err = it_lk(fd1, c.kind, c.type, c.start, c.len,
				      c.op == 'B');
			break;
		case 'G':
			r.fl.l_type = c.type;
			r.fl.l_whence = SEEK_SET;
			r.fl.l_start = c.start;
			r.fl.l_len = c.len;
			r.err = fcntl(fd1, c.kind == IT_OFD ? F_OFD_GETLK :
				      F_GETLK, &r.fl) ? errno : 0;
			break;
		case 'c':
			r.err = close(fd2) ? errno : 0;
			break;
		case 'C':
			r.err = close(fd1) ? errno : 0;
			break;
		default:
			_exit(0);
		}
		if (write(rfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(3);
	}
	_exit(0);	/* the test process is gone */
}

static void it_helper_start(struct it_helper *h, const char *path)
{
	int cp[2], rp[2];

	ck_assert_msg(!pipe2(cp, O_CLOEXEC) && !pipe2(rp, O_CLOEXEC),
		      "pipe: %s", strerror(errno));
	h->pid = fork();
	ck_assert_msg(h->pid >= 0, "fork: %s", strerror(errno));
	if (!h->pid) {
		close(cp[1]);
		close(rp[0]);
		it_helper_main(path, cp[0], rp[1]);
	}
	close(cp[0]);
	close(rp[1]);
	h->cmd = cp[1];
	h->rep = rp[0];
}

static void it_helper_send(struct it_helper *h, char op, int kind,
			   short type, off_t start, off_t len)
{
	struct it_lkcmd c = { .op = op, .kind = kind, .type = type,
			      .start = start, .len = len };

	ck_assert_msg(write(h->cmd, &c, sizeof(c)) == (ssize_t)sizeof(c),
		      "helper %d: command: %s", (int)h->pid, strerror(errno));
}

/* Wait up to @secs for the answer; false if none came. */
static bool it_helper_reply(struct it_helper *h, struct it_lkrep *r,
			    double secs)
{
	struct pollfd p = { .fd = h->rep, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, (int)(secs * 1000)) <= 0)
		return false;
	n = read(h->rep, r, sizeof(*r));
	ck_assert_msg(n == (ssize_t)sizeof(*r),
		      "helper %d died (read %zd: %s)", (int)h->pid, n,
		      strerror(errno));
	return true;
}

/* Run one command and return its errno. */
static int it_helper_do(struct it_helper *h, char op, int kind, short type,
			off_t start, off_t len)
{
	struct it_lkrep r;

	it_helper_send(h, op, kind, type, start, len);
	ck_assert_msg(it_helper_reply(h, &r, IT_LK_REPLY),
		      "helper %d: no answer to '%c' %s within %.0f s",
		      (int)h->pid, op, it_lk_kind[kind], IT_LK_REPLY);
	return r.err;
}

static void it_helper_stop(struct it_helper *h)
{
	int status;

	it_helper_send(h, 'x', 0, 0, 0, 0);
	close(h->cmd);
	close(h->rep);
	ck_assert_msg(!it_wait(h->pid, &status, IT_LK_REPLY),
		      "helper %d does not exit", (int)h->pid);
}

/* The system call @pid sleeps in (/proc/<pid>/syscall), or -1. */
static long it_proc_syscall(pid_t pid)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;	/* "running" */
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Wait until @h sleeps in its lock call (not in the read of its command),
 * so that a signal sent now interrupts the lock wait.
 */
static void it_helper_wait_sleeping(struct it_helper *h)
{
	double deadline = it_now() + IT_LK_REPLY;
	long nr;

	for (;;) {
		nr = it_proc_syscall(h->pid);
		if ((nr == SYS_fcntl || nr == SYS_flock) &&
		    it_proc_state(h->pid) == 'S')
			break;
		ck_assert_msg(it_now() < deadline,
			      "helper %d never blocks in its lock call (syscall %ld)",
			      (int)h->pid, nr);
		usleep(10000);
	}
}

/* The helper's blocking request must not be answered for a while. */
static void it_helper_blocked(struct it_helper *h, const char *what)
{
	struct it_lkrep r;

	ck_assert_msg(!it_helper_reply(h, &r, IT_LK_BLOCKED),
		      "%s: did not block (errno %s)", what,
		      it_errname(r.err));
}

#define IT_LK_EXPECT(want, call)					\
	do {								\
		int got_ = (call);					\
		ck_assert_msg(got_ == (want), "%s: %s, expected %s",	\
			      #call, it_errname(got_), it_errname(want)); \
	} while (0)

/* --- the server side: the testpeer's own locks -------------------------- */

static const char *const it_lk_type[] = { [F_RDLCK] = "rd",
					  [F_WRLCK] = "wr",
					  [F_UNLCK] = "un" };

/* The testpeer's lock on [@start, +@len): 0 or the positive errno. */
static int it_srv_lk(int kind, short type, off_t start, off_t len)
{
	int ret = peer_cmd(&it.peer, "LOCK %s %s %lld %lld", it_lk_kind[kind],
			   it_lk_type[type], (long long)start,
			   (long long)len);

	ck_assert_msg(ret == 0 || ret == -EAGAIN, "%s", peer_last(&it.peer));
	return -ret;
}

/* A test file with some bytes, and the testpeer's lock file on it. */
static const char *it_lk_file(const char *name)
{
	const char *path = it_c("%s", name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	ck_assert_msg(!ftruncate(fd, 4096), "ftruncate: %s", strerror(errno));
	close(fd);
	ck_assert_msg(!peer_cmd(&it.peer, "LKOPEN %s", it_s("%s", name)), "%s",
		      peer_last(&it.peer));
	return path;
}

/* --- tests --------------------------------------------------------------- */

/* Shared and exclusive locks between client processes and the server. */
START_TEST(test_lock_conflicts)
{
	int k = _i;
	const char *path = it_lk_file("f");
	struct it_helper a, b;

	it_helper_start(&a, path);
	it_helper_start(&b, path);
	/* two client processes */
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_RDLCK, 0, 10));
	IT_LK_EXPECT(0, it_helper_do(&b, 'L', k, F_RDLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_helper_do(&b, 'L', k, F_WRLCK, 0, 10));
	/* client holds a read lock: the server may read-lock, not write */
	IT_LK_EXPECT(EAGAIN, it_srv_lk(k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(0, it_srv_lk(k, F_RDLCK, 0, 10));
	IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 10));
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_UNLCK, 0, 10));
	IT_LK_EXPECT(0, it_helper_do(&b, 'L', k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_helper_do(&a, 'L', k, F_RDLCK, 0, 10));
	if (k != IT_FLOCK) {
		/* byte ranges: a disjoint range does not conflict */
		IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_WRLCK, 20, 10));
		IT_LK_EXPECT(EAGAIN, it_srv_lk(k, F_WRLCK, 25, 0));
		IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 10, 10));
		IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 0));
		IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_UNLCK, 0, 0));
	}
	IT_LK_EXPECT(EAGAIN, it_srv_lk(k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(0, it_helper_do(&b, 'L', k, F_UNLCK, 0, 10));
	/* the server holds the lock: the client must respect it */
	IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_helper_do(&a, 'L', k, F_RDLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_helper_do(&b, 'L', k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 10));
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_WRLCK, 0, 10));
	it_helper_stop(&a);
	it_helper_stop(&b);
}
END_TEST

/* Two mounts of the export are two sessions: they see each other's locks. */
START_TEST(test_lock_two_mounts)
{
	int k = _i;
	const char *path = it_lk_file("f");
	char target[] = "/tmp/qtfs-itest-lk.XXXXXX";
	char other[PATH_MAX + sizeof(target) + 8];
	struct it_helper a, b;

	ck_assert_msg(mkdtemp(target), "mkdtemp: %s", strerror(errno));
	ck_assert_msg(!mount(it_cfg.server_root, target, "qtfs", 0, NULL),
		      "second mount of %s: %s", it_cfg.server_root,
		      strerror(errno));
	snprintf(other, sizeof(other), "%s/%s/f", target, it.rel);
	it_helper_start(&a, path);
	it_helper_start(&b, other);
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_helper_do(&b, 'L', k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_helper_do(&b, 'L', k, F_RDLCK, 0, 10));
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_UNLCK, 0, 10));
	IT_LK_EXPECT(0, it_helper_do(&b, 'L', k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_helper_do(&a, 'L', k, F_RDLCK, 0, 10));
	it_helper_stop(&a);
	it_helper_stop(&b);
	/* the second mount's holder exited: its lock is gone */
	IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 0, 10));
	ck_assert_msg(!umount2(target, 0), "umount %s: %s", target,
		      strerror(errno));
	rmdir(target);
}
END_TEST

/* F_GETLK and F_OFD_GETLK report the conflicting lock and its pid. */
START_TEST(test_lock_getlk)
{
	int k = _i;
	const char *path = it_lk_file("f");
	struct it_helper a, b;
	struct it_lkrep r;
	char type[8];
	long long start, len;
	int pid, want_pid;

	it_helper_start(&a, path);
	it_helper_start(&b, path);
	want_pid = k == IT_OFD ? -1 : (int)a.pid;
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_WRLCK, 5, 10));

	it_helper_send(&b, 'G', k, F_RDLCK, 0, 100);
	ck_assert(it_helper_reply(&b, &r, IT_LK_REPLY));
	ck_assert_msg(!r.err, "getlk: %s", it_errname(r.err));
	ck_assert_msg(r.fl.l_type == F_WRLCK && r.fl.l_start == 5 &&
		      r.fl.l_len == 10 && r.fl.l_pid == want_pid,
		      "getlk: type %d start %lld len %lld pid %d, expected a write lock on 5+10 of pid %d",
		      r.fl.l_type, (long long)r.fl.l_start,
		      (long long)r.fl.l_len, (int)r.fl.l_pid, want_pid);
	it_helper_send(&b, 'G', k, F_WRLCK, 20, 10);
	ck_assert(it_helper_reply(&b, &r, IT_LK_REPLY));
	ck_assert_msg(!r.err && r.fl.l_type == F_UNLCK,
		      "getlk of a free range: err %s type %d",
		      it_errname(r.err), r.fl.l_type);

	/* the server sees the client's lock, with the client's pid */
	ck_assert_msg(!peer_cmd(&it.peer, "LKTEST %s wr 0 0", it_lk_kind[k]),
		      "%s", peer_last(&it.peer));
	ck_assert_msg(sscanf(it.peer.reply, "%7s %lld %lld %d", type, &start,
			     &len, &pid) == 4 && !strcmp(type, "wr") &&
		      start == 5 && len == 10 && pid == want_pid,
		      "server getlk: \"%s\", expected wr 5 10 %d",
		      it.peer.reply, want_pid);

	/* and the client sees the server's lock */
	IT_LK_EXPECT(0, it_srv_lk(k, F_RDLCK, 50, 5));
	it_helper_send(&b, 'G', k, F_WRLCK, 40, 0);
	ck_assert(it_helper_reply(&b, &r, IT_LK_REPLY));
	ck_assert_msg(!r.err && r.fl.l_type == F_RDLCK &&
		      r.fl.l_start == 50 && r.fl.l_len == 5 &&
		      (k == IT_OFD ? r.fl.l_pid == -1 : r.fl.l_pid > 0),
		      "getlk of the server's lock: err %s type %d start %lld len %lld pid %d",
		      it_errname(r.err), r.fl.l_type,
		      (long long)r.fl.l_start, (long long)r.fl.l_len,
		      (int)r.fl.l_pid);
	it_helper_stop(&a);
	it_helper_stop(&b);
}
END_TEST

/*
 * A blocking request waits while the lock is held (by the server, then
 * by another client process) and is granted on release; other operations
 * go on meanwhile.
 */
START_TEST(test_lock_wait)
{
	int k = _i;
	const char *path = it_lk_file("f");
	struct it_helper a, b;
	struct it_lkrep r;
	struct stat st;

	it_helper_start(&a, path);
	it_helper_start(&b, path);
	IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 0, 10));
	it_helper_send(&a, 'B', k, F_WRLCK, 0, 10);
	it_helper_blocked(&a, "wait for the server's lock");
	/* other operations do not wait for the lock */
	ck_assert_msg(!it_write_pattern(it_c("other"), 0, 8192, 7, 4096),
		      "write while a lock wait is blocked: %s", it_msg());
	ck_assert_msg(!it_verify_pattern(it_c("other"), 8192, 7, 4096),
		      "read while a lock wait is blocked: %s", it_msg());
	ck_assert_msg(!stat(it_c("other"), &st), "stat: %s", strerror(errno));
	IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 10));
	ck_assert_msg(it_helper_reply(&a, &r, IT_LK_REPLY),
		      "not granted after the server released");
	IT_LK_EXPECT(0, r.err);

	it_helper_send(&b, 'B', k, F_WRLCK, 0, 10);
	it_helper_blocked(&b, "wait for another client process");
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_UNLCK, 0, 10));
	ck_assert_msg(it_helper_reply(&b, &r, IT_LK_REPLY),
		      "not granted after the other process released");
	IT_LK_EXPECT(0, r.err);
	IT_LK_EXPECT(EAGAIN, it_srv_lk(k, F_WRLCK, 0, 10));
	it_helper_stop(&a);
	it_helper_stop(&b);
}
END_TEST

/*
 * A signal ends a blocked wait with EINTR, many times in a row: each time
 * the server must give the wait up and free its worker, or the server's
 * limit on waiting workers would refuse the next waits (ENOLCK), and a
 * leftover wait would take the lock once the server's holder lets go.
 */
START_TEST(test_lock_eintr)
{
	int k = _i;
	const char *path = it_lk_file("f");
	struct it_helper a, b;
	struct it_lkrep r;
	int i;

	it_helper_start(&a, path);
	it_helper_start(&b, path);
	IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 0, 10));
	for (i = 0; i < IT_LK_ROUNDS; i++) {
		it_helper_send(&a, 'B', k, F_WRLCK, 0, 10);
		it_helper_wait_sleeping(&a);
		it_helper_blocked(&a, "wait for the server's lock");
		ck_assert_msg(!kill(a.pid, SIGUSR1), "kill: %s",
			      strerror(errno));
		ck_assert_msg(it_helper_reply(&a, &r, IT_LK_REPLY),
			      "round %d: a signal did not end the wait", i);
		ck_assert_msg(r.err == EINTR, "round %d: %s, expected EINTR",
			      i, it_errname(r.err));
	}
	IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 10));
	/* no abandoned wait took the lock */
	IT_LK_EXPECT(0, it_helper_do(&b, 'L', k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(0, it_helper_do(&b, 'L', k, F_UNLCK, 0, 10));
	IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 10));
	it_helper_stop(&a);
	it_helper_stop(&b);
}
END_TEST

/*
 * Release at close and exit: any close by the process ends its POSIX
 * locks; flock and OFD locks go with the last close of the open file
 * description; every kind goes when the holder exits.
 */
START_TEST(test_lock_release)
{
	int k = _i;
	const char *path = it_lk_file("f");
	struct it_helper a;

	it_helper_start(&a, path);
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_srv_lk(k, F_WRLCK, 0, 10));
	/* close another fd of the same file */
	IT_LK_EXPECT(0, it_helper_do(&a, 'c', 0, 0, 0, 0));
	if (k == IT_POSIX) {
		IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 0, 10));
		IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 10));
	} else {
		IT_LK_EXPECT(EAGAIN, it_srv_lk(k, F_WRLCK, 0, 10));
		IT_LK_EXPECT(0, it_helper_do(&a, 'C', 0, 0, 0, 0));
		IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 0, 10));
		IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 10));
	}
	it_helper_stop(&a);

	/* exit without unlocking */
	it_helper_start(&a, path);
	IT_LK_EXPECT(0, it_helper_do(&a, 'L', k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(EAGAIN, it_srv_lk(k, F_WRLCK, 0, 10));
	it_helper_stop(&a);
	IT_LK_EXPECT(0, it_srv_lk(k, F_WRLCK, 0, 10));
	IT_LK_EXPECT(0, it_srv_lk(k, F_UNLCK, 0, 10));
}
END_TEST

/*
 * As many blocked waiters as the test engine has workers: the server lets
 * only some of them wait (the others get ENOLCK at once) and keeps serving
 * everything else; a signal ends every wait.
 */
START_TEST(test_lock_starve)
{
	const char *path = it_lk_file("f");
	struct it_helper h[IT_LK_WAITERS];
	bool waiting[IT_LK_WAITERS];
	struct it_lkrep r;
	int i, nwait = 0;

	IT_LK_EXPECT(0, it_srv_lk(IT_POSIX, F_WRLCK, 0, 10));
	for (i = 0; i < IT_LK_WAITERS; i++) {
		it_helper_start(&h[i], path);
		it_helper_send(&h[i], 'B', IT_POSIX, F_WRLCK, 0, 10);
	}
	for (i = 0; i < IT_LK_WAITERS; i++) {
		waiting[i] = !it_helper_reply(&h[i], &r, IT_LK_BLOCKED);
		ck_assert_msg(waiting[i] || r.err == ENOLCK,
			      "waiter %d: %s, expected to wait or ENOLCK", i,
			      it_errname(r.err));
		nwait += waiting[i];
	}
	ck_assert_msg(nwait > 0, "no lock wait was allowed to block");
	ck_assert_msg(!it_write_pattern(it_c("other"), 0, 8192, 3, 4096),
		      "write with %d blocked lock waits: %s", nwait, it_msg());
	ck_assert_msg(!it_verify_pattern(it_c("other"), 8192, 3, 4096),
		      "read with %d blocked lock waits: %s", nwait, it_msg());
	for (i = 0; i < IT_LK_WAITERS; i++) {
		if (!waiting[i])
			continue;
		it_helper_wait_sleeping(&h[i]);
		ck_assert_msg(!kill(h[i].pid, SIGUSR1), "kill: %s",
			      strerror(errno));
		ck_assert_msg(it_helper_reply(&h[i], &r, IT_LK_REPLY),
			      "waiter %d: a signal did not end the wait", i);
		ck_assert_msg(r.err == EINTR, "waiter %d: %s, expected EINTR",
			      i, it_errname(r.err));
	}
	for (i = 0; i < IT_LK_WAITERS; i++)
		it_helper_stop(&h[i]);
	IT_LK_EXPECT(0, it_srv_lk(IT_POSIX, F_UNLCK, 0, 10));
}
END_TEST

/*
 * The cap on one connection's workers can shrink below the lock waits it
 * has admitted: qtfs_server_conn_workers lowered at run time, or the dip in
 * the engine's worker count while a worker passes through user mode.  The
 * connection's other requests must still be served.
 */
START_TEST(test_lock_starve_cap)
{
	const char *path = it_lk_file("f");
	const char *param = "qtfs_server_conn_workers";
	struct it_helper h;
	struct it_lkrep r;

	ck_assert_msg(!peer_param(&it.peer, param, 2), "%s",
		      peer_last(&it.peer));
	IT_LK_EXPECT(0, it_srv_lk(IT_POSIX, F_WRLCK, 0, 10));
	it_helper_start(&h, path);
	it_helper_send(&h, 'B', IT_POSIX, F_WRLCK, 0, 10);
	ck_assert_msg(!it_helper_reply(&h, &r, IT_LK_BLOCKED),
		      "lock wait with 2 workers per connection: %s",
		      it_errname(r.err));
	it_helper_wait_sleeping(&h);
	ck_assert_msg(!peer_param(&it.peer, param, 1), "%s",
		      peer_last(&it.peer));
	ck_assert_msg(!it_write_pattern(it_c("other"), 0, 8192, 5, 4096),
		      "write with the cap lowered under a lock wait: %s",
		      it_msg());
	ck_assert_msg(!it_verify_pattern(it_c("other"), 8192, 5, 4096),
		      "read with the cap lowered under a lock wait: %s",
		      it_msg());
	ck_assert_msg(!kill(h.pid, SIGUSR1), "kill: %s", strerror(errno));
	ck_assert_msg(it_helper_reply(&h, &r, IT_LK_REPLY),
		      "a signal did not end the wait");
	ck_assert_msg(r.err == EINTR, "%s, expected EINTR", it_errname(r.err));
	it_helper_stop(&h);
	IT_LK_EXPECT(0, it_srv_lk(IT_POSIX, F_UNLCK, 0, 10));
	ck_assert_msg(!peer_param_restore(&it.peer, param), "%s",
		      peer_last(&it.peer));
}
END_TEST

void it_add_lock_tests(Suite *s)
{
	TCase *tc = it_tcase(s, "locks", IT_TMO_SHORT, true);

	tcase_add_loop_test(tc, test_lock_conflicts, 0, IT_NKINDS);
	tcase_add_loop_test(tc, test_lock_two_mounts, 0, IT_NKINDS);
	tcase_add_loop_test(tc, test_lock_getlk, IT_POSIX, IT_OFD + 1);
	tcase_add_loop_test(tc, test_lock_wait, 0, IT_NKINDS);
	tcase_add_loop_test(tc, test_lock_eintr, 0, IT_NKINDS);
	tcase_add_loop_test(tc, test_lock_release, 0, IT_NKINDS);
	tcase_add_test(tc, test_lock_starve);
	tcase_add_test(tc, test_lock_starve_cap);
}
