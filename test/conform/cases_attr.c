// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_conform: attribute changes: chmod, chown, truncate, utimensat.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

/* Setups shared by several groups of this file. */

/* "f": a file of the running user, "d/f": a file in a dir without search. */
static void setup_nosearch(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, "data");
	cf_chown("f", c->uid, c->gid);
	cf_mkdir("d", 0755);
	cf_mkfile("d/f", 0644, "data");
	cf_chown("d/f", c->uid, c->gid);
	cf_chmod("d", 0644);
	cf_chown("d", c->uid, c->gid);
}

/* "foreign": a file of another user, mode 0666. */
static void setup_foreign(struct cf_ctx *c)
{
	cf_mkfile("foreign", 0666, "data");
	cf_chown("foreign", c->other_uid, c->other_gid);
}

/* a -> b -> a */
static void setup_loop(struct cf_ctx *c)
{
	(void)c;
	cf_symlink("b", "a");
	cf_symlink("a", "b");
}

static void setup_file(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, "hello world");
	cf_chown("f", c->uid, c->gid);
}

/* chmod */

static void chmod_basic(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, NULL);
	CF_OK(chmod("f", 0600));
	CF_MODE("f", S_IFREG | 0600);
	CF_OK(chmod("f", 07755));
	CF_MODE("f", S_IFREG | 07755);
	CF_OK(chmod("f", 0));
	CF_MODE("f", S_IFREG);
	CF_UID("f", c->uid);
	cf_mkdir("d", 0755);
	CF_OK(chmod("d", 01700));
	CF_MODE("d", S_IFDIR | 01700);
}

static void chmod_errors(struct cf_ctx *c)
{
	(void)c;
	CF_ERR(chmod("missing", 0644), ENOENT);
	CF_ERR(chmod("f/x", 0644), ENOTDIR);
	CF_ERR(chmod(cf_long_name(), 0644), ENAMETOOLONG);
	CF_ERR(chmod(cf_long_path(), 0644), ENAMETOOLONG);
	CF_ERR(chmod("a", 0644), ELOOP);
}

static void chmod_errors_setup(struct cf_ctx *c)
{
	setup_file(c);
	setup_loop(c);
}

static void chmod_not_owner(struct cf_ctx *c)
{
	if (c->root) {
		CF_OK(chmod("foreign", 0600));
		CF_MODE("foreign", S_IFREG | 0600);
	} else {
		CF_ERR(chmod("foreign", 0600), EPERM);
		CF_MODE("foreign", S_IFREG | 0666);
	}
}

static void chmod_search(struct cf_ctx *c)
{
	if (c->root)
		CF_OK(chmod("d/f", 0600));
	else
		CF_ERR(chmod("d/f", 0600), EACCES);
}

static void chmod_symlink(struct cf_ctx *c)
{
	(void)c;
	cf_mkfile("f", 0644, NULL);
	cf_symlink("f", "l");
	CF_OK(chmod("l", 0600));
	CF_MODE("f", S_IFREG | 0600);
	CF_MODE("l", S_IFLNK | 0777);
}

/* A file of the user whose group the user is not in: S_ISGID is dropped. */
static void chmod_sgid_setup(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, NULL);
	cf_chown("f", c->uid, c->other_gid);
}

static void chmod_sgid(struct cf_ctx *c)
{
	CF_OK(chmod("f", 02755));
	CF_MODE("f", S_IFREG | (c->root ? 02755 : 0755));
}

static void chmod_ctime(struct cf_ctx *c)
{
	struct stat a, b;

	(void)c;
	cf_mkfile("f", 0644, NULL);
	a = CF_LSTAT("f");
	cf_tick();
	CF_OK(chmod("f", 0640));
	b = CF_LSTAT("f");
	CF_LATER(b.st_ctim, a.st_ctim);
	CF_EQ(b.st_mtim.tv_sec, a.st_mtim.tv_sec);
	CF_EQ(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
}

/* chown */

static void chown_root(struct cf_ctx *c)
{
	(void)c;
	cf_mkfile("f", 0644, NULL);
	CF_OK(chown("f", CF_UID1, CF_GID2));
	CF_UID("f", CF_UID1);
	CF_GID("f", CF_GID2);
	CF_OK(chown("f", -1, CF_GID_SHARED));
	CF_UID("f", CF_UID1);
	CF_GID("f", CF_GID_SHARED);
	cf_symlink("f", "l");
	CF_OK(lchown("l", CF_UID2, CF_GID2));
	CF_UID("l", CF_UID2);
	CF_UID("f", CF_UID1);
	CF_OK(chown("l", 0, 0));
	CF_UID("f", 0);
	CF_UID("l", CF_UID2);
}

static void chown_user(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, NULL);
	CF_OK(chown("f", -1, -1));
	CF_OK(chown("f", c->uid, -1));
	CF_OK(chown("f", -1, CF_GID_SHARED));
	CF_GID("f", CF_GID_SHARED);
	CF_OK(chown("f", c->uid, c->gid));
	CF_GID("f", c->gid);
	CF_ERR(chown("f", c->other_uid, -1), EPERM);
	CF_ERR(chown("f", -1, c->other_gid), EPERM);
	CF_ERR(chown("f", 0, 0), EPERM);
	CF_UID("f", c->uid);
	CF_GID("f", c->gid);
}

