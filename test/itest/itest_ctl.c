// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input on the engine's control device: every malformed ioctl is
 * refused with its errno.  A test process that opens /dev/qtfs_server gets
 * a server instance of its own, so nothing here can disturb the running
 * engine; starting a second server while it runs is refused with EBUSY.
 * Registered only where the device exists (single-guest runs).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "itest.h"
#include "uapi/qtfs_ioctl.h"

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
	/* export options: each class of bad value */
	case 5:		/* unknown option bit */
		r->export.flags = QTSRV_EXPORT_FLAGS + 1;
		break;
	case 6:		/* root_squash and no_root_squash */
		r->export.flags = QTSRV_EXPORT_ROOT_SQUASH |
				  QTSRV_EXPORT_NO_ROOT_SQUASH;
		break;
	case 7:		/* all_squash and no_root_squash */
		r->export.flags = QTSRV_EXPORT_ALL_SQUASH |
				  QTSRV_EXPORT_NO_ROOT_SQUASH;
		break;
	case 8:		/* anonuid without its flag */
		r->export.anonuid = 1000;
		break;
	case 9:		/* anonuid that is no id */
		r->export.flags = QTSRV_EXPORT_ANONUID;
		r->export.anonuid = 0xffffffffU;
		break;
	case 10:	/* anongid that is no id */
		r->export.flags = QTSRV_EXPORT_ANONGID;
		r->export.anongid = 0xffffffffU;
		break;
	case 11:	/* inverted uid range */
		r->export.flags = QTSRV_EXPORT_UIDS;
		r->export.uid_min = 2000;
		r->export.uid_max = 1000;
		break;
	case 12:	/* uid range without its flag */
		r->export.uid_max = 1000;
		break;
	case 13:	/* uid range ending in no id */
		r->export.flags = QTSRV_EXPORT_UIDS;
		r->export.uid_max = 0xffffffffU;
		break;
	case 14:	/* reserved field */
		r->export.reserved = 1;
		break;
	case 15:	/* export options outside [Mount] */
		r->wl_class = QTSRV_WL_OPEN;
		r->export.flags = QTSRV_EXPORT_ALL_SQUASH;
		break;
	}
}

#define IT_CTL_BAD_RULES 16

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
	struct qtsrv_ioc_whitelist wl = { .nr_rules = 1,
					  .rule_size = sizeof(r) };
	int fd = it_ctl_open();

	it_ctl_bad_rule(_i, &r);
	wl.rules = (uintptr_t)&r;
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EINVAL, "WL_SET bad rule");
	close(fd);
}
END_TEST

/* The same [Mount] path twice with different options. */
START_TEST(test_ctl_conflicting_exports)
{
	struct qtsrv_wl_rule r[2];
	struct qtsrv_ioc_whitelist wl = { .nr_rules = 2,
					  .rule_size = sizeof(r[0]),
					  .rules = (uintptr_t)r };
	int fd = it_ctl_open();

	it_ctl_bad_rule(-1, &r[0]);
	it_ctl_bad_rule(-1, &r[1]);
	r[1].export.flags = QTSRV_EXPORT_ALL_SQUASH;
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EINVAL,
		      "WL_SET one export with two option sets");
	r[0].export.flags = QTSRV_EXPORT_ALL_SQUASH;
	ck_assert_msg(!ioctl(fd, QTSRV_IOC_WL_SET, &wl),
		      "WL_SET the same export twice, same options: %s",
		      strerror(errno));
	close(fd);
}
END_TEST

START_TEST(test_ctl_bad_whitelist_header)
{
	struct qtsrv_wl_rule r;
	struct qtsrv_ioc_whitelist wl = { .nr_rules = 1 };
	int fd = it_ctl_open();

	it_ctl_bad_rule(-1, &r);	/* a valid rule */
	wl.rules = (uintptr_t)&r;
	/* 0 is the rule layout before export options */
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EINVAL, "WL_SET rule size 0");
	wl.rule_size = sizeof(r) - sizeof(r.export);
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EINVAL,
		      "WL_SET rule size without export options");
	wl.rule_size = sizeof(r) + 8;
	it_ctl_expect(fd, QTSRV_IOC_WL_SET, &wl, EINVAL,
		      "WL_SET rule size too large");
	wl.rule_size = sizeof(r);
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

