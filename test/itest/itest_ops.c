// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace operations: exact errno values, stat/statfs against the
 * server's view, visibility of creates and unlinks across the two sides,
 * and permission checks made with the caller's credentials.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

/* Create @path through the client holding @data. */
static void it_put(const char *path, const char *data, mode_t mode)
{
	size_t len = strlen(data);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, data, len) == (ssize_t)len, "write %s: %s",
		      path, strerror(errno));
	ck_assert_msg(!close(fd), "close %s: %s", path, strerror(errno));
}

/* Read @path through the client and compare with @want. */
static void it_expect_content(const char *path, const char *want)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_msg(n >= 0, "read %s: %s", path, strerror(errno));
	close(fd);
	buf[n] = '\0';
	ck_assert_msg(!strcmp(buf, want), "%s holds \"%s\", expected \"%s\"",
		      path, buf, want);
}

/* --- sanity: both sides look at the same tree --------------------------- */

START_TEST(test_same_tree)
{
	static const char c2s[] = "written on the client\n";
	static const char s2c[] = "written on the server\n";
	char buf[64];
	size_t len;
	int ret;

	it_put(it_c("hello"), c2s, 0644);
	ret = peer_getdata(&it.peer, it_s("hello"), buf, sizeof(buf), &len);
	ck_assert_msg(!ret,
		      "%s (is --server-root/testpeer --root the exported dir mounted at --client?)",
		      peer_last(&it.peer));
	ck_assert_msg(len == strlen(c2s) && !memcmp(buf, c2s, len),
		      "server reads %zu different bytes", len);

	ret = peer_putdata(&it.peer, it_s("world"), s2c, strlen(s2c));
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	it_expect_content(it_c("world"), s2c);
}
END_TEST

/* --- exact errno --------------------------------------------------------- */

START_TEST(test_errno_create_excl)
{
	it_put(it_c("f"), "x", 0644);
	ck_assert_msg(!mkdir(it_c("d"), 0755), "mkdir: %s", strerror(errno));
	IT_EXPECT_ERR(EEXIST, open(it_c("f"), O_WRONLY | O_CREAT | O_EXCL, 0644));
	IT_EXPECT_ERR(EEXIST, open(it_c("d"), O_WRONLY | O_CREAT | O_EXCL, 0644));
}
END_TEST

START_TEST(test_errno_open_missing)
{
	IT_EXPECT_ERR(ENOENT, open(it_c("missing"), O_RDONLY));
	IT_EXPECT_ERR(ENOENT, open(it_c("nodir/f"), O_RDONLY));
	IT_EXPECT_ERR(ENOENT, open(it_c("nodir/f"), O_WRONLY | O_CREAT, 0644));
}
END_TEST

START_TEST(test_errno_mkdir_existing)
{
	ck_assert_msg(!mkdir(it_c("d"), 0755), "mkdir: %s", strerror(errno));
	IT_EXPECT_ERR(EEXIST, mkdir(it_c("d"), 0755));
	it_put(it_c("f"), "x", 0644);
	IT_EXPECT_ERR(EEXIST, mkdir(it_c("f"), 0755));
}
END_TEST

START_TEST(test_errno_rmdir_nonempty)
{
	struct stat st;

	ck_assert_msg(!mkdir(it_c("d"), 0755), "mkdir: %s", strerror(errno));
	it_put(it_c("d/f"), "x", 0644);
	IT_EXPECT_ERR(ENOTEMPTY, rmdir(it_c("d")));
	ck_assert_msg(!unlink(it_c("d/f")), "unlink: %s", strerror(errno));
	ck_assert_msg(!rmdir(it_c("d")), "rmdir of the emptied dir: %s",
		      strerror(errno));
	IT_EXPECT_ERR(ENOENT, stat(it_c("d"), &st));
}
END_TEST

START_TEST(test_errno_unlink_missing)
{
	IT_EXPECT_ERR(ENOENT, unlink(it_c("missing")));
	IT_EXPECT_ERR(ENOENT, rmdir(it_c("missing")));
}
END_TEST

