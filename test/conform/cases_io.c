// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_conform: file locks (flock, POSIX, OFD) between processes, mmap
 * with msync, fallocate.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conform.h"

#define PAGE 4096

static void setup_file(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, "0123456789abcdefghij");
	cf_chown("f", c->uid, c->gid);
}

/* locks */

/* A POSIX or OFD lock request on [start, start + len). */
static struct flock lk(short type, off_t start, off_t len)
{
	struct flock fl = {
		.l_type = type, .l_whence = SEEK_SET, .l_start = start,
		.l_len = len,
	};

	return fl;
}

static int set_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = lk(type, start, len);

	return fcntl(fd, cmd, &fl);
}

static void flock_other_fd(void *arg)
{
	int fd = CF_RET(open("f", O_RDONLY));

	(void)arg;
	CF_ERR(flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CF_ERR(flock(fd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	close(fd);
}

static void flock_inherited_fd(void *arg)
{
	/* the same open file description: its lock, not a conflict */
	CF_OK(flock(*(int *)arg, LOCK_EX | LOCK_NB));
}

static void flock_free(void *arg)
{
	int fd = CF_RET(open("f", O_RDONLY));

	(void)arg;
	CF_OK(flock(fd, LOCK_EX | LOCK_NB));
	CF_OK(flock(fd, LOCK_UN));
	close(fd);
}

static void flock_conflict(struct cf_ctx *c)
{
	int fd, fd2, dupfd;

	(void)c;
	fd = CF_RET(open("f", O_RDONLY));
	CF_OK(flock(fd, LOCK_EX));
	CF_EQ(cf_fork(flock_other_fd, NULL), 0);
	CF_EQ(cf_fork(flock_inherited_fd, &fd), 0);
	fd2 = CF_RET(open("f", O_RDONLY));
	CF_ERR(flock(fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	dupfd = CF_RET(dup(fd));
	CF_OK(flock(dupfd, LOCK_SH | LOCK_NB));
	/* now shared: another shared lock is fine, exclusive is not */
	CF_OK(flock(fd2, LOCK_SH | LOCK_NB));
	CF_ERR(flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CF_OK(flock(fd2, LOCK_UN));
	CF_OK(flock(fd, LOCK_UN));
	CF_EQ(cf_fork(flock_free, NULL), 0);
	/* closing every fd of a description releases its lock */
	CF_OK(flock(fd, LOCK_EX | LOCK_NB));
	close(dupfd);
	CF_ERR(flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	close(fd);
	CF_OK(flock(fd2, LOCK_EX | LOCK_NB));
	CF_ERR(flock(fd2, 0), EINVAL);
	CF_ERR(flock(fd2, LOCK_NB), EINVAL);
	close(fd2);
	CF_ERR(flock(fd2, LOCK_EX), EBADF);
}

static void posix_probe(void *arg)
{
	pid_t owner = *(pid_t *)arg;
	struct flock fl;
	int fd = CF_RET(open("f", O_RDWR));

	CF_ERR(set_lock(fd, F_SETLK, F_WRLCK, 5, 10), EAGAIN);
	CF_ERR(set_lock(fd, F_SETLK, F_RDLCK, 0, 1), EAGAIN);
	CF_ERR(set_lock(fd, F_SETLK, F_WRLCK, 0, 0), EAGAIN);
	fl = lk(F_WRLCK, 0, 100);
	CF_OK(fcntl(fd, F_GETLK, &fl));
	CF_EQ(fl.l_type, F_WRLCK);
	CF_EQ(fl.l_whence, SEEK_SET);
	CF_EQ(fl.l_start, 0);
	CF_EQ(fl.l_len, 10);
	CF_EQ(fl.l_pid, owner);
	fl = lk(F_WRLCK, 10, 5);
	CF_OK(fcntl(fd, F_GETLK, &fl));
	CF_EQ(fl.l_type, F_UNLCK);
	CF_OK(set_lock(fd, F_SETLK, F_WRLCK, 10, 5));
	close(fd);
}

static void posix_free(void *arg)
{
	int fd = CF_RET(open("f", O_RDWR));

	(void)arg;
	CF_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
	close(fd);
}

static void posix_conflict(struct cf_ctx *c)
{
	pid_t self = getpid();
	int fd, fd2;

	(void)c;
	fd = CF_RET(open("f", O_RDWR));
	CF_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 10));
	CF_EQ(cf_fork(posix_probe, &self), 0);
	/* one process never conflicts with itself, whatever the fd */
	fd2 = CF_RET(open("f", O_RDWR));
	CF_OK(set_lock(fd2, F_SETLK, F_WRLCK, 5, 10));
	CF_OK(set_lock(fd, F_SETLK, F_UNLCK, 0, 0));
	CF_EQ(cf_fork(posix_free, NULL), 0);
	/* closing any fd of the file drops the process's locks */
	CF_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
	close(fd2);
	CF_EQ(cf_fork(posix_free, NULL), 0);
	close(fd);
}

static void posix_shared_probe(void *arg)
{
	int fd = CF_RET(open("f", O_RDWR));

	(void)arg;
	CF_OK(set_lock(fd, F_SETLK, F_RDLCK, 0, 0));
	CF_ERR(set_lock(fd, F_SETLK, F_WRLCK, 3, 1), EAGAIN);
	/* inside the hole the owner punched */
	CF_OK(set_lock(fd, F_SETLK, F_WRLCK, 45, 10));
	CF_ERR(set_lock(fd, F_SETLK, F_WRLCK, 60, 1), EAGAIN);
	close(fd);
}

static void posix_shared(struct cf_ctx *c)
{
	int fd;

	(void)c;
	fd = CF_RET(open("f", O_RDWR));
	CF_OK(set_lock(fd, F_SETLK, F_RDLCK, 0, 100));
	/* unlocking the middle splits the lock in two */
	CF_OK(set_lock(fd, F_SETLK, F_UNLCK, 40, 20));
	CF_EQ(cf_fork(posix_shared_probe, NULL), 0);
	close(fd);
}

/* The child blocks in F_SETLKW until the parent unlocks. */
static void posix_blocking(struct cf_ctx *c)
{
	int fd, ready[2], st;
	char ch;
	pid_t pid;

	(void)c;
	fd = CF_RET(open("f", O_RDWR));
	CF_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
	CF_OK(pipe(ready));
	pid = CF_RET(fork());
	if (pid == 0) {
		int cfd = CF_RET(open("f", O_RDWR));

		CF_EQ(write(ready[1], "r", 1), 1);
		CF_OK(set_lock(cfd, F_SETLKW, F_WRLCK, 0, 0));
		CF_EQ(pwrite(cfd, "W", 1, 0), 1);
		_exit(0);
	}
	CF_EQ(read(ready[0], &ch, 1), 1);
	cf_tick();
	cf_tick();
	CF_EQ(waitpid(pid, &st, WNOHANG), 0);
	CF_CONTENT("f", "0123456789abcdefghij");
	CF_OK(set_lock(fd, F_SETLK, F_UNLCK, 0, 0));
	CF_EQ(waitpid(pid, &st, 0), pid);
	CF_EQ(st, 0);
	CF_CONTENT("f", "W123456789abcdefghij");
	close(fd);
}

static void posix_errors(struct cf_ctx *c)
{
	struct flock fl;
	int ro, wo;

	(void)c;
	ro = CF_RET(open("f", O_RDONLY));
	wo = CF_RET(open("f", O_WRONLY));
	CF_ERR(set_lock(ro, F_SETLK, F_WRLCK, 0, 0), EBADF);
	CF_ERR(set_lock(wo, F_SETLK, F_RDLCK, 0, 0), EBADF);
	CF_ERR(set_lock(ro, F_SETLK, 99, 0, 0), EINVAL);
	CF_ERR(set_lock(ro, F_SETLK, F_RDLCK, -1, 1), EINVAL);
	fl = lk(F_RDLCK, 0, 0);
	fl.l_whence = 7;
	CF_ERR(fcntl(ro, F_SETLK, &fl), EINVAL);
	CF_OK(set_lock(ro, F_SETLK, F_RDLCK, 0, 0));
	close(ro);
	close(wo);
}

static void ofd_probe(void *arg)
{
	int fd = CF_RET(open("f", O_RDWR));

	(void)arg;
	/* an OFD lock conflicts with POSIX locks of other processes */
	CF_ERR(set_lock(fd, F_SETLK, F_WRLCK, 0, 1), EAGAIN);
	CF_ERR(set_lock(fd, F_OFD_SETLK, F_RDLCK, 5, 1), EAGAIN);
	CF_OK(set_lock(fd, F_OFD_SETLK, F_WRLCK, 10, 1));
	close(fd);
}

static void ofd_conflict(struct cf_ctx *c)
{
	struct flock fl;
	int fd, fd2;

	(void)c;
	fd = CF_RET(open("f", O_RDWR));
	fd2 = CF_RET(open("f", O_RDWR));
	CF_OK(set_lock(fd, F_OFD_SETLK, F_WRLCK, 0, 10));
	/* two descriptions in one process do conflict */
	CF_ERR(set_lock(fd2, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN);
	fl = lk(F_RDLCK, 0, 0);
	CF_OK(fcntl(fd2, F_OFD_GETLK, &fl));
	CF_EQ(fl.l_type, F_WRLCK);
	CF_EQ(fl.l_start, 0);
	CF_EQ(fl.l_len, 10);
	CF_EQ(fl.l_pid, -1);
	CF_EQ(cf_fork(ofd_probe, NULL), 0);
	fl = lk(F_RDLCK, 0, 0);
	fl.l_pid = 1;
	CF_ERR(fcntl(fd2, F_OFD_SETLK, &fl), EINVAL);
	/* closing another fd of the file keeps an OFD lock */
	close(fd2);
	CF_EQ(cf_fork(ofd_probe, NULL), 0);
	close(fd);
	CF_EQ(cf_fork(posix_free, NULL), 0);
}

static void flock_posix_probe(void *arg)
{
	int fd = CF_RET(open("f", O_RDWR));

	(void)arg;
	CF_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
	close(fd);
}

/* flock and POSIX locks are independent on Linux. */
static void flock_vs_posix(struct cf_ctx *c)
{
	int fd;

	(void)c;
	fd = CF_RET(open("f", O_RDWR));
	CF_OK(flock(fd, LOCK_EX));
	CF_EQ(cf_fork(flock_posix_probe, NULL), 0);
	CF_OK(flock(fd, LOCK_UN));
	CF_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
	CF_EQ(cf_fork(flock_free, NULL), 0);
	close(fd);
}

/* mmap */

/* "m": two pages, "a..." then "b...". */
static void setup_pages(struct cf_ctx *c)
{
	static char buf[2 * PAGE];
	int fd;

	memset(buf, 'a', PAGE);
	memset(buf + PAGE, 'b', PAGE);
	fd = open("m", O_CREAT | O_WRONLY | O_EXCL, 0644);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
		CF_FAIL("setup: write m: %m");
	close(fd);
	cf_chown("m", c->uid, c->gid);
}

static void mmap_shared(struct cf_ctx *c)
{
	char buf[8] = "";
	char *p;
	int fd;

	(void)c;
	fd = CF_RET(open("m", O_RDWR));
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CF_TRUE(p != MAP_FAILED);
	CF_EQ(p[0], 'a');
	CF_EQ(p[PAGE], 'b');
	memcpy(p + 100, "hello", 5);
	memcpy(p + PAGE + 1, "world", 5);
	CF_OK(msync(p, 2 * PAGE, MS_SYNC));
	CF_EQ(pread(fd, buf, 5, 100), 5);
	CF_STR(buf, "hello");
	/* a write through the fd shows in the mapping */
	CF_EQ(pwrite(fd, "XY", 2, PAGE + 10), 2);
	CF_EQ(p[PAGE + 10], 'X');
	CF_EQ(p[PAGE + 11], 'Y');
	CF_ERR(msync(p + 1, PAGE, MS_SYNC), EINVAL);
	CF_ERR(msync(p, PAGE, MS_SYNC | MS_ASYNC), EINVAL);
	CF_OK(munmap(p, 2 * PAGE));
	close(fd);
	/* another open sees what the mapping wrote */
	fd = CF_RET(open("m", O_RDONLY));
	CF_EQ(pread(fd, buf, 5, PAGE + 1), 5);
	CF_STR(buf, "world");
	close(fd);
	CF_SIZE("m", 2 * PAGE);
}

/* Dirty pages reach the file when the mapping goes, without msync. */
static void mmap_munmap(struct cf_ctx *c)
{
	char buf[8] = "";
	char *p;
	int fd;

	(void)c;
	fd = CF_RET(open("m", O_RDWR));
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CF_TRUE(p != MAP_FAILED);
	close(fd);
	memcpy(p + 7, "dirty", 5);
	CF_OK(munmap(p, PAGE));
	fd = CF_RET(open("m", O_RDONLY));
	CF_EQ(pread(fd, buf, 5, 7), 5);
	CF_STR(buf, "dirty");
	close(fd);
}

static void mmap_private(struct cf_ctx *c)
{
	char buf[8] = "";
	char *p;
	int fd;

	(void)c;
	fd = CF_RET(open("m", O_RDONLY));
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CF_TRUE(p != MAP_FAILED);
	memcpy(p, "private", 7);
	CF_OK(msync(p, PAGE, MS_SYNC));
	CF_EQ(pread(fd, buf, 7, 0), 7);
	CF_STR(buf, "aaaaaaa");
	CF_EQ(p[3], 'v');
	CF_OK(munmap(p, PAGE));
	close(fd);
}

static void mmap_perm(struct cf_ctx *c)
{
	void *p;
	int fd;

	(void)c;
	fd = CF_RET(open("m", O_RDONLY));
	CF_TRUE(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
		MAP_FAILED && errno == EACCES);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CF_TRUE(p != MAP_FAILED);
	CF_ERR(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES);
	munmap(p, PAGE);
	close(fd);
	fd = CF_RET(open("m", O_WRONLY));
	CF_TRUE(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
		errno == EACCES);
	close(fd);
}

static void touch_second_page(void *arg)
{
	volatile char *p = arg;

	(void)p[PAGE];
}

/* Past the last page of the file is SIGBUS; the tail of the page is 0. */
static void mmap_eof(struct cf_ctx *c)
{
	char *p;
	int fd;

	(void)c;
	fd = CF_RET(open("m", O_RDWR));
	CF_OK(ftruncate(fd, 100));
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CF_TRUE(p != MAP_FAILED);
	CF_EQ(p[99], 'a');
	CF_EQ(p[100], 0);
	CF_EQ(p[PAGE - 1], 0);
	CF_EQ(cf_fork(touch_second_page, p), 128 + SIGBUS);
	/* growing the file makes the page valid */
	CF_OK(ftruncate(fd, 2 * PAGE));
	CF_EQ(p[PAGE], 0);
	p[PAGE + 1] = 'z';
	CF_OK(msync(p, 2 * PAGE, MS_SYNC));
	CF_OK(munmap(p, 2 * PAGE));
	close(fd);
	CF_SIZE("m", 2 * PAGE);
}

/* fallocate */

static bool all_bytes(const char *buf, size_t len, char ch)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != ch)
			return false;
	return true;
}

static void falloc_default(struct cf_ctx *c)
{
	static char buf[3 * PAGE];
	struct stat st;
	int fd;

	(void)c;
	fd = CF_RET(open("n", O_CREAT | O_RDWR, 0644));
	CF_OK(fallocate(fd, 0, 0, 2 * PAGE));
	CF_OK(fstat(fd, &st));
	CF_EQ(st.st_size, 2 * PAGE);
	CF_TRUE(st.st_blocks >= 2 * PAGE / 512);
	CF_EQ(pread(fd, buf, sizeof(buf), 0), 2 * PAGE);
	CF_TRUE(all_bytes(buf, 2 * PAGE, 0));
	/* inside the file: the size stays */
	CF_OK(fallocate(fd, 0, 100, 10));
	CF_SIZE("n", 2 * PAGE);
	CF_OK(fallocate(fd, 0, 2 * PAGE, 100));
	CF_SIZE("n", 2 * PAGE + 100);
	close(fd);
}

static void falloc_keep_size(struct cf_ctx *c)
{
	struct stat st;
	int fd;

	(void)c;
	fd = CF_RET(open("n", O_CREAT | O_RDWR, 0644));
	CF_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * PAGE));
	CF_OK(fstat(fd, &st));
	CF_EQ(st.st_size, 0);
	CF_TRUE(st.st_blocks >= 2 * PAGE / 512);
	CF_SIZE("n", 0);
	close(fd);
}

static void falloc_punch(struct cf_ctx *c)
{
	static char buf[2 * PAGE];
	struct stat a, b;
	int fd;

	(void)c;
	fd = CF_RET(open("m", O_RDWR));
	CF_OK(fstat(fd, &a));
	CF_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE,
			PAGE));
	CF_OK(fstat(fd, &b));
	CF_EQ(b.st_size, 2 * PAGE);
	CF_TRUE(b.st_blocks < a.st_blocks);
	CF_EQ(pread(fd, buf, sizeof(buf), 0), 2 * PAGE);
	CF_TRUE(all_bytes(buf, PAGE, 'a'));
	CF_TRUE(all_bytes(buf + PAGE, PAGE, 0));
	/* a partial page is zeroed in place */
	CF_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, 5));
	CF_EQ(pread(fd, buf, 20, 0), 20);
	CF_TRUE(all_bytes(buf, 10, 'a') && all_bytes(buf + 10, 5, 0) &&
		all_bytes(buf + 15, 5, 'a'));
	CF_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, PAGE), EOPNOTSUPP);
	close(fd);
	CF_SIZE("m", 2 * PAGE);
}

