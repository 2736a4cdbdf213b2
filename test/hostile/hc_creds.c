// SPDX-License-Identifier: GPL-2.0
/*
 * Class "creds": the identity a request runs as on the server.
 *
 * The client states its caller's ids on the wire; the server must run the
 * op as exactly that caller in every credential field, with no
 * capabilities unless it is an unsquashed root.  Checked where it shows:
 * a non-root caller cannot write a root-only sysctl through an exported
 * /proc (procfs checks euid, not fsuid), and files a caller creates belong
 * to it, or to the squash ids when root is squashed.
 *
 * Needs /proc and --export in [Mount] (the guest whitelist has both) and
 * runs as root in the server's guest: it reads the server's files
 * directly and flips qtfs_server_root_squash, restoring it at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hostile.h"

#define CORE_PATTERN	"/proc/sys/kernel/core_pattern"
#define SQUASH_PARAM	"/sys/module/qtfs_server/parameters/qtfs_server_root_squash"
#define SQUASH_UID	"/sys/module/qtfs_server/parameters/qtfs_server_squash_uid"
#define SQUASH_GID	"/sys/module/qtfs_server/parameters/qtfs_server_squash_gid"
#define CREDS_DIR	"hc_creds"	/* below --export, mode 1777 */

static const struct qtfs_cred root_cred;
static const struct qtfs_cred user_cred = {
	.fsuid = 1000, .fsgid = 1000, .ngroups = 2, .groups = { 1000, 2000 },
};
/* a user claiming the root group, as fsgid and supplementary group */
static const struct qtfs_cred user_rootgrp_cred = {
	.fsuid = 1000, .fsgid = 0, .ngroups = 1, .groups = { 0 },
};