START_TEST(test_errno_rmdir_file)
{
	it_put(it_c("f"), "x", 0644);
	IT_EXPECT_ERR(ENOTDIR, rmdir(it_c("f")));
}
END_TEST

START_TEST(test_errno_unlink_dir)
{
	ck_assert_msg(!mkdir(it_c("d"), 0755), "mkdir: %s", strerror(errno));
	IT_EXPECT_ERR(EISDIR, unlink(it_c("d")));
}
END_TEST

START_TEST(test_errno_file_as_dir)
{
	struct stat st;

	it_put(it_c("f"), "x", 0644);
	IT_EXPECT_ERR(ENOTDIR, stat(it_c("f/x"), &st));
	IT_EXPECT_ERR(ENOTDIR, open(it_c("f/x"), O_WRONLY | O_CREAT, 0644));
	IT_EXPECT_ERR(ENOTDIR, mkdir(it_c("f/x"), 0755));
	IT_EXPECT_ERR(ENOTDIR, open(it_c("f"), O_RDONLY | O_DIRECTORY));
}
END_TEST

/* --- stat / statfs ------------------------------------------------------- */

/* Client stat of @sub must agree with the server's lstat. */
static void it_compare_stat(const char *sub)
{
	struct peer_stat ps;
	struct stat st;
	int ret;

	ck_assert_msg(!lstat(it_c("%s", sub), &st), "client stat %s: %s", sub,
		      strerror(errno));
	ret = peer_stat(&it.peer, it_s("%s", sub), &ps);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg((st.st_mode & S_IFMT) == (ps.mode & S_IFMT),
		      "%s: client type %o, server type %o", sub,
		      st.st_mode & S_IFMT, ps.mode & S_IFMT);
	ck_assert_msg((st.st_mode & 07777) == (ps.mode & 07777),
		      "%s: client permissions %04o, server %04o", sub,
		      st.st_mode & 07777, ps.mode & 07777);
	ck_assert_msg((uint64_t)st.st_nlink == ps.nlink,
		      "%s: client nlink %llu, server %llu", sub,
		      (unsigned long long)st.st_nlink,
		      (unsigned long long)ps.nlink);
	ck_assert_msg(st.st_uid == ps.uid && st.st_gid == ps.gid,
		      "%s: client owner %u:%u, server %u:%u", sub, st.st_uid,
		      st.st_gid, ps.uid, ps.gid);
	if (S_ISREG(st.st_mode))
		ck_assert_msg((uint64_t)st.st_size == ps.size,
			      "%s: client size %lld, server %llu", sub,
			      (long long)st.st_size,
			      (unsigned long long)ps.size);
}

START_TEST(test_stat_matches_server)
{
	static const char *const names[] = {
		"f", "empty", "d", "d/sub", "d/f2", "sf", ".",
	};
	unsigned int i;
	int ret;

	ret = it_write_pattern(it_c("f"), O_TRUNC, 1234, 7, 1000);
	ck_assert_msg(!ret, "%s", it_msg());
	it_put(it_c("empty"), "", 0640);
	ck_assert_msg(!mkdir(it_c("d"), 0755), "mkdir: %s", strerror(errno));
	ck_assert_msg(!mkdir(it_c("d/sub"), 0700), "mkdir: %s", strerror(errno));
	it_put(it_c("d/f2"), "abc", 0600);
	ret = peer_write(&it.peer, it_s("sf"), 777, 8, 777);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		it_compare_stat(names[i]);
}
END_TEST

START_TEST(test_statfs)
{
	struct statfs sf;

	ck_assert_msg(!statfs(it_cfg.client, &sf), "statfs %s: %s",
		      it_cfg.client, strerror(errno));
	ck_assert_msg(sf.f_blocks > 0, "statfs %s: f_blocks is 0",
		      it_cfg.client);
	ck_assert_msg(sf.f_bsize > 0, "statfs %s: f_bsize is 0",
		      it_cfg.client);
	ck_assert_msg(sf.f_bfree <= sf.f_blocks && sf.f_bavail <= sf.f_blocks,
		      "statfs %s: free %llu / avail %llu > total %llu blocks",
		      it_cfg.client, (unsigned long long)sf.f_bfree,
		      (unsigned long long)sf.f_bavail,
		      (unsigned long long)sf.f_blocks);
	ck_assert_msg(!statfs(it.cdir, &sf), "statfs %s: %s", it.cdir,
		      strerror(errno));
}
END_TEST

