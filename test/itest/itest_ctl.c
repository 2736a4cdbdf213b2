// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input on the engine's control device: every malformed ioctl is
 * refused with its errno.  A test process that opens /dev/qtfs_server gets
 * a server instance of its own, so nothing here can disturb the running
 * engine; starting a second server while it runs is refused with EBUSY.
 * Registered only where the device exists (single-guest runs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "itest.h"
#include "../../include/uapi/qtfs_ioctl.h"

/* One rule set of a single rule, broken in the way @_i says. */
static void it_ctl_bad_rule(int i, struct qtsrv_wl_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->wl_class = QTSRV_WL_MOUNT;
	strcpy(r->path, "/srv/share");
	r->path_len = strlen(r->path);
	switch (i) {
	case 0:		/* class out of range */
		r->wl_class = __QTSRV_WL_MAX;
		break;
	case 1:		/* relative path */
		strcpy(r->path, "srv/share");
		r->path_len = strlen(r->path);
		break;
	case 2:		/* length disagrees with the string */
		r->path_len = 3;
		break;
	case 3:		/* ".." component */
		strcpy(r->path, "/srv/../etc");
		r->path_len = strlen(r->path);
		break;
	case 4:		/* no NUL within the buffer */
		memset(r->path, 'a', sizeof(r->path));
		r->path[0] = '/';
		r->path_len = sizeof(r->path);
		break;
	}
}

#define IT_CTL_BAD_RULES 5

static int it_ctl_open(void)
{
	int fd = open(QTSRV_DEV_PATH, O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", QTSRV_DEV_PATH, strerror(errno));
	return fd;
}

/* ioctl(@fd, @cmd, @arg) must fail with @want. */
static void it_ctl_expect(int fd, unsigned long cmd, void *arg, int want,
			  const char *what)
{
	int ret = ioctl(fd, cmd, arg);
	int err = errno;

	ck_assert_msg(ret < 0 && err == want, "%s: got %d (%s), expected %s",
		      what, ret, ret < 0 ? strerror(err) : "accepted",
		      it_errname(want));
}

START_TEST(test_ctl_bad_rule)
{
	struct qtsrv_wl_rule r;
	struct qtsrv_ioc_whitelist wl = { .nr_rules = 1 };
	int fd = it_ctl_open();

	it_ctl_bad_rule(_i, &r);
	wl.rules = (uintptr_t)&r;
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EINVAL, "WL_SET bad rule");
	close(fd);
}
END_TEST

START_TEST(test_ctl_bad_whitelist_header)
{
	struct qtsrv_wl_rule r;
	struct qtsrv_ioc_whitelist wl = { .nr_rules = 1, .reserved = 1 };
	int fd = it_ctl_open();

	it_ctl_bad_rule(-1, &r);	/* a valid rule */
	wl.rules = (uintptr_t)&r;
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EINVAL, "WL_SET reserved");
	wl.reserved = 0;
	wl.nr_rules = QTSRV_WL_RULES_MAX + 1;
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EINVAL, "WL_SET too many");
	wl.nr_rules = 1;
	wl.rules = 8;			/* unmapped user address */
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EFAULT, "WL_SET bad rules");
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, (void *)8, EFAULT,
		      "WL_SET bad argument");
	close(fd);
}
END_TEST

START_TEST(test_ctl_bad_start)
{
	struct qtsrv_ioc_start st = { .flags = 1 };
	int fd = it_ctl_open();

	it_ctl_expect(fd, QTSRV_IOC_START, &st, EINVAL, "START flags");
	st.flags = 0;
	st.reserved = 1;
	it_ctl_expect(fd, QTSRV_IOC_START, &st, EINVAL, "START reserved");
	it_ctl_expect(fd, QTSRV_IOC_START, (void *)8, EFAULT,
		      "START bad argument");
	st.reserved = 0;
	it_ctl_expect(fd, QTSRV_IOC_START, &st, EBUSY,
		      "START while the engine serves");
	it_ctl_expect(fd, _IO(QTSRV_IOC_MAGIC, 99), NULL, ENOTTY,
		      "unknown ioctl");
	close(fd);
}
END_TEST

void it_add_ctl_tests(Suite *s)
{
	TCase *tc;

	if (access(QTSRV_DEV_PATH, F_OK)) {
		printf("qtfs_itest: no %s here (server in another guest): ctl tests not registered\n",
		       QTSRV_DEV_PATH);
		return;
	}
	tc = it_tcase(s, "ctl", IT_TMO_SHORT, false);
	tcase_add_loop_test(tc, test_ctl_bad_rule, 0, IT_CTL_BAD_RULES);
	tcase_add_test(tc, test_ctl_bad_whitelist_header);
	tcase_add_test(tc, test_ctl_bad_start);
}
