// SPDX-License-Identifier: GPL-2.0
/*
 * mount(2) of type "qtfs": the server refuses exports outside the [Mount]
 * whitelist with EPERM and missing whitelisted paths with ENOENT, and a
 * whitelisted export mounts and unmounts cleanly.  Bad mount options and a
 * bad qtfs_log_level value are refused with EINVAL and change nothing.
 * devices= and setid= decide what the client makes of device numbers and
 * set-id bits the server reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "itest.h"

#define IT_FSTYPE	"qtfs"
#define IT_MNT_TEMPLATE	"/tmp/qtfs-itest-mnt.XXXXXX"

static const char *it_mount_hint(int err)
{
	if (err == ENODEV)
		return " (filesystem type qtfs unknown: is qtfs.ko loaded?)";
	return "";
}

/* mount(@src, @opts) on a fresh directory must fail with @want. */
static void it_mount_must_fail(const char *src, const char *opts, int want,
			       const char *why)
{
	char target[] = IT_MNT_TEMPLATE;
	int ret, err;

	ck_assert_msg(mkdtemp(target), "mkdtemp: %s", strerror(errno));
	ret = mount(src, target, IT_FSTYPE, 0, opts);
	err = errno;
	if (!ret) {
		umount2(target, MNT_DETACH);
		rmdir(target);
		ck_abort_msg("mount -t qtfs -o %s %s %s succeeded; expected %s (%s)",
			     opts ? opts : "", src, target, it_errname(want), why);
	}
	rmdir(target);
	ck_assert_msg(err == want,
		      "mount -t qtfs -o %s %s: got %s (%s), expected %s (%s)%s",
		      opts ? opts : "", src, it_errname(err), strerror(err),
		      it_errname(want), why, it_mount_hint(err));
}

START_TEST(test_mount_not_whitelisted)
{
	it_mount_must_fail("/etc", NULL, EPERM,
			   "/etc is not in the [Mount] whitelist");
}
END_TEST

START_TEST(test_mount_missing)
{
	char src[PATH_MAX];

	snprintf(src, sizeof(src), "%s/does-not-exist", it_cfg.server_root);
	it_mount_must_fail(src, NULL, ENOENT,
			   "whitelisted parent, but the path does not exist");
}
END_TEST

/* The export mounts a second time, shows this run's directory, unmounts. */
START_TEST(test_mount_whitelisted)
{
	char target[] = IT_MNT_TEMPLATE;
	char run[PATH_MAX + sizeof(target)];
	struct stat st;
	int ret, err;

	ck_assert_msg(mkdtemp(target), "mkdtemp: %s", strerror(errno));
	ret = mount(it_cfg.server_root, target, IT_FSTYPE, 0, NULL);
	err = errno;
	if (ret) {
		rmdir(target);
		ck_abort_msg("mount -t qtfs %s %s: %s (%s)%s", it_cfg.server_root,
			     target, it_errname(err), strerror(err),
			     it_mount_hint(err));
	}
	snprintf(run, sizeof(run), "%s/%s", target, it_cfg.run_rel);
	ret = stat(run, &st);
	err = errno;
	if (umount2(target, 0)) {
		int uerr = errno;

		umount2(target, MNT_DETACH);
		ck_abort_msg("umount %s: %s", target, strerror(uerr));
	}
	rmdir(target);
	ck_assert_msg(!ret && S_ISDIR(st.st_mode),
		      "second mount of %s does not show %s: %s", it_cfg.server_root,
		      it_cfg.run_rel, ret ? strerror(err) : "not a directory");
}
END_TEST

/* Options the client must refuse before contacting the server. */
static const struct {
	const char *opts;
	const char *why;
} it_bad_opts[] = {
	{ "trans=pigeon", "unknown transport" },
	{ "port=70000", "port out of range" },
	{ "timeout=abc", "timeout not a number" },
	{ "timeout=99999999999", "timeout overflows" },
	{ "cid=-1x", "cid not a number" },
	{ "ip=1.2.3.4.5.6.7.8.9", "ip longer than an IPv4 address" },
	{ "bogus=1", "unknown option" },
	{ "devices=all", "devices= is none or local" },
	{ "devices", "devices= needs a value" },
	{ "setid=maybe", "setid= is ignore or allow" },
};

