// SPDX-License-Identifier: GPL-2.0
/*
 * Attributes and directory positions: chmod/chown/lchown, truncate,
 * utimensat with nanoseconds and UTIME_NOW/UTIME_OMIT, inode numbers and
 * link counts as the server has them, name and path length limits,
 * telldir/seekdir, d_type, and readdir under concurrent creates.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

static void it_create(const char *path, mode_t mode, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	static const char block[4096];
	size_t done;

	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	for (done = 0; done < size; done += sizeof(block))
		ck_assert(write(fd, block, size - done < sizeof(block) ?
				size - done : sizeof(block)) > 0);
	ck_assert(!close(fd));
}

/* Client stat and server lstat of the same object agree. */
static void it_same_stat(const char *name, struct stat *st)
{
	struct peer_stat ps;
	int ret;

	ck_assert_msg(!lstat(it_c("%s", name), st), "lstat %s: %s", name,
		      strerror(errno));
	ret = peer_stat(&it.peer, it_s("%s", name), &ps);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(st->st_ino == ps.ino && st->st_mode == ps.mode &&
		      st->st_nlink == ps.nlink && st->st_uid == ps.uid &&
		      st->st_gid == ps.gid && (uint64_t)st->st_size == ps.size,
		      "%s: client ino %llu mode %o nlink %llu %u:%u size %lld, server ino %llu mode %o nlink %llu %u:%u size %llu",
		      name, (unsigned long long)st->st_ino, st->st_mode,
		      (unsigned long long)st->st_nlink, st->st_uid, st->st_gid,
		      (long long)st->st_size, (unsigned long long)ps.ino,
		      ps.mode, (unsigned long long)ps.nlink, ps.uid, ps.gid,
		      (unsigned long long)ps.size);
}

/* --- attrs -------------------------------------------------------------- */

START_TEST(test_attrs_owner_mode)
{
	struct stat st, lst;
	int fd;

	it_create(it_c("f"), 0644, 10);
	ck_assert(!chmod(it_c("f"), 02751));
	it_same_stat("f", &st);
	ck_assert_int_eq(st.st_mode & 07777, 02751);
	ck_assert(!chown(it_c("f"), 1000, 1001));
	it_same_stat("f", &st);
	ck_assert(st.st_uid == 1000 && st.st_gid == 1001);
	fd = open(it_c("f"), O_RDONLY);
	ck_assert(fd >= 0);
	ck_assert(!fchmod(fd, 0600));
	ck_assert(!fchown(fd, 1001, 1000));
	close(fd);
	it_same_stat("f", &st);
	ck_assert(st.st_uid == 1001 && st.st_gid == 1000 &&
		  (st.st_mode & 07777) == 0600);

	/* lchown changes the link, chown its target */
	ck_assert(!symlink("f", it_c("l")));
	ck_assert(!lchown(it_c("l"), 1000, 1000));
	it_same_stat("l", &lst);
	ck_assert(S_ISLNK(lst.st_mode) && lst.st_uid == 1000 &&
		  lst.st_size == 1);
	it_same_stat("f", &st);
	ck_assert(st.st_uid == 1001);
	IT_EXPECT_ERR(EOPNOTSUPP, fchmodat(AT_FDCWD, it_c("l"), 0600,
					   AT_SYMLINK_NOFOLLOW));
	IT_EXPECT_ERR(EINVAL, fchownat(AT_FDCWD, it_c("l"), 0, 0, 0x4000));
}
END_TEST

/* The caller's umask, not the server's, shapes new objects. */
START_TEST(test_attrs_umask)
{
	struct peer_stat ps;
	mode_t old = umask(0);

	it_create(it_c("u0"), 0666, 0);
	ck_assert(!mkdir(it_c("d0"), 0777));
	ck_assert(!mknod(it_c("p0"), S_IFIFO | 0666, 0));
	umask(077);
	it_create(it_c("u77"), 0666, 0);
	ck_assert(!mkdir(it_c("d77"), 0777));
	umask(old);
	ck_assert(!peer_stat(&it.peer, it_s("u0"), &ps));
	ck_assert_msg((ps.mode & 07777) == 0666, "umask 0: %04o",
		      ps.mode & 07777);
	ck_assert(!peer_stat(&it.peer, it_s("d0"), &ps));
	ck_assert_msg((ps.mode & 07777) == 0777, "umask 0 dir: %04o",
		      ps.mode & 07777);
	ck_assert(!peer_stat(&it.peer, it_s("p0"), &ps));
	ck_assert_msg(ps.mode == (S_IFIFO | 0666), "umask 0 fifo: %o", ps.mode);
	ck_assert(!peer_stat(&it.peer, it_s("u77"), &ps));
	ck_assert_msg((ps.mode & 07777) == 0600, "umask 077: %04o",
		      ps.mode & 07777);
	ck_assert(!peer_stat(&it.peer, it_s("d77"), &ps));
	ck_assert_msg((ps.mode & 07777) == 0700, "umask 077 dir: %04o",
		      ps.mode & 07777);
}
END_TEST