/* One start argument naming peer 1 (vsock loopback), broken as @i says. */
static const char *it_ctl_bad_start_arg(int i, struct qtsrv_ioc_start *st)
{
	memset(st, 0, sizeof(*st));
	st->nr_peers = 1;
	st->peers[0].family = AF_VSOCK;
	st->peers[0].addr = 1;
	switch (i) {
	case 0:
		st->flags = 1U << 31;
		return "START unknown flag";
	case 1:
		st->nr_peers = QTSRV_PEERS_MAX + 1;
		return "START too many peers";
	case 2:
		st->nr_peers = UINT32_MAX;
		return "START peer count ~0";
	case 3:
		st->peers[0].family = AF_INET6;
		return "START peer of another family";
	case 4:
		st->peers[0].family = 0;
		return "START peer without a family";
	case 5:
		st->peers[0].addr = 0;
		return "START peer CID 0 (hypervisor)";
	case 6:
		st->peers[0].addr = UINT32_MAX;
		return "START peer CID VMADDR_CID_ANY";
	case 7:
		st->peers[0].family = AF_INET;
		st->peers[0].addr = htonl(INADDR_ANY);
		return "START peer 0.0.0.0";
	case 8:
		st->peers[0].family = AF_INET;
		st->peers[0].addr = htonl(0x00010203);
		return "START peer 0.1.2.3";
	case 9:
		st->peers[0].family = AF_INET;
		st->peers[0].addr = htonl(INADDR_BROADCAST);
		return "START peer 255.255.255.255";
	case 10:
		st->peers[0].family = AF_INET;
		st->peers[0].addr = htonl(0xe0000001);
		return "START peer 224.0.0.1 (multicast)";
	case 11:
		st->peers[1].family = AF_VSOCK;
		st->peers[1].addr = 3;
		return "START entry beyond nr_peers set";
	case 12:
		st->peers[QTSRV_PEERS_MAX - 1].addr = 3;
		return "START last entry beyond nr_peers set";
	}
	return NULL;
}

#define IT_CTL_BAD_STARTS	13

/*
 * A bad start argument is EINVAL and starts nothing, even while the engine
 * serves (the argument is checked before anything else).
 */
START_TEST(test_ctl_bad_start_arg)
{
	struct qtsrv_ioc_start st;
	const char *what = it_ctl_bad_start_arg(_i, &st);
	int fd = it_ctl_open();

	it_ctl_expect(fd, QTSRV_IOC_START, &st, EINVAL, what);
	close(fd);
}
END_TEST

START_TEST(test_ctl_bad_start)
{
	struct qtsrv_ioc_start st;
	int fd = it_ctl_open();

	it_ctl_expect(fd, QTSRV_IOC_START, (void *)8, EFAULT,
		      "START bad argument");
	it_ctl_bad_start_arg(-1, &st);	/* valid */
	it_ctl_expect(fd, QTSRV_IOC_START, &st, EBUSY,
		      "START while the engine serves");
	st.nr_peers = QTSRV_PEERS_MAX;	/* a full list of valid peers */
	for (unsigned int i = 0; i < QTSRV_PEERS_MAX; i++) {
		st.peers[i].family = i % 2 ? AF_INET : AF_VSOCK;
		st.peers[i].addr = i % 2 ? htonl(0x7f000001 + i) : i + 1;
	}
	it_ctl_expect(fd, QTSRV_IOC_START, &st, EBUSY,
		      "START with 16 peers while the engine serves");
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
	tcase_add_test(tc, test_ctl_conflicting_exports);
	tcase_add_test(tc, test_ctl_bad_whitelist_header);
	tcase_add_loop_test(tc, test_ctl_bad_start_arg, 0, IT_CTL_BAD_STARTS);
	tcase_add_test(tc, test_ctl_bad_start);
}