START_TEST(test_mount_bad_options)
{
	it_mount_must_fail(it_cfg.server_root, it_bad_opts[_i].opts, EINVAL,
			   it_bad_opts[_i].why);
}
END_TEST

START_TEST(test_mount_relative_source)
{
	it_mount_must_fail(it_cfg.server_root + 1, NULL, EINVAL,
			   "the source must be an absolute server path");
}
END_TEST

#define IT_LOG_LEVEL "/sys/module/qtfs/parameters/qtfs_log_level"

/* A bad qtfs_log_level write fails with EINVAL and keeps the old level. */
START_TEST(test_log_level_bad_value)
{
	char before[32] = "", after[32] = "";
	ssize_t n;
	int fd, err;

	fd = open(IT_LOG_LEVEL, O_RDWR);
	ck_assert_msg(fd >= 0, "open %s: %s", IT_LOG_LEVEL, strerror(errno));
	n = pread(fd, before, sizeof(before) - 1, 0);
	ck_assert_msg(n > 0, "read %s: %s", IT_LOG_LEVEL, strerror(errno));
	n = pwrite(fd, "LOUD", 4, 0);
	err = errno;
	ck_assert_msg(n < 0 && err == EINVAL,
		      "writing LOUD to %s: got %zd (%s), expected EINVAL",
		      IT_LOG_LEVEL, n, n < 0 ? strerror(err) : "accepted");
	n = pread(fd, after, sizeof(after) - 1, 0);
	close(fd);
	ck_assert_msg(n > 0 && !strcmp(before, after),
		      "qtfs_log_level changed from %s to %s", before, after);
}
END_TEST

/* Mount the export with @opts and @flags on a fresh directory. */
static void it_mount_at(char *target, unsigned long flags, const char *opts)
{
	ck_assert_msg(mkdtemp(target), "mkdtemp: %s", strerror(errno));
	if (mount(it_cfg.server_root, target, IT_FSTYPE, flags, opts)) {
		int err = errno;

		rmdir(target);
		ck_abort_msg("mount -t qtfs -o %s %s: %s%s", opts ? opts : "",
			     it_cfg.server_root, strerror(err),
			     it_mount_hint(err));
	}
}

static void it_umount_at(const char *target)
{
	if (umount2(target, 0)) {
		int err = errno;

		umount2(target, MNT_DETACH);
		rmdir(target);
		ck_abort_msg("umount %s: %s", target, strerror(err));
	}
	rmdir(target);
}

/* Does the mountinfo line of @target list mount option @opt? */
static bool it_mount_shows(const char *target, const char *opt)
{
	char line[1024], *p;
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "r");
	ck_assert_msg(f, "/proc/self/mountinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		p = strchr(line, ' ');
		p = p ? strchr(p + 1, ' ') : NULL;
		p = p ? strchr(p + 1, ' ') : NULL;
		p = p ? strchr(p + 1, ' ') : NULL;	/* before the mount point */
		if (!p || strncmp(p + 1, target, strlen(target)) ||
		    p[1 + strlen(target)] != ' ')
			continue;
		found = strstr(p, opt) != NULL;
		break;
	}
	fclose(f);
	return found;
}

/*
 * The server's device nodes: opened by the client's own drivers only with
 * devices=local, and even then not on a nodev mount (the VFS's flag).
 */
static const struct {
	const char *opts;
	unsigned long flags;
	int want;
} it_dev_rows[] = {
	{ NULL, 0, EACCES },
	{ "devices=none", 0, EACCES },
	{ "devices=local", 0, 0 },
	{ "devices=local", MS_NODEV, EACCES },
};