/* --- cross-side visibility ---------------------------------------------- */

START_TEST(test_unlink_client_seen_by_server)
{
	struct peer_stat ps;
	int ret;

	it_put(it_c("f"), "gone soon", 0644);
	ret = peer_stat(&it.peer, it_s("f"), &ps);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(!unlink(it_c("f")), "unlink: %s", strerror(errno));
	ret = peer_stat(&it.peer, it_s("f"), &ps);
	ck_assert_msg(ret == -ENOENT,
		      "server stat after client unlink: %s (expected ENOENT)",
		      peer_last(&it.peer));
	ck_assert_msg(!mkdir(it_c("d"), 0755), "mkdir: %s", strerror(errno));
	ck_assert_msg(!rmdir(it_c("d")), "rmdir: %s", strerror(errno));
	ret = peer_stat(&it.peer, it_s("d"), &ps);
	ck_assert_msg(ret == -ENOENT,
		      "server stat after client rmdir: %s (expected ENOENT)",
		      peer_last(&it.peer));
}
END_TEST

START_TEST(test_unlink_server_seen_by_client)
{
	struct stat st;
	int ret;

	ret = peer_putdata(&it.peer, it_s("f"), "hello", 5);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(!stat(it_c("f"), &st), "stat: %s", strerror(errno));
	ck_assert_msg(st.st_size == 5, "size %lld, expected 5",
		      (long long)st.st_size);
	ret = peer_unlink(&it.peer, it_s("f"));
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	IT_EXPECT_ERR(ENOENT, stat(it_c("f"), &st));
	IT_EXPECT_ERR(ENOENT, open(it_c("f"), O_RDONLY));

	ret = peer_mkdir(&it.peer, it_s("d"), 0755);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(!stat(it_c("d"), &st) && S_ISDIR(st.st_mode),
		      "client stat of the server's new dir: %s",
		      strerror(errno));
	ret = peer_rmdir(&it.peer, it_s("d"));
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	IT_EXPECT_ERR(ENOENT, stat(it_c("d"), &st));
}
END_TEST

/* A name the client looked up as missing appears once the server makes it. */
START_TEST(test_create_server_seen_by_client)
{
	struct stat st;
	int ret;

	IT_EXPECT_ERR(ENOENT, stat(it_c("late"), &st));
	ret = peer_putdata(&it.peer, it_s("late"), "abc", 3);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(!stat(it_c("late"), &st),
		      "client still cannot see a file the server created: %s",
		      strerror(errno));
	ck_assert_msg(S_ISREG(st.st_mode) && st.st_size == 3,
		      "mode %o size %lld, expected a 3-byte regular file",
		      st.st_mode, (long long)st.st_size);
	it_expect_content(it_c("late"), "abc");
}
END_TEST

/* --- permissions --------------------------------------------------------- */

#define IT_UNPRIV	1000

/*
 * In a child with uid/gid 1000 and no supplementary groups: the 0644 file
 * opens for read, the root-owned 0600 one gives EACCES for read and write,
 * and creating in the root-owned 0755 directory gives EACCES.  Writes a
 * verdict to @fd; exits 0 if all held.
 */
