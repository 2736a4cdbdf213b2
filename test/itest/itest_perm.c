// SPDX-License-Identifier: GPL-2.0
/*
 * Credentials and permissions: every operation runs on the server with the
 * caller's fsuid, fsgid and groups, so ownership of new files, EACCES and
 * EPERM, setgid directories and the clearing of set-id bits are the
 * server's; access(2), chdir(2) and execve(2) get the server's verdict;
 * root squash maps the client's root to the squash ids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define IT_SQUASH_ID	65534

void it_run_as(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
	       it_child_fn fn, void *arg)
{
	char msg[512] = "";
	int pfd[2], status, code;
	ssize_t n;
	pid_t pid;

	ck_assert_msg(geteuid() == 0, "this test must run as root");
	ck_assert(!pipe2(pfd, O_CLOEXEC));
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid)) {
			snprintf(msg, sizeof(msg), "dropping to %u:%u: %s",
				 (unsigned int)uid, (unsigned int)gid,
				 strerror(errno));
			code = 100;
		} else {
			code = fn(arg, msg, sizeof(msg));
		}
		if (write(pfd[1], msg, strlen(msg)) < 0)
			code = 101;
		_exit(code);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	close(pfd[0]);
	msg[n > 0 ? n : 0] = '\0';
	ck_assert_msg(!it_wait(pid, &status, IT_TMO_SHORT / 2),
		      "child as uid %u hung", (unsigned int)uid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "as uid %u: %s", (unsigned int)uid,
		      n > 0 ? msg : "child died");
}

int it_child_expect(char *msg, size_t len, int line, long ret, int err,
		    int want, const char *call)
{
	if (want ? (ret >= 0 || err != want) : ret < 0) {
		snprintf(msg, len, "line %d: %s: %s, expected %s", line, call,
			 ret >= 0 ? "succeeded" : it_errname(err),
			 want ? it_errname(want) : "success");
		return 1;
	}
	return 0;
}

/* Create @path as the caller with @data; 0 or -errno. */
static int it_create(const char *path, mode_t mode, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t len = (ssize_t)strlen(data);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != len)
		ret = -EIO;
	close(fd);
	return ret;
}

static void it_peer_stat_ok(const char *rel, struct peer_stat *st)
{
	int ret = peer_stat(&it.peer, rel, st);

	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
}

/* --- creds: ownership and errno of an unprivileged caller --------------- */

static int it_creds_owner_child(void *arg, char *msg, size_t len)
{
	int r;

	(void)arg;
	IT_CHILD(msg, len, 0, open(it_c("pub/mine"), O_WRONLY | O_CREAT, 0640));
	IT_CHILD(msg, len, 0, mkdir(it_c("pub/mydir"), 0750));
	/* root's files: EPERM for owner-only changes, EACCES for access */
	IT_CHILD(msg, len, EPERM, chmod(it_c("rootfile"), 0666));
	IT_CHILD(msg, len, EPERM, chown(it_c("pub/mine"), 1001, 1001));
	IT_CHILD(msg, len, EPERM, chown(it_c("pub/mine"), -1, 0));
	IT_CHILD(msg, len, EACCES, truncate(it_c("rootfile"), 0));
	IT_CHILD(msg, len, EACCES, open(it_c("rootfile"), O_WRONLY));
	IT_CHILD(msg, len, EACCES, unlink(it_c("rootfile")));
	IT_CHILD(msg, len, EACCES, mkdir(it_c("denied"), 0755));
	IT_CHILD(msg, len, EACCES, rename(it_c("pub/mine"), it_c("stolen")));
	/* explicit times need ownership; "now" only write access */
	IT_CHILD(msg, len, EPERM,
		 utimensat(AT_FDCWD, it_c("pub/rootrw"),
			   (struct timespec[2]){ { 1, 0 }, { 1, 0 } }, 0));
	IT_CHILD(msg, len, 0, utimensat(AT_FDCWD, it_c("pub/rootrw"), NULL, 0));
	IT_CHILD(msg, len, EPERM,
		 utimensat(AT_FDCWD, it_c("pub/rootrw"),
			   (struct timespec[2]){ { 0, UTIME_OMIT },
						 { 0, UTIME_NOW } }, 0));
	/* sticky directory: another user's file cannot be removed */
	IT_CHILD(msg, len, EPERM, unlink(it_c("pub/rootrw")));
	/* the owner may chmod and chgrp to its own group */
	IT_CHILD(msg, len, 0, chmod(it_c("pub/mine"), 0604));
	r = chown(it_c("pub/mine"), -1, 1000);
	IT_CHILD(msg, len, 0, r);
	return 0;
}

