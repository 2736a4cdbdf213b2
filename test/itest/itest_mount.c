// SPDX-License-Identifier: GPL-2.0
/*
 * mount(2) of type "qtfs": the server refuses exports outside the [Mount]
 * whitelist with EPERM and missing whitelisted paths with ENOENT, and a
 * whitelisted export mounts and unmounts cleanly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

/* mount(@src) on a fresh directory must fail with @want. */
static void it_mount_must_fail(const char *src, int want, const char *why)
{
	char target[] = IT_MNT_TEMPLATE;
	int ret, err;

	ck_assert_msg(mkdtemp(target), "mkdtemp: %s", strerror(errno));
	ret = mount(src, target, IT_FSTYPE, 0, NULL);
	err = errno;
	if (!ret) {
		umount2(target, MNT_DETACH);
		rmdir(target);
		ck_abort_msg("mount -t qtfs %s %s succeeded; expected %s (%s)",
			     src, target, it_errname(want), why);
	}
	rmdir(target);
	ck_assert_msg(err == want,
		      "mount -t qtfs %s: got %s (%s), expected %s (%s)%s", src,
		      it_errname(err), strerror(err), it_errname(want), why,
		      it_mount_hint(err));
}

START_TEST(test_mount_not_whitelisted)
{
	it_mount_must_fail("/etc", EPERM, "/etc is not in the [Mount] whitelist");
}
END_TEST

START_TEST(test_mount_missing)
{
	char src[PATH_MAX];

	snprintf(src, sizeof(src), "%s/does-not-exist", it_cfg.server_root);
	it_mount_must_fail(src, ENOENT,
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

void it_add_mount_tests(Suite *s)
{
	TCase *tc = it_tcase(s, "mount", IT_TMO_SHORT, false);

	tcase_add_test(tc, test_mount_not_whitelisted);
	tcase_add_test(tc, test_mount_missing);
	tcase_add_test(tc, test_mount_whitelisted);
}