static void __attribute__((noreturn)) it_perm_child(int fd)
{
	char msg[512] = "ok";
	int f, code = 0;

	if (setgroups(0, NULL) || setresgid(IT_UNPRIV, IT_UNPRIV, IT_UNPRIV) ||
	    setresuid(IT_UNPRIV, IT_UNPRIV, IT_UNPRIV)) {
		snprintf(msg, sizeof(msg), "dropping to uid %d: %s", IT_UNPRIV,
			 strerror(errno));
		code = 2;
		goto out;
	}
	f = open(it_c("public"), O_RDONLY);
	if (f < 0) {
		snprintf(msg, sizeof(msg),
			 "uid %d cannot open a 0644 file for reading: %s",
			 IT_UNPRIV, strerror(errno));
		code = 3;
		goto out;
	}
	close(f);
	errno = 0;
	f = open(it_c("secret"), O_RDONLY);
	if (f >= 0 || errno != EACCES) {
		snprintf(msg, sizeof(msg),
			 "uid %d opening root's 0600 file for reading: %s, expected EACCES",
			 IT_UNPRIV, f >= 0 ? "succeeded" : it_errname(errno));
		code = 4;
		goto out;
	}
	errno = 0;
	f = open(it_c("secret"), O_WRONLY);
	if (f >= 0 || errno != EACCES) {
		snprintf(msg, sizeof(msg),
			 "uid %d opening root's 0600 file for writing: %s, expected EACCES",
			 IT_UNPRIV, f >= 0 ? "succeeded" : it_errname(errno));
		code = 5;
		goto out;
	}
	errno = 0;
	f = open(it_c("intruder"), O_WRONLY | O_CREAT, 0644);
	if (f >= 0 || errno != EACCES) {
		snprintf(msg, sizeof(msg),
			 "uid %d creating a file in root's 0755 dir: %s, expected EACCES",
			 IT_UNPRIV, f >= 0 ? "succeeded" : it_errname(errno));
		code = 6;
	}
out:
	if (write(fd, msg, strlen(msg)) < 0)
		code = 7;
	_exit(code);
}

START_TEST(test_perm_eacces)
{
	char msg[512];
	struct stat st;
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_msg(geteuid() == 0, "this test must run as root");
	it_put(it_c("secret"), "secret", 0600);
	it_put(it_c("public"), "public", 0644);
	ck_assert_msg(!stat(it_c("secret"), &st), "stat: %s", strerror(errno));
	ck_assert_msg(st.st_uid == 0 && (st.st_mode & 07777) == 0600,
		      "secret file is %u:%u mode %04o, expected root's 0600",
		      st.st_uid, st.st_gid, st.st_mode & 07777);
	ck_assert_msg(!stat(it.cdir, &st) && (st.st_mode & 0777) == 0755,
		      "test dir mode %04o, expected 0755", st.st_mode & 07777);

	ck_assert(!pipe2(pfd, O_CLOEXEC));
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		it_perm_child(pfd[1]);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	close(pfd[0]);
	msg[n > 0 ? n : 0] = '\0';
	ck_assert_msg(!it_wait(pid, &status, IT_TMO_SHORT / 2),
		      "unprivileged child hung");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s",
		      n > 0 ? msg : "unprivileged child died");
}
END_TEST

void it_add_sanity_tests(Suite *s)
{
	TCase *tc = it_tcase(s, "sanity", IT_TMO_SHORT, true);

	tcase_add_test(tc, test_same_tree);
}

void it_add_ops_tests(Suite *s)
{
	TCase *tc;

	tc = it_tcase(s, "errno", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_errno_create_excl);
	tcase_add_test(tc, test_errno_open_missing);
	tcase_add_test(tc, test_errno_mkdir_existing);
	tcase_add_test(tc, test_errno_rmdir_nonempty);
	tcase_add_test(tc, test_errno_unlink_missing);
	tcase_add_test(tc, test_errno_rmdir_file);
	tcase_add_test(tc, test_errno_unlink_dir);
	tcase_add_test(tc, test_errno_file_as_dir);

	tc = it_tcase(s, "stat", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_stat_matches_server);
	tcase_add_test(tc, test_statfs);

	tc = it_tcase(s, "visibility", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_unlink_client_seen_by_server);
	tcase_add_test(tc, test_unlink_server_seen_by_client);
	tcase_add_test(tc, test_create_server_seen_by_client);

	tc = it_tcase(s, "perm", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_perm_eacces);
}
