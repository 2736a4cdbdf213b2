// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: IT_STRESS_PROCS client processes, each in its own
 * directory, run a random mix of create / write / read-back-verify / stat /
 * readdir / unlink / mkdir / rmdir for it_cfg.stress_secs seconds.  Any
 * error or data mismatch fails the test; a process still running
 * IT_STRESS_GRACE seconds after the deadline counts as a hang.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "pattern.h"

#define IT_STRESS_PROCS		8
#define IT_STRESS_GRACE		120	/* seconds past the deadline */
#define IT_STRESS_SLOTS		16	/* live files per process */
#define IT_STRESS_MAXSIZE	(256U << 10)
#define IT_STRESS_MAXCHUNK	(64U << 10)
#define IT_STRESS_MSG		512

/**
 * struct it_stress_slot - a file a worker believes exists
 * @live: the file exists
 * @seed: its pattern seed
 * @size: its size
 */
struct it_stress_slot {
	bool live;
	uint64_t seed;
	uint64_t size;
};

/**
 * struct it_worker - state of one stress process
 * @idx:   worker number
 * @dir:   its directory on the client
 * @rng:   xorshift64 state
 * @seq:   seeds handed out so far
 * @ops:   operations done
 * @subdir: "d" exists
 * @slots: its files f0 .. f<IT_STRESS_SLOTS-1>
 * @msg:   failure message, in memory shared with the parent
 */
struct it_worker {
	unsigned int idx;
	char dir[PATH_MAX];
	uint64_t rng;
	uint64_t seq;
	uint64_t ops;
	bool subdir;
	struct it_stress_slot slots[IT_STRESS_SLOTS];
	char *msg;
};