START_TEST(test_creds_owner)
{
	struct peer_stat st;

	ck_assert(!it_create(it_c("rootfile"), 0644, "root"));
	ck_assert(!mkdir(it_c("pub"), 0777));
	ck_assert(!chmod(it_c("pub"), 01777));
	ck_assert(!it_create(it_c("pub/rootrw"), 0666, "rw"));
	ck_assert(!chmod(it_c("pub/rootrw"), 0666));
	it_run_as(1000, 1000, NULL, 0, it_creds_owner_child, NULL);

	it_peer_stat_ok(it_s("pub/mine"), &st);
	ck_assert_msg(st.uid == 1000 && st.gid == 1000 &&
		      (st.mode & 07777) == 0604,
		      "server: file of uid 1000 is %u:%u %04o, expected 1000:1000 0604",
		      st.uid, st.gid, st.mode & 07777);
	it_peer_stat_ok(it_s("pub/mydir"), &st);
	ck_assert_msg(st.uid == 1000 && st.gid == 1000 && S_ISDIR(st.mode),
		      "server: dir of uid 1000 is %u:%u", st.uid, st.gid);
	it_peer_stat_ok(it_s("rootfile"), &st);
	ck_assert_msg((st.mode & 07777) == 0644 && st.size == 4,
		      "root's file changed: %04o size %llu", st.mode & 07777,
		      (unsigned long long)st.size);
}
END_TEST

/* --- creds: supplementary groups ---------------------------------------- */

static int it_groups_child(void *arg, char *msg, size_t len)
{
	int want = *(int *)arg;

	IT_CHILD(msg, len, want, open(it_c("grpfile"), O_RDONLY));
	IT_CHILD(msg, len, want, access(it_c("grpfile"), R_OK));
	return 0;
}

START_TEST(test_creds_groups)
{
	static const gid_t g1001[] = { 1001 };
	int ok = 0, denied = EACCES;

	ck_assert(!it_create(it_c("grpfile"), 0640, "group"));
	ck_assert(!chown(it_c("grpfile"), 0, 1001));
	it_run_as(1000, 1000, g1001, 1, it_groups_child, &ok);
	it_run_as(1000, 1000, NULL, 0, it_groups_child, &denied);
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("grpfile"), 1000, 1000,
				       R_OK), -EACCES);
}
END_TEST

/* --- creds: setgid directories and set-id clearing ---------------------- */

static int it_nonowner_write_child(void *arg, char *msg, size_t len)
{
	int fd;

	(void)arg;
	fd = open(it_c("suid"), O_WRONLY);
	IT_CHILD(msg, len, 0, fd);
	IT_CHILD(msg, len, 0, write(fd, "w", 1));
	close(fd);
	return 0;
}

START_TEST(test_creds_setid)
{
	struct peer_stat st;
	struct stat cst;

	/* setgid directory: group and, for directories, the bit propagate */
	ck_assert(!mkdir(it_c("sg"), 0775));
	ck_assert(!chown(it_c("sg"), 0, 1001));
	ck_assert(!chmod(it_c("sg"), 02775));
	ck_assert(!it_create(it_c("sg/f"), 0644, "f"));
	ck_assert(!mkdir(it_c("sg/sub"), 0755));
	it_peer_stat_ok(it_s("sg/f"), &st);
	ck_assert_msg(st.gid == 1001 && !(st.mode & S_ISGID),
		      "file in setgid dir: gid %u mode %04o, expected gid 1001 no S_ISGID",
		      st.gid, st.mode & 07777);
	it_peer_stat_ok(it_s("sg/sub"), &st);
	ck_assert_msg(st.gid == 1001 && (st.mode & S_ISGID),
		      "dir in setgid dir: gid %u mode %04o, expected gid 1001 with S_ISGID",
		      st.gid, st.mode & 07777);

	/* chown by root clears setuid and (group-executable) setgid */
	ck_assert(!it_create(it_c("exe"), 0755, "#!/bin/sh\n"));
	ck_assert(!chmod(it_c("exe"), 06755));
	ck_assert(!stat(it_c("exe"), &cst) && (cst.st_mode & 07777) == 06755);
	ck_assert(!chown(it_c("exe"), 1000, 1000));
	it_peer_stat_ok(it_s("exe"), &st);
	ck_assert_msg(st.uid == 1000 && (st.mode & 07777) == 0755,
		      "after chown: %u %04o on the server, expected 1000 0755",
		      st.uid, st.mode & 07777);
	ck_assert(!stat(it_c("exe"), &cst));
	ck_assert_msg((cst.st_mode & 07777) == 0755, "client sees %04o",
		      cst.st_mode & 07777);

	/* a write by a non-owner clears setuid */
	ck_assert(!it_create(it_c("suid"), 0644, "s"));
	ck_assert(!chmod(it_c("suid"), 04777));
	it_run_as(1000, 1000, NULL, 0, it_nonowner_write_child, NULL);
	it_peer_stat_ok(it_s("suid"), &st);
	ck_assert_msg(!(st.mode & S_ISUID),
		      "setuid survived a write by a non-owner: %04o",
		      st.mode & 07777);
	ck_assert(!stat(it_c("suid"), &cst));
	ck_assert_msg(!(cst.st_mode & S_ISUID), "client still sees %04o",
		      cst.st_mode & 07777);
}
END_TEST

