// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_itest helpers: the per-test fixture, path building, pattern I/O on
 * the client side and process bookkeeping.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "rmtree.h"
#include "pattern.h"

#define IT_NBUF		8	/* ring of it_c()/it_s() results */
#define IT_IO_BLOCK	(1U << 20)

struct it_cfg it_cfg;
struct it_ctx it;

static char it_msgbuf[1024];

__attribute__((format(printf, 1, 2)))
static void it_set_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it_msgbuf, sizeof(it_msgbuf), fmt, ap);
	va_end(ap);
}

const char *it_msg(void)
{
	return it_msgbuf;
}

const char *it_errname(int err)
{
	static char num[16];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(num, sizeof(num), "errno %d", err);
	return num;
}

void it_setup(void)
{
	static unsigned int seq;
	int ret, n;

	ret = peer_connect(&it.peer, it_cfg.peer, IT_PEER_TIMEOUT);
	ck_assert_msg(!ret, "cannot reach qtfs_testpeer at %s: %s",
		      it_cfg.peer, peer_last(&it.peer));
	ret = peer_ping(&it.peer);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	n = snprintf(it.rel, sizeof(it.rel), "%s/t%d.%u", it_cfg.run_rel,
		     (int)getpid(), seq++);
	ck_assert(n > 0 && (size_t)n < sizeof(it.rel));
	n = snprintf(it.cdir, sizeof(it.cdir), "%s/%s", it_cfg.client, it.rel);
	ck_assert_msg(n > 0 && (size_t)n < sizeof(it.cdir), "path too long");
	ck_assert_msg(!mkdir(it.cdir, 0755), "mkdir %s on the client: %s",
		      it.cdir, strerror(errno));
}

void it_teardown(void)
{
	/* server side: fast, and independent of the client's caches */
	peer_rmtree(&it.peer, it.rel);
	peer_close(&it.peer);
}

TCase *it_tcase(Suite *s, const char *name, unsigned int timeout,
		bool with_fixture)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, timeout);
	if (with_fixture)
		tcase_add_checked_fixture(tc, it_setup, it_teardown);
	suite_add_tcase(s, tc);
	return tc;
}

static const char *it_vpath(const char *base, const char *fmt, va_list ap)
{
	static char bufs[IT_NBUF][PATH_MAX];
	static unsigned int next;
	char sub[PATH_MAX];
	char *out = bufs[next++ % IT_NBUF];
	int n;

	n = vsnprintf(sub, sizeof(sub), fmt, ap);
	ck_assert_msg(n >= 0 && (size_t)n < sizeof(sub), "path too long");
	n = snprintf(out, PATH_MAX, "%s/%s", base, sub);
	ck_assert_msg(n >= 0 && n < PATH_MAX, "path too long");
	return out;
}

const char *it_c(const char *fmt, ...)
{
	const char *ret;
	va_list ap;

	va_start(ap, fmt);
	ret = it_vpath(it.cdir, fmt, ap);
	va_end(ap);
	return ret;
}

const char *it_s(const char *fmt, ...)
{
	const char *ret;
	va_list ap;

	va_start(ap, fmt);
	ret = it_vpath(it.rel, fmt, ap);
	va_end(ap);
	return ret;
}

/* Offset of the first differing byte of @a and @b (which do differ). */
static size_t it_first_diff(const unsigned char *a, const unsigned char *b,
			    size_t len)
{
	size_t i;

	for (i = 0; i < len && a[i] == b[i]; i++)
		;
	return i;
}