/* The first line of a local file into @buf ("" if unreadable). */
static void read_line(const char *path, char *buf, size_t len)
{
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static int write_str(const char *path, const char *s)
{
	ssize_t n = -1;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = write(fd, s, strlen(s));
		close(fd);
	}
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Connect, HELLO and MOUNT @path. */
static int mount_at(struct sess *s, const char *path)
{
	if (sess_open(s))
		return -1;
	if (hello(s) || call(s, QTFS_OP_MOUNT, "s", path)) {
		printf("  HELLO + MOUNT %s failed\n", path);
		check("HELLO + MOUNT", 0);
		sess_close(s);
		return -1;
	}
	return 0;
}

/* The handle of the last OPEN or CREATE reply, 0 if it does not decode. */
static u64 reply_handle(u16 opcode, struct qtfs_attr *attr)
{
	struct qtfs_buf b;
	u64 h = 0;
	u32 cflags;

	qtfs_buf_init(&b, rbuf, rlen);
	if (qtfs_proto_unpack(&b, opcode == QTFS_OP_CREATE ? "qAd" : "qA", &h,
			      attr, &cflags))
		return 0;
	return h;
}

/*
 * @cred opens core_pattern for writing through the /proc session @s:
 * refused with EACCES, and the value stays.  Should the open succeed (the
 * bug), the write is attempted for real so that the damage shows, and the
 * value is put back.
 */
static void try_core_pattern(struct sess *s, const struct qtfs_cred *cred,
			     const char *who)
{
	static const char evil[] = "|/bin/false qtfs-hostile-creds";
	char before[256], after[256], what[384];
	struct qtfs_attr attr;
	u64 h;
	int ret;

	read_line(CORE_PATTERN, before, sizeof(before));
	ret = call_as(s, cred, QTFS_OP_OPEN, "pd", "sys/kernel/core_pattern",
		      QTFS_O_WRONLY);
	snprintf(what, sizeof(what), "%s: OPEN core_pattern for writing", who);
	expect(what, ret, -EACCES);
	if (!ret) {
		h = reply_handle(QTFS_OP_OPEN, &attr);
		call_as(s, cred, QTFS_OP_WRITE, "qqB", h, 0ULL, evil,
			(u32)strlen(evil));
		call_as(s, cred, QTFS_OP_RELEASE, "q", h);
	}
	read_line(CORE_PATTERN, after, sizeof(after));
	snprintf(what, sizeof(what), "%s: core_pattern unchanged ('%s')", who,
		 after);
	check(what, !strcmp(before, after));
	if (strcmp(before, after))
		write_str(CORE_PATTERN, before);
}

/* An euid check: sysctls under an exported /proc. */
static void creds_sysctl(void)
{
	struct qtfs_attr attr;
	struct sess s;
	char old[8];
	int ret;

	if (mount_at(&s, "/proc"))
		return;
	ret = call_as(&s, &user_cred, QTFS_OP_OPEN, "pd",
		      "sys/kernel/core_pattern", QTFS_O_RDONLY);
	expect("uid 1000: OPEN core_pattern for reading (0644)", ret, 0);
	if (!ret)
		call_as(&s, &user_cred, QTFS_OP_RELEASE, "q",
			reply_handle(QTFS_OP_OPEN, &attr));
	try_core_pattern(&s, &user_cred, "uid 1000");
	try_core_pattern(&s, &user_rootgrp_cred, "uid 1000, gid 0");

	read_line(SQUASH_PARAM, old, sizeof(old));
	if (write_str(SQUASH_PARAM, "Y")) {
		check("set qtfs_server_root_squash", 0);
	} else {
		try_core_pattern(&s, &root_cred, "squashed root");
		write_str(SQUASH_PARAM, old[0] ? old : "N");
	}
	sess_close(&s);
}

/*
 * @cred creates @name in CREDS_DIR: the server's file (checked both in the
 * reply and on disk) is owned by @uid:@gid.  The file is removed again.
 */
static void create_owned(struct sess *s, const struct qtfs_cred *cred,
			 const char *who, const char *name, u32 uid, u32 gid)
{
	char what[256], path[4096];
	struct qtfs_attr attr;
	struct stat st;
	int ret;
	u64 h;

	call_as(s, cred, QTFS_OP_UNLINK, "pn", CREDS_DIR, name);
	ret = call_as(s, cred, QTFS_OP_CREATE, "pnddd", CREDS_DIR, name,
		      QTFS_O_RDWR, 0644, 022);
	snprintf(what, sizeof(what), "%s: CREATE %s", who, name);
	expect(what, ret, 0);
	if (ret)
		return;
	h = reply_handle(QTFS_OP_CREATE, &attr);
	snprintf(what, sizeof(what),
		 "%s: reply says %s is %u:%u, want %u:%u", who, name, attr.uid,
		 attr.gid, uid, gid);
	check(what, attr.uid == uid && attr.gid == gid);
	snprintf(path, sizeof(path), "%s/%s/%s", export, CREDS_DIR, name);
	memset(&st, 0xff, sizeof(st));
	stat(path, &st);
	snprintf(what, sizeof(what), "%s: server file %s is %u:%u", who, name,
		 st.st_uid, st.st_gid);
	check(what, st.st_uid == uid && st.st_gid == gid);
	call_as(s, cred, QTFS_OP_RELEASE, "q", h);
	/* the owner may remove it from the sticky directory */
	call_as(s, cred, QTFS_OP_UNLINK, "pn", CREDS_DIR, name);
}

static unsigned int read_uint(const char *path)
{
	char buf[32];

	read_line(path, buf, sizeof(buf));
	return strtoul(buf, NULL, 10);
}

/* Files belong to the caller, or to the squash ids for a squashed root. */
static void creds_owner(void)
{
	unsigned int suid, sgid;
	struct sess s;
	char old[8];

	if (mount_at(&s, export))
		return;
	call(&s, QTFS_OP_MKDIR, "pndd", "", CREDS_DIR, 01777, 0);
	expect("SETATTR " CREDS_DIR " mode 1777",
	       call(&s, QTFS_OP_SETATTR, "pqddddqqdqd", CREDS_DIR, 0ULL,
		    QTFS_SETATTR_MODE, 01777, 0, 0, 0ULL, 0ULL, 0, 0ULL, 0),
	       0);
	read_line(SQUASH_PARAM, old, sizeof(old));
	if (write_str(SQUASH_PARAM, "N")) {
		check("clear qtfs_server_root_squash", 0);
		goto out;
	}
	create_owned(&s, &user_cred, "uid 1000", "u1000", 1000, 1000);
	create_owned(&s, &user_rootgrp_cred, "uid 1000, gid 0", "u1000g0",
		     1000, 0);
	create_owned(&s, &root_cred, "root", "root", 0, 0);
	suid = read_uint(SQUASH_UID);
	sgid = read_uint(SQUASH_GID);
	write_str(SQUASH_PARAM, "Y");
	create_owned(&s, &root_cred, "squashed root", "squashed", suid, sgid);
	expect("squashed root: SETATTR chown to 0 (no CAP_CHOWN)",
	       call(&s, QTFS_OP_SETATTR, "pqddddqqdqd", CREDS_DIR, 0ULL,
		    QTFS_SETATTR_UID, 0, 0, 0, 0ULL, 0ULL, 0, 0ULL, 0),
	       -EPERM);
	write_str(SQUASH_PARAM, old[0] ? old : "N");
out:
	call(&s, QTFS_OP_RMDIR, "pn", "", CREDS_DIR);
	sess_close(&s);
}

static void class_creds(void)
{
	creds_sysctl();
	creds_owner();
}
HOSTILE_CLASS("creds", class_creds);