static void chown_foreign(struct cf_ctx *c)
{
	if (c->root) {
		CF_OK(chown("foreign", c->uid, CF_GID_SHARED));
		CF_UID("foreign", 0);
		return;
	}
	CF_ERR(chown("foreign", -1, CF_GID_SHARED), EPERM);
	CF_ERR(chown("foreign", c->uid, -1), EPERM);
	CF_UID("foreign", c->other_uid);
	CF_GID("foreign", c->other_gid);
}

static void chown_suid_setup(struct cf_ctx *c)
{
	cf_mkfile("x", 06755, NULL);
	cf_chown("x", c->uid, c->gid);
	cf_chmod("x", 06755);
	cf_mkfile("nx", 02644, NULL);
	cf_chown("nx", c->uid, CF_GID_SHARED);
	cf_chmod("nx", 02644);
	cf_mkdir("d", 06755);
	cf_chown("d", c->uid, c->gid);
	cf_chmod("d", 06755);
}

/* chown drops set-user-ID, and set-group-ID when group-executable. */
static void chown_suid(struct cf_ctx *c)
{
	CF_OK(chown("x", -1, CF_GID_SHARED));
	CF_MODE("x", S_IFREG | 0755);
	CF_GID("x", CF_GID_SHARED);
	CF_OK(chown("nx", -1, c->gid));
	CF_MODE("nx", S_IFREG | 02644);
	CF_OK(chown("d", -1, CF_GID_SHARED));
	CF_MODE("d", S_IFDIR | 06755);
}

static void chown_errors(struct cf_ctx *c)
{
	CF_ERR(chown("missing", c->uid, -1), ENOENT);
	CF_ERR(chown("f/x", c->uid, -1), ENOTDIR);
	CF_ERR(chown(cf_long_name(), c->uid, -1), ENAMETOOLONG);
	CF_ERR(chown(cf_long_path(), c->uid, -1), ENAMETOOLONG);
	CF_ERR(chown("a", c->uid, -1), ELOOP);
}

static void chown_search(struct cf_ctx *c)
{
	if (c->root)
		CF_OK(chown("d/f", c->uid, -1));
	else
		CF_ERR(chown("d/f", c->uid, -1), EACCES);
}

/* truncate */

static void truncate_size(struct cf_ctx *c)
{
	char buf[16];
	int fd;

	(void)c;
	cf_mkfile("f", 0644, "hello world");
	CF_OK(truncate("f", 5));
	CF_SIZE("f", 5);
	CF_CONTENT("f", "hello");
	CF_OK(truncate("f", 8));
	CF_SIZE("f", 8);
	fd = CF_RET(open("f", O_RDONLY));
	CF_EQ(read(fd, buf, sizeof(buf)), 8);
	CF_TRUE(!memcmp(buf, "hello\0\0\0", 8));
	close(fd);
	fd = CF_RET(open("f", O_RDWR));
	CF_OK(ftruncate(fd, 1 << 20));
	CF_SIZE("f", 1 << 20);
	CF_OK(ftruncate(fd, 0));
	CF_SIZE("f", 0);
	close(fd);
}

static void truncate_times(struct cf_ctx *c)
{
	struct stat a, b;

	(void)c;
	cf_mkfile("f", 0644, "hello world");
	a = CF_LSTAT("f");
	cf_tick();
	CF_OK(truncate("f", 2));
	b = CF_LSTAT("f");
	CF_LATER(b.st_mtim, a.st_mtim);
	CF_LATER(b.st_ctim, a.st_ctim);
}