START_TEST(test_attrs_size)
{
	struct stat st;
	int fd;

	it_create(it_c("f"), 0644, 10000);
	it_same_stat("f", &st);
	ck_assert_int_eq(st.st_size, 10000);
	ck_assert_msg(st.st_blocks >= 10000 / 512, "st_blocks %lld",
		      (long long)st.st_blocks);
	ck_assert(!truncate(it_c("f"), 100));
	it_same_stat("f", &st);
	ck_assert_int_eq(st.st_size, 100);
	fd = open(it_c("f"), O_RDWR);
	ck_assert(fd >= 0);
	ck_assert(!ftruncate(fd, 1 << 20));
	ck_assert(!fstat(fd, &st) && st.st_size == 1 << 20);
	IT_EXPECT_ERR(EINVAL, ftruncate(fd, -1));
	close(fd);
	it_same_stat("f", &st);
	ck_assert_int_eq(st.st_size, 1 << 20);
	/* sparse: the hole takes no blocks on the server either */
	ck_assert_msg(st.st_blocks < (1 << 20) / 512, "st_blocks %lld",
		      (long long)st.st_blocks);
	IT_EXPECT_ERR(EISDIR, truncate(it.cdir, 0));
	IT_EXPECT_ERR(EINVAL, truncate(it_c("f"), -1));
}
END_TEST