/* --- creds: access(2), chdir(2), execve(2) ------------------------------ */

static int it_access_child(void *arg, char *msg, size_t len)
{
	(void)arg;
	IT_CHILD(msg, len, EACCES, chdir(it_c("private")));
	IT_CHILD(msg, len, EACCES, access(it_c("script"), W_OK));
	IT_CHILD(msg, len, 0, access(it_c("script"), R_OK | X_OK));
	IT_CHILD(msg, len, EACCES, access(it_c("noexec"), X_OK));
	IT_CHILD(msg, len, EACCES,
		 execl(it_c("noexec"), "noexec", (char *)NULL));
	IT_CHILD(msg, len, 0, chdir(it.cdir));
	return 0;
}

/* Run @path; its exit status, or -errno if execve failed. */
static int it_exec(const char *path)
{
	int pfd[2], status, err = 0;
	pid_t pid;

	ck_assert(!pipe2(pfd, O_CLOEXEC));
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		execl(path, path, (char *)NULL);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pfd[1]);
	if (read(pfd[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(pfd[0]);
	ck_assert(!it_wait(pid, &status, IT_TMO_SHORT / 2));
	if (err)
		return -err;
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_creds_access_exec)
{
	ck_assert(!it_create(it_c("script"), 0755, "#!/bin/sh\nexit 7\n"));
	ck_assert(!it_create(it_c("noexec"), 0644, "#!/bin/sh\nexit 0\n"));
	ck_assert(!mkdir(it_c("private"), 0700));
	/* root too needs an execute bit on a regular file */
	ck_assert_int_eq(it_exec(it_c("script")), 7);
	ck_assert_int_eq(it_exec(it_c("noexec")), -EACCES);
	IT_EXPECT_ERR(EACCES, access(it_c("noexec"), X_OK));
	ck_assert(!access(it_c("script"), X_OK));
	ck_assert(!access(it_c("private"), R_OK | W_OK | X_OK));
	it_run_as(1000, 1000, NULL, 0, it_access_child, NULL);
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("private"), 1000, 1000,
				       X_OK), -EACCES);
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("script"), 1000, 1000,
				       W_OK), -EACCES);
}
END_TEST

/* --- squash: client root acts as the squash ids when on ------------------ */

START_TEST(test_squash)
{
	struct peer_stat st;
	int ret;

	ck_assert(!it_create(it_c("secret"), 0600, "secret"));
	ck_assert(!mkdir(it_c("pub"), 0777));
	ck_assert(!chmod(it_c("pub"), 0777));

	ret = peer_param(&it.peer, "qtfs_server_root_squash", 1);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	IT_EXPECT_ERR(EACCES, open(it_c("secret"), O_RDONLY));
	IT_EXPECT_ERR(EACCES, access(it_c("secret"), R_OK));
	ck_assert(!it_create(it_c("pub/squashed"), 0644, "s"));
	it_peer_stat_ok(it_s("pub/squashed"), &st);
	ck_assert_msg(st.uid == IT_SQUASH_ID && st.gid == IT_SQUASH_ID,
		      "file of squashed root is %u:%u, expected %u:%u",
		      st.uid, st.gid, IT_SQUASH_ID, IT_SQUASH_ID);
	IT_EXPECT_ERR(EPERM, chown(it_c("pub/squashed"), 0, 0));

	ret = peer_param(&it.peer, "qtfs_server_root_squash", 0);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ret = open(it_c("secret"), O_RDONLY);
	ck_assert_msg(ret >= 0, "root cannot open its 0600 file after squash off: %s",
		      strerror(errno));
	close(ret);
	ck_assert(!it_create(it_c("pub/root"), 0644, "r"));
	it_peer_stat_ok(it_s("pub/root"), &st);
	ck_assert_msg(st.uid == 0 && st.gid == 0,
		      "file of root with squash off is %u:%u", st.uid, st.gid);
	ck_assert(!chown(it_c("pub/squashed"), 0, 0));
}
END_TEST

void it_add_perm_tests(Suite *s)
{
	TCase *tc;

	tc = it_tcase(s, "creds", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_creds_owner);
	tcase_add_test(tc, test_creds_groups);
	tcase_add_test(tc, test_creds_setid);
	tcase_add_test(tc, test_creds_access_exec);

	tc = it_tcase(s, "squash", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_squash);
}