static void truncate_errors_setup(struct cf_ctx *c)
{
	setup_file(c);
	setup_loop(c);
	cf_mkfile("ro", 0444, "data");
	cf_chown("ro", c->uid, c->gid);
	cf_mkdir("dir", 0755);
	cf_chown("dir", c->uid, c->gid);
}

static void truncate_errors(struct cf_ctx *c)
{
	int fd;

	CF_ERR(truncate("missing", 0), ENOENT);
	CF_ERR(truncate("f/x", 0), ENOTDIR);
	CF_ERR(truncate(cf_long_name(), 0), ENAMETOOLONG);
	CF_ERR(truncate(cf_long_path(), 0), ENAMETOOLONG);
	CF_ERR(truncate("a", 0), ELOOP);
	CF_ERR(truncate("dir", 0), EISDIR);
	CF_ERR(truncate("f", -1), EINVAL);
	if (c->root) {
		CF_OK(truncate("ro", 1));
		CF_SIZE("ro", 1);
	} else {
		CF_ERR(truncate("ro", 1), EACCES);
		CF_SIZE("ro", 4);
	}
	fd = CF_RET(open("f", O_RDONLY));
	CF_ERR(ftruncate(fd, 0), EINVAL);
	close(fd);
	CF_SIZE("f", 11);
}

static void truncate_suid_setup(struct cf_ctx *c)
{
	cf_mkfile("f", 06755, "hello");
	cf_chown("f", c->uid, c->gid);
	cf_chmod("f", 06755);
}

/* Truncation without CAP_FSETID drops set-user-ID and set-group-ID. */
static void truncate_suid(struct cf_ctx *c)
{
	CF_OK(truncate("f", 2));
	CF_MODE("f", S_IFREG | (c->root ? 06755 : 0755));
}

static void truncate_not_owner_setup(struct cf_ctx *c)
{
	cf_mkfile("grp", 0664, "group data");
	cf_chown("grp", c->other_uid, CF_GID_SHARED);
	cf_mkfile("oth", 0646, "other data");
	cf_chown("oth", c->other_uid, c->other_gid);
	cf_mkfile("ro", 0644, "read only");
	cf_chown("ro", c->other_uid, c->other_gid);
}

/*
 * Write permission is enough to truncate a file of another owner, through
 * ftruncate(), truncate() or open(O_TRUNC) ("echo x > file" on a group
 * writable file); the times a truncation sets need no ownership.
 */