START_TEST(test_attrs_times)
{
	struct timespec ts[2] = { { 1000000000, 123456789 },
				  { 1100000000, 987654321 } };
	struct stat st;
	time_t now;

	it_create(it_c("f"), 0644, 1);
	ck_assert(!utimensat(AT_FDCWD, it_c("f"), ts, 0));
	ck_assert(!stat(it_c("f"), &st));
	ck_assert(st.st_atim.tv_sec == ts[0].tv_sec &&
		  st.st_atim.tv_nsec == ts[0].tv_nsec);
	ck_assert(st.st_mtim.tv_sec == ts[1].tv_sec &&
		  st.st_mtim.tv_nsec == ts[1].tv_nsec);
	/* UTIME_OMIT keeps one, UTIME_NOW sets the other to the server's now */
	now = time(NULL);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	ck_assert(!utimensat(AT_FDCWD, it_c("f"), ts, 0));
	ck_assert(!stat(it_c("f"), &st));
	ck_assert_msg(st.st_atim.tv_sec == 1000000000 &&
		      st.st_atim.tv_nsec == 123456789,
		      "UTIME_OMIT changed atime to %lld.%09ld",
		      (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
	ck_assert_msg(st.st_mtim.tv_sec >= now - 60,
		      "UTIME_NOW gave mtime %lld, now is %lld",
		      (long long)st.st_mtim.tv_sec, (long long)now);
	ts[0] = (struct timespec){ 5, 5 };
	ts[1].tv_nsec = UTIME_OMIT;
	ck_assert(!utimensat(AT_FDCWD, it_c("f"), ts, 0));
	ck_assert(!stat(it_c("f"), &st));
	ck_assert(st.st_atim.tv_sec == 5 && st.st_atim.tv_nsec == 5 &&
		  st.st_mtim.tv_sec >= now - 60);
	/* symlink times, not the target's */
	ck_assert(!symlink("f", it_c("l")));
	ts[1] = (struct timespec){ 7, 7 };
	ck_assert(!utimensat(AT_FDCWD, it_c("l"), ts, AT_SYMLINK_NOFOLLOW));
	ck_assert(!lstat(it_c("l"), &st) && st.st_mtim.tv_sec == 7 &&
		  st.st_mtim.tv_nsec == 7);
	ck_assert(!stat(it_c("f"), &st) && st.st_mtim.tv_sec != 7);
	ts[1].tv_nsec = 1000000000;
	IT_EXPECT_ERR(EINVAL, utimensat(AT_FDCWD, it_c("f"), ts, 0));
}
END_TEST

START_TEST(test_attrs_ino_nlink)
{
	struct stat a, b, d;
	struct statfs sfs;

	it_create(it_c("f"), 0644, 1);
	ck_assert(!mkdir(it_c("d"), 0755));
	it_same_stat("f", &a);
	ck_assert_int_eq(a.st_nlink, 1);
	ck_assert(!link(it_c("f"), it_c("d/g")));
	it_same_stat("f", &a);
	it_same_stat("d/g", &b);
	ck_assert(a.st_ino == b.st_ino && a.st_nlink == 2 && b.st_nlink == 2);
	/* a directory counts its subdirectories, as on the server */
	ck_assert(!mkdir(it_c("d/s"), 0755));
	it_same_stat("d", &d);
	ck_assert_int_eq(d.st_nlink, 3);
	ck_assert(a.st_dev == d.st_dev);
	ck_assert(!unlink(it_c("f")));
	it_same_stat("d/g", &b);
	ck_assert(b.st_nlink == 1 && b.st_ino == a.st_ino);
	ck_assert(!rmdir(it_c("d/s")));
	it_same_stat("d", &d);
	ck_assert_int_eq(d.st_nlink, 2);
	/* stable across lookups and renames */
	ck_assert(!rename(it_c("d/g"), it_c("h")));
	it_same_stat("h", &b);
	ck_assert(b.st_ino == a.st_ino);
	ck_assert(!statfs(it.cdir, &sfs) && sfs.f_namelen == 255);
}
END_TEST

START_TEST(test_attrs_names)
{
	char name[NAME_MAX + 2], rel[PATH_MAX], *path;
	size_t depth = 0, len;
	struct stat st;
	int fd, dfd;

	memset(name, 'n', sizeof(name));
	name[NAME_MAX] = '\0';
	it_create(it_c("%s", name), 0644, 1);
	it_same_stat(name, &st);
	name[NAME_MAX] = 'n';
	name[NAME_MAX + 1] = '\0';
	IT_EXPECT_ERR(ENAMETOOLONG, open(it_c("%s", name), O_CREAT | O_WRONLY,
					 0644));
	IT_EXPECT_ERR(ENAMETOOLONG, stat(it_c("%s", name), &st));
	IT_EXPECT_ERR(ENAMETOOLONG, mkdir(it_c("%s", name), 0755));

	/* a deep tree: relative paths of ~3800 bytes below the test dir */
	name[200] = '\0';
	dfd = open(it.cdir, O_RDONLY | O_DIRECTORY);
	ck_assert(dfd >= 0);
	rel[0] = '\0';
	for (len = 0; len + 201 < 3800; len += 201, depth++) {
		int nfd;

		ck_assert_msg(!mkdirat(dfd, name, 0755), "mkdir at depth %zu: %s",
			      depth, strerror(errno));
		nfd = openat(dfd, name, O_RDONLY | O_DIRECTORY);
		ck_assert(nfd >= 0);
		close(dfd);
		dfd = nfd;
		strcat(rel, name);
		strcat(rel, "/");
	}
	fd = openat(dfd, "leaf", O_WRONLY | O_CREAT, 0644);
	ck_assert_msg(fd >= 0, "create at depth %zu: %s", depth,
		      strerror(errno));
	ck_assert(write(fd, "deep", 4) == 4);
	close(fd);
	close(dfd);
	strcat(rel, "leaf");
	it_same_stat(rel, &st);
	ck_assert_int_eq(st.st_size, 4);
	/* a path argument beyond PATH_MAX is refused */
	path = malloc(PATH_MAX + 16);
	ck_assert(path);
	memset(path, 'a', PATH_MAX + 15);
	memcpy(path, it.cdir, strlen(it.cdir));
	path[strlen(it.cdir)] = '/';
	path[PATH_MAX + 15] = '\0';
	IT_EXPECT_ERR(ENAMETOOLONG, stat(path, &st));
	free(path);
}
END_TEST

/* --- dirpos ------------------------------------------------------------- */

START_TEST(test_dirpos_seek)
{
	char names[40][NAME_MAX + 1];
	long pos[40];
	struct dirent *de;
	int n = 0, i, ret;
	DIR *d;

	ret = peer_mkfiles(&it.peer, it.rel, 40, "e");
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	d = opendir(it.cdir);
	ck_assert(d);
	while (n < 40 && (de = readdir(d))) {
		snprintf(names[n], sizeof(names[n]), "%s", de->d_name);
		pos[n++] = telldir(d);
	}
	ck_assert_int_eq(n, 40);
	/* back to just after entry 10: entry 11 again, then the rest */
	seekdir(d, pos[10]);
	ck_assert_int_eq(telldir(d), pos[10]);
	for (i = 11; i < n; i++) {
		de = readdir(d);
		ck_assert_msg(de && !strcmp(de->d_name, names[i]),
			      "after seekdir entry %d is %s, expected %s", i,
			      de ? de->d_name : "(end)", names[i]);
	}
	rewinddir(d);
	de = readdir(d);
	ck_assert(de && !strcmp(de->d_name, names[0]));
	closedir(d);
}
END_TEST

START_TEST(test_dirpos_dtype)
{
	static const struct { const char *name; unsigned char type; } want[] = {
		{ "reg", DT_REG }, { "dir", DT_DIR }, { "lnk", DT_LNK },
		{ "fifo", DT_FIFO }, { ".", DT_DIR }, { "..", DT_DIR },
	};
	unsigned int seen = 0;
	struct dirent *de;
	struct stat st;
	size_t i;
	DIR *d;

	it_create(it_c("reg"), 0644, 0);
	ck_assert(!mkdir(it_c("dir"), 0755));
	ck_assert(!symlink("reg", it_c("lnk")));
	ck_assert(!mkfifo(it_c("fifo"), 0644));
	d = opendir(it.cdir);
	ck_assert(d);
	while ((de = readdir(d))) {
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			if (strcmp(de->d_name, want[i].name))
				continue;
			ck_assert_msg(de->d_type == want[i].type,
				      "%s: d_type %u, expected %u", de->d_name,
				      de->d_type, want[i].type);
			if (i < 4) {
				ck_assert(!lstat(it_c("%s", de->d_name), &st));
				ck_assert_msg(de->d_ino == st.st_ino,
					      "%s: d_ino %llu, st_ino %llu",
					      de->d_name,
					      (unsigned long long)de->d_ino,
					      (unsigned long long)st.st_ino);
			}
			seen |= 1U << i;
		}
	}
	closedir(d);
	ck_assert_int_eq(seen, (1U << 6) - 1);
}
END_TEST

#define IT_DIR_OLD	300
#define IT_DIR_NEW	300
#define IT_DIR_PFX	150	/* long names: the listing takes several chunks */

START_TEST(test_dirpos_concurrent)
{
	unsigned char seen[IT_DIR_OLD] = { 0 };
	char old[IT_DIR_PFX + 1], new[IT_DIR_PFX + 1];
	struct dirent *de;
	unsigned int idx;
	int n = 0, ret, i;
	char *end;
	DIR *d;

	memset(old, 'o', IT_DIR_PFX);
	old[IT_DIR_PFX] = '\0';
	memset(new, 'n', IT_DIR_PFX);
	new[IT_DIR_PFX] = '\0';
	ret = peer_mkfiles(&it.peer, it.rel, IT_DIR_OLD, old);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	d = opendir(it.cdir);
	ck_assert(d);
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, old, IT_DIR_PFX)) {
			idx = (unsigned int)strtoul(de->d_name + IT_DIR_PFX,
						    &end, 10);
			ck_assert(!*end && idx < IT_DIR_OLD);
			ck_assert_msg(!seen[idx], "old entry %u returned twice",
				      idx);
			seen[idx] = 1;
		}
		/* the server adds entries while the listing is under way */
		if (++n == IT_DIR_OLD / 3) {
			ret = peer_mkfiles(&it.peer, it.rel, IT_DIR_NEW, new);
			ck_assert_msg(!ret, "%s", peer_last(&it.peer));
			ck_assert(!close(open(it_c("client-new"),
					      O_CREAT | O_WRONLY, 0644)));
		}
	}
	closedir(d);
	for (i = 0; i < IT_DIR_OLD; i++)
		ck_assert_msg(seen[i], "old entry %d lost during concurrent creates",
			      i);
}
END_TEST

void it_add_attr_tests(Suite *s)
{
	TCase *tc;

	tc = it_tcase(s, "attrs", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_attrs_owner_mode);
	tcase_add_test(tc, test_attrs_umask);
	tcase_add_test(tc, test_attrs_size);
	tcase_add_test(tc, test_attrs_times);
	tcase_add_test(tc, test_attrs_ino_nlink);
	tcase_add_test(tc, test_attrs_names);

	tc = it_tcase(s, "dirpos", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_dirpos_seek);
	tcase_add_test(tc, test_dirpos_dtype);
	tcase_add_test(tc, test_dirpos_concurrent);
}