static void falloc_errors(struct cf_ctx *c)
{
	int fd;

	(void)c;
	fd = CF_RET(open("m", O_RDWR));
	CF_ERR(fallocate(fd, 0, 0, 0), EINVAL);
	CF_ERR(fallocate(fd, 0, -1, 10), EINVAL);
	CF_ERR(fallocate(fd, 0, 0, -1), EINVAL);
	CF_ERR(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, PAGE), EOPNOTSUPP);
	CF_ERR(fallocate(fd, 0x1000, 0, PAGE), EOPNOTSUPP);
	close(fd);
	fd = CF_RET(open("m", O_RDONLY));
	CF_ERR(fallocate(fd, 0, 0, PAGE), EBADF);
	close(fd);
	cf_mkdir("d", 0755);
	fd = CF_RET(open("d", O_RDONLY));
	CF_ERR(fallocate(fd, 0, 0, PAGE), EBADF);
	close(fd);
	CF_SIZE("m", 2 * PAGE);
}

const struct cf_case cf_cases_io[] = {
	{ "locks", "flock_conflict", CF_RU, setup_file, flock_conflict },
	{ "locks", "posix_conflict", CF_RU, setup_file, posix_conflict },
	{ "locks", "posix_shared_split", CF_RU, setup_file, posix_shared },
	{ "locks", "posix_blocking", CF_RU, setup_file, posix_blocking },
	{ "locks", "posix_errors", CF_RU, setup_file, posix_errors },
	{ "locks", "ofd_conflict", CF_RU, setup_file, ofd_conflict },
	{ "locks", "flock_vs_posix", CF_RU, setup_file, flock_vs_posix },
	{ "mmap", "shared_msync", CF_RU, setup_pages, mmap_shared },
	{ "mmap", "munmap_writeback", CF_RU, setup_pages, mmap_munmap },
	{ "mmap", "private", CF_RU, setup_pages, mmap_private },
	{ "mmap", "perm", CF_RU, setup_pages, mmap_perm },
	{ "mmap", "eof_sigbus", CF_RU, setup_pages, mmap_eof },
	{ "fallocate", "default", CF_RU, NULL, falloc_default },
	{ "fallocate", "keep_size", CF_RU, NULL, falloc_keep_size },
	{ "fallocate", "punch_hole", CF_RU, setup_pages, falloc_punch },
	{ "fallocate", "errors", CF_RU, setup_pages, falloc_errors },
	{ NULL, NULL, 0, NULL, NULL },
};