static void truncate_not_owner(struct cf_ctx *c)
{
	struct stat a, b;
	int fd;

	a = CF_LSTAT("grp");
	cf_tick();
	fd = CF_RET(open("grp", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	CF_EQ(write(fd, "x\n", 2), 2);
	CF_OK(ftruncate(fd, 1));
	close(fd);
	CF_CONTENT("grp", "x");
	b = CF_LSTAT("grp");
	CF_LATER(b.st_mtim, a.st_mtim);
	CF_LATER(b.st_ctim, a.st_ctim);
	CF_OK(truncate("grp", 0));
	CF_SIZE("grp", 0);
	fd = CF_RET(open("oth", O_WRONLY | O_TRUNC));
	CF_SIZE("oth", 0);
	CF_OK(ftruncate(fd, 3));
	close(fd);
	CF_SIZE("oth", 3);
	if (c->root) {
		close(CF_RET(open("ro", O_WRONLY | O_TRUNC)));
		CF_SIZE("ro", 0);
		return;
	}
	CF_ERR(open("ro", O_WRONLY | O_TRUNC), EACCES);
	CF_ERR(truncate("ro", 0), EACCES);
	CF_SIZE("ro", 9);
}

/* utimensat */

static void setup_times(struct cf_ctx *c)
{
	struct timespec ts[2] = { { 1000000, 111 }, { 2000000, 222 } };

	setup_file(c);
	if (utimensat(AT_FDCWD, "f", ts, 0))
		CF_FAIL("setup: utimensat: %m");
}

static void utimens_set(struct cf_ctx *c)
{
	struct timespec ts[2] = { { 1234567890, 123456789 },
				  { 987654321, 999999999 } };
	struct stat st;

	(void)c;
	CF_OK(utimensat(AT_FDCWD, "f", ts, 0));
	st = CF_LSTAT("f");
	CF_EQ(st.st_atim.tv_sec, 1234567890);
	CF_EQ(st.st_atim.tv_nsec, 123456789);
	CF_EQ(st.st_mtim.tv_sec, 987654321);
	CF_EQ(st.st_mtim.tv_nsec, 999999999);
	/* before the epoch */
	ts[0].tv_sec = -1000;
	ts[0].tv_nsec = 5;
	ts[1].tv_sec = -2;
	ts[1].tv_nsec = 0;
	CF_OK(utimensat(AT_FDCWD, "f", ts, 0));
	st = CF_LSTAT("f");
	CF_EQ(st.st_atim.tv_sec, -1000);
	CF_EQ(st.st_atim.tv_nsec, 5);
	CF_EQ(st.st_mtim.tv_sec, -2);
}

static bool ts_between(const struct timespec *lo, const struct timespec *t,
		       const struct timespec *hi)
{
	long long l = lo->tv_sec * 1000000000LL + lo->tv_nsec;
	long long x = t->tv_sec * 1000000000LL + t->tv_nsec;
	long long h = hi->tv_sec * 1000000000LL + hi->tv_nsec;

	return l <= x && x <= h;
}

/*
 * "Now" is the clock of the filesystem's host, which for a network
 * filesystem is not ours: the ctime of a file made just before and one made
 * just after bound it.
 */
static struct timespec fs_now(const char *name)
{
	cf_mkfile(name, 0644, NULL);
	return CF_LSTAT(name).st_ctim;
}

static void utimens_now(struct cf_ctx *c)
{
	struct timespec lo, hi;
	struct stat st;

	(void)c;
	lo = fs_now("before");
	CF_OK(utimensat(AT_FDCWD, "f", NULL, 0));
	hi = fs_now("after");
	st = CF_LSTAT("f");
	CF_TRUE(ts_between(&lo, &st.st_atim, &hi));
	CF_TRUE(ts_between(&lo, &st.st_mtim, &hi));
	CF_TRUE(ts_between(&lo, &st.st_ctim, &hi));
}

static void utimens_omit(struct cf_ctx *c)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	struct timespec lo, hi;
	struct stat st, before;

	(void)c;
	lo = fs_now("before");
	CF_OK(utimensat(AT_FDCWD, "f", ts, 0));
	hi = fs_now("after");
	st = CF_LSTAT("f");
	CF_EQ(st.st_atim.tv_sec, 1000000);
	CF_EQ(st.st_atim.tv_nsec, 111);
	CF_TRUE(ts_between(&lo, &st.st_mtim, &hi));
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_sec = 5;
	ts[1].tv_nsec = 6;
	CF_OK(utimensat(AT_FDCWD, "f", ts, 0));
	st = CF_LSTAT("f");
	CF_TRUE(ts_between(&lo, &st.st_atim, &st.st_ctim));
	CF_EQ(st.st_mtim.tv_sec, 5);
	CF_EQ(st.st_mtim.tv_nsec, 6);
	/* both omitted: nothing changes, not even ctime */
	before = st;
	cf_tick();
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_OMIT;
	CF_OK(utimensat(AT_FDCWD, "f", ts, 0));
	st = CF_LSTAT("f");
	CF_EQ(st.st_ctim.tv_sec, before.st_ctim.tv_sec);
	CF_EQ(st.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	CF_EQ(st.st_mtim.tv_sec, 5);
}

static void utimens_foreign(struct cf_ctx *c)
{
	struct timespec ts[2] = { { 10, 0 }, { 20, 0 } };
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

	if (c->root) {
		CF_OK(utimensat(AT_FDCWD, "foreign", ts, 0));
		CF_EQ(CF_LSTAT("foreign").st_mtim.tv_sec, 20);
		return;
	}
	/* explicit times need ownership, "now" needs write permission */
	CF_ERR(utimensat(AT_FDCWD, "foreign", ts, 0), EPERM);
	CF_OK(utimensat(AT_FDCWD, "foreign", now, 0));
	/* ... both of them: one "now" next to an omitted time is explicit */
	now[0].tv_nsec = UTIME_OMIT;
	CF_ERR(utimensat(AT_FDCWD, "foreign", now, 0), EPERM);
	now[0].tv_nsec = UTIME_NOW;
	CF_OK(utimensat(AT_FDCWD, "foreign", NULL, 0));
}

static void utimens_foreign_ro_setup(struct cf_ctx *c)
{
	cf_mkfile("foreign", 0644, "data");
	cf_chown("foreign", c->other_uid, c->other_gid);
}

static void utimens_foreign_ro(struct cf_ctx *c)
{
	if (c->root) {
		CF_OK(utimensat(AT_FDCWD, "foreign", NULL, 0));
		return;
	}
	CF_ERR(utimensat(AT_FDCWD, "foreign", NULL, 0), EACCES);
}

static void utimens_nofollow(struct cf_ctx *c)
{
	struct timespec ts[2] = { { 30, 3 }, { 40, 4 } };
	struct stat st;

	(void)c;
	cf_symlink("f", "l");
	CF_OK(utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
	st = CF_LSTAT("l");
	CF_EQ(st.st_mtim.tv_sec, 40);
	CF_EQ(st.st_mtim.tv_nsec, 4);
	st = CF_LSTAT("f");
	CF_EQ(st.st_mtim.tv_sec, 2000000);
	CF_OK(utimensat(AT_FDCWD, "l", ts, 0));
	CF_EQ(CF_LSTAT("f").st_mtim.tv_sec, 40);
}

static void utimens_errors(struct cf_ctx *c)
{
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	struct timespec neg[2] = { { 0, 0 }, { 0, -1 } };
	int fd;

	(void)c;
	CF_ERR(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
	CF_ERR(utimensat(AT_FDCWD, "f", neg, 0), EINVAL);
	CF_ERR(utimensat(AT_FDCWD, "f", NULL, 0x4000), EINVAL);
	CF_ERR(utimensat(AT_FDCWD, "missing", NULL, 0), ENOENT);
	CF_ERR(utimensat(AT_FDCWD, "f/x", NULL, 0), ENOTDIR);
	CF_ERR(utimensat(AT_FDCWD, cf_long_name(), NULL, 0), ENAMETOOLONG);
	CF_EQ(CF_LSTAT("f").st_mtim.tv_sec, 2000000);
	fd = CF_RET(open("f", O_RDONLY));
	CF_OK(futimens(fd, NULL));
	close(fd);
}

const struct cf_case cf_cases_attr[] = {
	{ "chmod", "basic", CF_RU, NULL, chmod_basic },
	{ "chmod", "errors", CF_RU, chmod_errors_setup, chmod_errors },
	{ "chmod", "not_owner", CF_RU, setup_foreign, chmod_not_owner },
	{ "chmod", "search_perm", CF_RU, setup_nosearch, chmod_search },
	{ "chmod", "follows_symlink", CF_RU, NULL, chmod_symlink },
	{ "chmod", "sgid_nonmember", CF_RU, chmod_sgid_setup, chmod_sgid },
	{ "chmod", "ctime", CF_RU, NULL, chmod_ctime },
	{ "chown", "root", CF_ROOT, NULL, chown_root },
	{ "chown", "owner", CF_USER1 | CF_USER2, NULL, chown_user },
	{ "chown", "not_owner", CF_RU, setup_foreign, chown_foreign },
	{ "chown", "clears_suid", CF_RU, chown_suid_setup, chown_suid },
	{ "chown", "errors", CF_RU, chmod_errors_setup, chown_errors },
	{ "chown", "search_perm", CF_RU, setup_nosearch, chown_search },
	{ "truncate", "size", CF_RU, NULL, truncate_size },
	{ "truncate", "times", CF_RU, NULL, truncate_times },
	{ "truncate", "errors", CF_RU, truncate_errors_setup, truncate_errors },
	{ "truncate", "clears_suid", CF_RU, truncate_suid_setup, truncate_suid },
	{ "truncate", "not_owner", CF_ROOT | CF_USER1 | CF_USER2,
	  truncate_not_owner_setup, truncate_not_owner },
	{ "utimensat", "set_ns", CF_RU, setup_times, utimens_set },
	{ "utimensat", "now", CF_RU, setup_times, utimens_now },
	{ "utimensat", "now_omit", CF_RU, setup_times, utimens_omit },
	{ "utimensat", "not_owner", CF_RU, setup_foreign, utimens_foreign },
	{ "utimensat", "not_owner_ro", CF_RU, utimens_foreign_ro_setup,
	  utimens_foreign_ro },
	{ "utimensat", "nofollow", CF_RU, setup_times, utimens_nofollow },
	{ "utimensat", "errors", CF_RU, setup_times, utimens_errors },
	{ NULL, NULL, 0, NULL, NULL },
};