static uint64_t it_rand(struct it_worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

/* Record why the worker failed and exit. */
__attribute__((format(printf, 2, 3), noreturn))
static void it_worker_fail(struct it_worker *w, const char *fmt, ...)
{
	int n = snprintf(w->msg, IT_STRESS_MSG, "worker %u after %llu ops: ",
			 w->idx, (unsigned long long)w->ops);
	va_list ap;

	va_start(ap, fmt);
	if (n > 0 && n < IT_STRESS_MSG)
		vsnprintf(w->msg + n, IT_STRESS_MSG - (size_t)n, fmt, ap);
	va_end(ap);
	_exit(1);
}

static const char *it_wpath(struct it_worker *w, char *buf, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", w->dir, name);

	if (n < 0 || n >= PATH_MAX)
		it_worker_fail(w, "path too long");
	return buf;
}

static const char *it_slot_path(struct it_worker *w, char *buf, unsigned int s)
{
	char name[16];

	snprintf(name, sizeof(name), "f%u", s);
	return it_wpath(w, buf, name);
}

static void it_op_create(struct it_worker *w, unsigned int s)
{
	struct it_stress_slot *sl = &w->slots[s];
	char path[PATH_MAX];
	uint64_t size = it_rand(w) % (IT_STRESS_MAXSIZE + 1);
	size_t chunk = 1 + it_rand(w) % IT_STRESS_MAXCHUNK;
	uint64_t seed = ((uint64_t)w->idx << 32) | ++w->seq;
	int ret;

	ret = it_write_pattern(it_slot_path(w, path, s), O_EXCL, size, seed,
			       chunk);
	if (ret)
		it_worker_fail(w, "create: %s", it_msg());
	sl->live = true;
	sl->seed = seed;
	sl->size = size;
}

static void it_op_verify(struct it_worker *w, unsigned int s)
{
	struct it_stress_slot *sl = &w->slots[s];
	size_t chunk = 1 + it_rand(w) % IT_STRESS_MAXCHUNK;
	char path[PATH_MAX];

	if (it_verify_pattern(it_slot_path(w, path, s), sl->size, sl->seed,
			      chunk))
		it_worker_fail(w, "read-back: %s", it_msg());
}

static void it_op_stat(struct it_worker *w, unsigned int s)
{
	struct it_stress_slot *sl = &w->slots[s];
	char path[PATH_MAX];
	struct stat st;

	if (stat(it_slot_path(w, path, s), &st))
		it_worker_fail(w, "stat %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != sl->size)
		it_worker_fail(w, "stat %s: mode %o size %lld, expected a %llu-byte file",
			       path, st.st_mode, (long long)st.st_size,
			       (unsigned long long)sl->size);
}

static void it_op_unlink(struct it_worker *w, unsigned int s)
{
	char path[PATH_MAX];
	struct stat st;

	if (unlink(it_slot_path(w, path, s)))
		it_worker_fail(w, "unlink %s: %s", path, strerror(errno));
	w->slots[s].live = false;
	errno = 0;
	if (!stat(path, &st) || errno != ENOENT)
		it_worker_fail(w, "stat after unlink of %s: %s, expected ENOENT",
			       path, errno ? strerror(errno) : "exists");
}

/* The directory must list exactly the live slots (and "d"). */
static void it_op_readdir(struct it_worker *w)
{
	bool seen[IT_STRESS_SLOTS] = { false };
	unsigned int n = 0, want = 0, s;
	bool seen_d = false;
	struct dirent *de;
	DIR *d = opendir(w->dir);

	if (!d)
		it_worker_fail(w, "opendir %s: %s", w->dir, strerror(errno));
	while ((errno = 0, de = readdir(d))) {
		char *end;
		unsigned long v;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strcmp(de->d_name, "d") && w->subdir && !seen_d) {
			seen_d = true;
			continue;
		}
		v = strtoul(de->d_name + 1, &end, 10);
		if (de->d_name[0] != 'f' || !de->d_name[1] || *end ||
		    v >= IT_STRESS_SLOTS || !w->slots[v].live || seen[v])
			it_worker_fail(w, "readdir %s: unexpected or repeated entry \"%s\"",
				       w->dir, de->d_name);
		seen[v] = true;
		n++;
	}
	if (errno)
		it_worker_fail(w, "readdir %s: %s", w->dir, strerror(errno));
	closedir(d);
	for (s = 0; s < IT_STRESS_SLOTS; s++)
		want += w->slots[s].live;
	if (n != want || seen_d != w->subdir)
		it_worker_fail(w, "readdir %s: %u files%s, expected %u%s", w->dir,
			       n, seen_d ? " and d" : "", want,
			       w->subdir ? " and d" : "");
}

/* Toggle the subdirectory "d", putting a file in it and taking it out. */
static void it_op_subdir(struct it_worker *w)
{
	char path[PATH_MAX], file[PATH_MAX];
	int ret;

	it_wpath(w, path, "d");
	it_wpath(w, file, "d/x");
	if (w->subdir) {
		if (rmdir(path))
			it_worker_fail(w, "rmdir %s: %s", path, strerror(errno));
		w->subdir = false;
		return;
	}
	if (mkdir(path, 0755))
		it_worker_fail(w, "mkdir %s: %s", path, strerror(errno));
	w->subdir = true;
	ret = it_write_pattern(file, O_EXCL, 4096, w->seq, 4096);
	if (ret)
		it_worker_fail(w, "create in subdir: %s", it_msg());
	errno = 0;
	if (!rmdir(path) || errno != ENOTEMPTY)
		it_worker_fail(w, "rmdir of non-empty %s: %s, expected ENOTEMPTY",
			       path, errno ? strerror(errno) : "succeeded");
	if (it_verify_pattern(file, 4096, w->seq, 4096))
		it_worker_fail(w, "subdir read-back: %s", it_msg());
	if (unlink(file))
		it_worker_fail(w, "unlink %s: %s", file, strerror(errno));
}

static void __attribute__((noreturn))
it_stress_worker(unsigned int idx, char *msg, double deadline)
{
	struct it_worker w = { .idx = idx, .msg = msg };
	unsigned int s;
	int ret;

	w.rng = 0x9e3779b97f4a7c15ULL * (idx + 1) ^ (uint64_t)getpid();
	ret = snprintf(w.dir, sizeof(w.dir), "%s/w%u", it.cdir, idx);
	if (ret < 0 || (size_t)ret >= sizeof(w.dir))
		it_worker_fail(&w, "path too long");
	if (mkdir(w.dir, 0755))
		it_worker_fail(&w, "mkdir %s: %s", w.dir, strerror(errno));
	while (it_now() < deadline) {
		unsigned int op = (unsigned int)(it_rand(&w) % 8);

		s = (unsigned int)(it_rand(&w) % IT_STRESS_SLOTS);
		w.ops++;
		if (op == 7) {
			it_op_subdir(&w);
		} else if (op == 6) {
			it_op_readdir(&w);
		} else if (!w.slots[s].live) {
			it_op_create(&w, s);
		} else if (op < 3) {
			it_op_verify(&w, s);
		} else if (op < 5) {
			it_op_stat(&w, s);
		} else {
			it_op_unlink(&w, s);
		}
	}
	for (s = 0; s < IT_STRESS_SLOTS; s++) {
		if (w.slots[s].live)
			it_op_unlink(&w, s);
	}
	if (w.subdir)
		it_op_subdir(&w);
	it_op_readdir(&w);
	if (rmdir(w.dir))
		it_worker_fail(&w, "rmdir %s at the end: %s", w.dir,
			       strerror(errno));
	snprintf(msg, IT_STRESS_MSG, "worker %u: %llu ops", idx,
		 (unsigned long long)w.ops);
	_exit(0);
}

START_TEST(test_stress)
{
	size_t shm_len = IT_STRESS_PROCS * IT_STRESS_MSG;
	double start = it_now(), deadline = start + it_cfg.stress_secs;
	pid_t pids[IT_STRESS_PROCS];
	int status[IT_STRESS_PROCS], state[IT_STRESS_PROCS];
	bool done[IT_STRESS_PROCS] = { false };
	unsigned int i, left = IT_STRESS_PROCS;
	uint64_t count;
	char *msgs;
	int ret;

	msgs = mmap(NULL, shm_len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_msg(msgs != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(msgs, 0, shm_len);
	for (i = 0; i < IT_STRESS_PROCS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			it_stress_worker(i, msgs + i * IT_STRESS_MSG, deadline);
		if (pids[i] < 0) {
			int err = errno;

			while (i--)
				kill(pids[i], SIGKILL);
			ck_abort_msg("fork: %s", strerror(err));
		}
	}

	/* watchdog: everyone must be done IT_STRESS_GRACE s after deadline */
	while (left && it_now() < deadline + IT_STRESS_GRACE) {
		for (i = 0; i < IT_STRESS_PROCS; i++) {
			if (!done[i] && waitpid(pids[i], &status[i], WNOHANG) ==
					pids[i]) {
				done[i] = true;
				left--;
			}
		}
		usleep(50000);
	}
	for (i = 0; i < IT_STRESS_PROCS; i++) {
		if (!done[i]) {
			state[i] = it_proc_state(pids[i]);
			kill(pids[i], SIGKILL);
			it_wait(pids[i], &status[i], 10);
		}
	}
	for (i = 0; i < IT_STRESS_PROCS; i++) {
		const char *m = msgs + i * IT_STRESS_MSG;

		ck_assert_msg(done[i],
			      "worker %u hung: still running %d s after the %u s run (state %c)",
			      i, IT_STRESS_GRACE, it_cfg.stress_secs,
			      state[i] > 0 ? state[i] : '?');
		ck_assert_msg(WIFEXITED(status[i]) && !WEXITSTATUS(status[i]),
			      "%s", *m ? m : "worker died without a message");
		printf("stress: %.*s\n", IT_STRESS_MSG, m);
	}
	ret = peer_list(&it.peer, it.rel, &count);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(count == 0,
		      "server still lists %llu entries in the test dir after all workers cleaned up",
		      (unsigned long long)count);
	munmap(msgs, shm_len);
}
END_TEST

void it_add_stress_tests(Suite *s)
{
	TCase *tc = it_tcase(s, "stress", it_cfg.stress_secs +
			     IT_STRESS_GRACE + IT_TMO_SHORT, true);

	tcase_add_test(tc, test_stress);
}
