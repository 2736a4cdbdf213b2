// SPDX-License-Identifier: GPL-2.0
/*
 * READLINK of procfs magic links through an exported /proc: each must
 * answer what readlink(2) on the server answers, and never oops the
 * server (their ->get_link needs a path walk that a handler does not
 * have).  The class runs in the server's guest, so readlink(2) on the
 * local /proc is the server's answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "hostile.h"

#define PROC_EXPORT	"/proc"

/* Connect, HELLO and MOUNT /proc, which the guest whitelist exports. */
static int proc_mount(struct sess *s)
{
	if (sess_open(s))
		return -1;
	if (hello(s) || call(s, QTFS_OP_MOUNT, "s", PROC_EXPORT)) {
		tk_check("HELLO + MOUNT " PROC_EXPORT, 0);
		sess_close(s);
		return -1;
	}
	return 0;
}

/* The target in the last READLINK reply, or NULL. */
static const char *reply_target(void)
{
	const char *target = NULL;
	struct qtfs_buf b;

	qtfs_buf_init(&b, rbuf, rlen);
	if (qtfs_proto_unpack(&b, "s", &target))
		return NULL;
	return target;
}

/*
 * READLINK @rel (below /proc) as root: success and the text readlink(2)
 * gives for /proc/@local here.
 */
static void readlink_same(struct sess *s, const char *rel, const char *local)
{
	char what[512], path[256], want[QTFS_PATH_MAX];
	const char *got;
	ssize_t n;
	int ret;

	snprintf(what, sizeof(what), "READLINK %s", rel);
	snprintf(path, sizeof(path), PROC_EXPORT "/%s", local);
	n = readlink(path, want, sizeof(want) - 1);
	if (n < 0) {
		printf("  readlink(%s): %s\n", path, strerror(errno));
		tk_check(what, 0);
		return;
	}
	want[n] = '\0';
	ret = call(s, QTFS_OP_READLINK, "p", rel);
	expect(what, ret, 0);
	if (ret)
		return;
	got = reply_target();
	if (!got || strcmp(got, want))
		printf("  server says \"%s\", readlink(2) \"%s\"\n",
		       got ? got : "(undecodable)", want);
	snprintf(what, sizeof(what), "READLINK %s is \"%.300s\"", rel, want);
	tk_check(what, got && !strcmp(got, want));
}

static void class_proc(void)
{
	static const char * const links[] = {
		"cwd", "exe", "root", "fd/0", "ns/net", "ns/mnt",
	};
	const struct qtfs_cred user = { .fsuid = 1000, .fsgid = 1000 };
	char rel[64], local[64], self[32] = "";
	const char *target;
	struct sess s;
	size_t i;

	if (proc_mount(&s))
		return;
	/* "self" is an ordinary symlink: the engine thread's pid */
	expect("READLINK self", call(&s, QTFS_OP_READLINK, "p", "self"), 0);
	target = reply_target();
	tk_check("READLINK self is a pid",
	      target && *target && strspn(target, "0123456789") == strlen(target));
	if (target)
		snprintf(self, sizeof(self), "%s", target);

	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(rel, sizeof(rel), "1/%s", links[i]);
		readlink_same(&s, rel, rel);
		if (!*self)
			continue;
		/* through the "self" symlink: the engine's own links */
		snprintf(rel, sizeof(rel), "self/%s", links[i]);
		snprintf(local, sizeof(local), "%s/%s", self, links[i]);
		readlink_same(&s, rel, local);
	}
	/* proc_pid_readlink()'s ptrace check sees the caller, as readlink(2) */
	expect("READLINK 1/cwd as uid 1000",
	       call_as(&s, &user, QTFS_OP_READLINK, "p", "1/cwd"), -EACCES);
	expect("READLINK 1/ns/net as uid 1000",
	       call_as(&s, &user, QTFS_OP_READLINK, "p", "1/ns/net"), -EACCES);
	/* not links: as readlink(2) */
	expect("READLINK 1/status (not a link)",
	       call(&s, QTFS_OP_READLINK, "p", "1/status"), -EINVAL);
	expect("READLINK 1 (a directory)",
	       call(&s, QTFS_OP_READLINK, "p", "1"), -EINVAL);
	/* the server survived all of it */
	expect("GETATTR 1 after", call(&s, QTFS_OP_GETATTR, "pq", "1", 0ULL),
	       0);
	sess_close(&s);
}
HOSTILE_CLASS("proc", class_proc);