int it_write_pattern(const char *path, int oflags, uint64_t size,
		     uint64_t seed, size_t chunk)
{
	unsigned char *buf;
	uint64_t off;
	int fd, err;

	buf = malloc(chunk);
	if (!buf) {
		it_set_msg("no memory for a %zu byte chunk", chunk);
		return -ENOMEM;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | oflags, 0644);
	if (fd < 0) {
		err = errno;
		free(buf);
		it_set_msg("open %s: %s", path, strerror(err));
		return -err;
	}
	for (off = 0; off < size; off += chunk) {
		size_t len = size - off < chunk ? (size_t)(size - off) : chunk;
		ssize_t n;

		pat_fill(buf, seed, off, len);
		n = write(fd, buf, len);
		if (n < 0 || (size_t)n != len) {
			err = n < 0 ? errno : EIO;
			it_set_msg("write of %zu bytes at offset %llu of %s: %s",
				   len, (unsigned long long)off, path,
				   n < 0 ? strerror(err) : "short write");
			close(fd);
			free(buf);
			return -err;
		}
	}
	free(buf);
	if (close(fd)) {
		err = errno;
		it_set_msg("close %s after writing: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

int it_verify_pattern(const char *path, uint64_t size, uint64_t seed,
		      size_t chunk)
{
	unsigned char *buf = malloc(chunk), *exp = malloc(chunk);
	uint64_t off = 0;
	int fd, ret = 0;

	if (!buf || !exp) {
		it_set_msg("no memory for a %zu byte chunk", chunk);
		ret = -ENOMEM;
		goto out_free;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		it_set_msg("open %s: %s", path, strerror(-ret));
		goto out_free;
	}
	for (;;) {
		ssize_t n = read(fd, buf, chunk);

		if (n < 0) {
			ret = -errno;
			it_set_msg("read at offset %llu of %s: %s",
				   (unsigned long long)off, path,
				   strerror(-ret));
			break;
		}
		if (n == 0)
			break;
		if (off + (uint64_t)n > size) {
			it_set_msg("%s is longer than the %llu bytes written (read returned data at offset %llu)",
				   path, (unsigned long long)size,
				   (unsigned long long)off);
			ret = -EILSEQ;
			break;
		}
		pat_fill(exp, seed, off, (size_t)n);
		if (memcmp(buf, exp, (size_t)n)) {
			size_t i = it_first_diff(buf, exp, (size_t)n);

			it_set_msg("%s: wrong data at offset %llu: got 0x%02x, expected 0x%02x",
				   path, (unsigned long long)(off + i),
				   buf[i], exp[i]);
			ret = -EILSEQ;
			break;
		}
		off += (uint64_t)n;
	}
	close(fd);
	if (!ret && off != size) {
		it_set_msg("%s: EOF after %llu bytes, expected %llu", path,
			   (unsigned long long)off, (unsigned long long)size);
		ret = -EILSEQ;
	}
out_free:
	free(buf);
	free(exp);
	return ret;
}

int it_pwrite_pattern(int fd, uint64_t off, size_t len, uint64_t seed)
{
	unsigned char *buf = malloc(len ? len : 1);
	ssize_t n;
	int err;

	if (!buf) {
		it_set_msg("no memory");
		return -ENOMEM;
	}
	pat_fill(buf, seed, off, len);
	n = pwrite(fd, buf, len, (off_t)off);
	err = errno;
	free(buf);
	if (n < 0 || (size_t)n != len) {
		it_set_msg("pwrite of %zu bytes at offset %llu: %s", len,
			   (unsigned long long)off,
			   n < 0 ? strerror(err) : "short write");
		return n < 0 ? -err : -EIO;
	}
	return 0;
}

/* pread exactly @len bytes at @off (looping on short reads). */
static int it_pread_full(int fd, unsigned char *buf, uint64_t off, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0) {
			int err = errno;

			it_set_msg("pread at offset %llu: %s",
				   (unsigned long long)(off + done),
				   strerror(err));
			return -err;
		}
		if (n == 0) {
			it_set_msg("unexpected EOF at offset %llu",
				   (unsigned long long)(off + done));
			return -EILSEQ;
		}
		done += (size_t)n;
	}
	return 0;
}

static int it_pread_compare(int fd, uint64_t off, size_t len,
			    const unsigned char *exp, const char *what)
{
	unsigned char *buf = malloc(len ? len : 1);
	int ret;

	if (!buf) {
		it_set_msg("no memory");
		return -ENOMEM;
	}
	ret = it_pread_full(fd, buf, off, len);
	if (!ret && memcmp(buf, exp, len)) {
		size_t i = it_first_diff(buf, exp, len);

		it_set_msg("wrong %s at offset %llu: got 0x%02x, expected 0x%02x",
			   what, (unsigned long long)(off + i), buf[i],
			   exp[i]);
		ret = -EILSEQ;
	}
	free(buf);
	return ret;
}

int it_pread_pattern(int fd, uint64_t off, size_t len, uint64_t seed)
{
	unsigned char *exp = malloc(len ? len : 1);
	int ret;

	if (!exp) {
		it_set_msg("no memory");
		return -ENOMEM;
	}
	pat_fill(exp, seed, off, len);
	ret = it_pread_compare(fd, off, len, exp, "data");
	free(exp);
	return ret;
}

int it_pread_zeros(int fd, uint64_t off, size_t len)
{
	unsigned char *exp = calloc(1, len ? len : 1);
	int ret;

	if (!exp) {
		it_set_msg("no memory");
		return -ENOMEM;
	}
	ret = it_pread_compare(fd, off, len, exp, "hole data (expected zeros)");
	free(exp);
	return ret;
}

int it_rmtree(const char *path)
{
	return qt_rmtree_at(AT_FDCWD, path);
}

double it_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int it_wait(pid_t pid, int *status, double secs)
{
	double deadline = it_now() + secs;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (it_now() >= deadline)
			return -ETIMEDOUT;
		usleep(5000);
	}
}

int it_proc_state(pid_t pid)
{
	char path[64], buf[512], *rp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || !rp[2])
		return -EIO;
	return (unsigned char)rp[2];
}

void it_expect_err(long ret, int err, int want, const char *call,
		   const char *file, int line)
{
	if (ret >= 0)
		ck_abort_msg("%s:%d: %s succeeded (returned %ld), expected %s",
			     file, line, call, ret, it_errname(want));
	if (err != want)
		ck_abort_msg("%s:%d: %s failed with %s (%s), expected %s",
			     file, line, call, it_errname(err), strerror(err),
			     it_errname(want));
}