START_TEST(test_mount_devices)
{
	const char *opts = it_dev_rows[_i].opts;
	char target[] = IT_MNT_TEMPLATE;
	char node[PATH_MAX + sizeof(target)];
	bool local = opts && !strcmp(opts, "devices=local");
	struct stat st;
	int fd, err;

	/* null's numbers: harmless if a broken client opened it anyway */
	ck_assert_msg(!mknod(it_c("null"), S_IFCHR | 0666, makedev(1, 3)),
		      "mknod %s: %s", it_c("null"), strerror(errno));
	it_mount_at(target, it_dev_rows[_i].flags, opts);
	snprintf(node, sizeof(node), "%s/%s/null", target, it.rel);
	if (stat(node, &st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(1, 3)) {
		it_umount_at(target);
		ck_abort_msg("%s is not the char device 1:3", node);
	}
	errno = 0;
	fd = open(node, O_RDWR);
	err = errno;
	if (fd >= 0) {
		err = write(fd, "abc", 3) == 3 ? 0 : EIO;
		close(fd);
	}
	ck_assert_msg(it_mount_shows(target, "devices=local") == local,
		      "mountinfo of %s does not say devices=%s", target,
		      local ? "local" : "none (by omission)");
	it_umount_at(target);
	ck_assert_msg(err == it_dev_rows[_i].want,
		      "open+write of a device node, -o %s%s: got %s, expected %s",
		      opts ? opts : "(none)",
		      it_dev_rows[_i].flags ? " + MS_NODEV" : "",
		      it_errname(err), it_errname(it_dev_rows[_i].want));
}
END_TEST

/*
 * setid= changes what execve() makes of set-id bits (the hostile-server
 * scenario "suid" runs that), never what stat() and chmod() see.
 */
START_TEST(test_mount_setid_visible)
{
	static const char *const opts[] = { NULL, "setid=allow" };
	char target[] = IT_MNT_TEMPLATE;
	char file[PATH_MAX + sizeof(target)];
	struct stat st;
	int fd, ret;

	fd = open(it_c("s"), O_CREAT | O_WRONLY, 0755);
	ck_assert_msg(fd >= 0, "create %s: %s", it_c("s"), strerror(errno));
	close(fd);
	ck_assert_msg(!chmod(it_c("s"), 06755), "chmod: %s", strerror(errno));
	it_mount_at(target, 0, opts[_i]);
	snprintf(file, sizeof(file), "%s/%s/s", target, it.rel);
	ret = stat(file, &st);
	if (!ret && st.st_mode == (S_IFREG | 06755))
		ret = chmod(file, 04711) || stat(file, &st) ||
		      st.st_mode != (S_IFREG | 04711);
	it_umount_at(target);
	ck_assert_msg(!ret, "-o %s: mode %o after chmod 06755 and 04711",
		      opts[_i] ? opts[_i] : "(none)", st.st_mode);
	ck_assert_msg(!stat(it_c("s"), &st) && st.st_mode == (S_IFREG | 04711),
		      "main mount: mode %o, expected 0104711", st.st_mode);
}
END_TEST

void it_add_mount_tests(Suite *s)
{
	TCase *tc = it_tcase(s, "mount", IT_TMO_SHORT, false);

	tcase_add_test(tc, test_mount_not_whitelisted);
	tcase_add_test(tc, test_mount_missing);
	tcase_add_test(tc, test_mount_whitelisted);
	tcase_add_loop_test(tc, test_mount_bad_options, 0,
			    (int)(sizeof(it_bad_opts) / sizeof(it_bad_opts[0])));
	tcase_add_test(tc, test_mount_relative_source);
	tcase_add_test(tc, test_log_level_bad_value);

	tc = it_tcase(s, "mountopt", IT_TMO_SHORT, true);
	tcase_add_loop_test(tc, test_mount_devices, 0,
			    (int)(sizeof(it_dev_rows) / sizeof(it_dev_rows[0])));
	tcase_add_loop_test(tc, test_mount_setid_visible, 0, 2);
}
