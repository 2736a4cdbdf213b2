// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_conform: checks and fixture helpers used by the case bodies.
 * Every failure prints one line on stdout (the runner's pipe) and ends the
 * case's process with status 1.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

void cf_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	_exit(1);
}

static const char *cf_errname(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "E?";
}

long cf_chk_ok(long ret, int err, const char *expr, const char *file, int line)
{
	if (ret < 0)
		cf_fail(file, line, "%s: expected success, got %ld/%s", expr,
			ret, cf_errname(err));
	return ret;
}

void cf_chk_err(long ret, int err, int want, const char *expr, const char *file,
		int line)
{
	if (ret == -1 && err == want)
		return;
	if (ret == -1)
		cf_fail(file, line, "%s: expected -1/%s, got -1/%s", expr,
			cf_errname(want), cf_errname(err));
	cf_fail(file, line, "%s: expected -1/%s, got %ld", expr,
		cf_errname(want), ret);
}

void cf_chk_eq(long long got, long long want, const char *what, const char *file,
	       int line)
{
	if (got != want)
		cf_fail(file, line, "%s: expected %lld (0%llo), got %lld (0%llo)",
			what, want, want, got, got);
}

void cf_chk_str(const char *got, const char *want, const char *what,
		const char *file, int line)
{
	if (strcmp(got, want))
		cf_fail(file, line, "%s: expected \"%.60s\", got \"%.60s\"",
			what, want, got);
}

struct stat cf_lstat(const char *path, const char *file, int line)
{
	struct stat st;

	if (lstat(path, &st))
		cf_fail(file, line, "lstat(%s): %s", path, cf_errname(errno));
	return st;
}

void cf_chk_content(const char *path, const char *want, const char *file,
		    int line)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		cf_fail(file, line, "open(%s): %s", path, cf_errname(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		cf_fail(file, line, "read(%s): %s", path, cf_errname(errno));
	close(fd);
	buf[n] = '\0';
	cf_chk_str(buf, want, path, file, line);
}

void cf_mkfile(const char *path, mode_t mode, const char *content)
{
	size_t len = content ? strlen(content) : 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		CF_FAIL("setup: create %s: %s", path, cf_errname(errno));
	if (len && write(fd, content, len) != (ssize_t)len)
		CF_FAIL("setup: write %s: %s", path, cf_errname(errno));
	if (fchmod(fd, mode))
		CF_FAIL("setup: fchmod %s: %s", path, cf_errname(errno));
	close(fd);
}

void cf_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) || chmod(path, mode))
		CF_FAIL("setup: mkdir %s: %s", path, cf_errname(errno));
}

void cf_chown(const char *path, uid_t uid, gid_t gid)
{
	if (lchown(path, uid, gid))
		CF_FAIL("setup: lchown %s: %s", path, cf_errname(errno));
}

void cf_chmod(const char *path, mode_t mode)
{
	if (chmod(path, mode))
		CF_FAIL("setup: chmod %s: %s", path, cf_errname(errno));
}

void cf_symlink(const char *target, const char *path)
{
	if (symlink(target, path))
		CF_FAIL("setup: symlink %s: %s", path, cf_errname(errno));
}

const char *cf_long_name(void)
{
	static char name[NAME_MAX + 2];

	memset(name, 'n', NAME_MAX + 1);
	return name;
}

const char *cf_max_name(void)
{
	static char name[NAME_MAX + 1];

	memset(name, 'm', NAME_MAX);
	return name;
}

const char *cf_long_path(void)
{
	static char path[PATH_MAX + 1];
	int i;

	/* "d/d/d/...": too long as a whole, every component is short */
	for (i = 0; i < PATH_MAX; i++)
		path[i] = i % 2 ? '/' : 'd';
	return path;
}

bool cf_ts_later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

void cf_tick(void)
{
	/* tmpfs stamps with the coarse clock: one jiffy is at most 10 ms */
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

int cf_fork(void (*fn)(void *arg), void *arg)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		CF_FAIL("fork: %s", cf_errname(errno));
	if (pid == 0) {
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		CF_FAIL("waitpid: %s", cf_errname(errno));
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
