// SPDX-License-Identifier: GPL-2.0
/*
 * Class "creds": the identity a request runs as on the server.
 *
 * The client states its caller's ids on the wire; the server must run the
 * op as exactly that caller in every credential field, with no
 * capabilities unless it is an unsquashed root.  Checked where it shows:
 * a non-root caller cannot write a root-only sysctl through an exported
 * /proc (procfs checks euid, not fsuid), and files a caller creates belong
 * to it, or to the squash ids when root is squashed.  Then the per-export
 * options of [Mount]: root_squash/no_root_squash against the module
 * parameter, all_squash, anonuid/anongid, uids=MIN-MAX, and a reload that
 * changes the options of a mounted session.
 *
 * Needs /proc and --export in [Mount] (the guest whitelist has both) and
 * runs as root in the server's guest: it reads the server's files
 * directly, flips qtfs_server_root_squash, and adds [Mount] entries below
 * --export with `qtinfo wl add` (the engine's default whitelist and
 * pidfile), restoring both at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
		tk_check("HELLO + MOUNT", 0);
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
	tk_check(what, !strcmp(before, after));
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
		tk_check("set qtfs_server_root_squash", 0);
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
	tk_check(what, attr.uid == uid && attr.gid == gid);
	snprintf(path, sizeof(path), "%s/%s/%s", export, CREDS_DIR, name);
	memset(&st, 0xff, sizeof(st));
	stat(path, &st);
	snprintf(what, sizeof(what), "%s: server file %s is %u:%u", who, name,
		 st.st_uid, st.st_gid);
	tk_check(what, st.st_uid == uid && st.st_gid == gid);
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
		tk_check("clear qtfs_server_root_squash", 0);
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

/* ----- per-export options ----- */

#define SQ_DIR		"hc_sq"		/* root_squash,anonuid=4321,anongid=4322 */
#define ALL_DIR		"hc_all"	/* all_squash,anonuid=5555,anongid=5556 */
#define UIDS_DIR	"hc_uids"	/* no_root_squash,uids=1000-1999 */
#define RELOAD_DIR	"hc_reload"	/* none, then all_squash,anonuid=7777,... */

static const char *const export_opts[][2] = {
	{ SQ_DIR, "root_squash,anonuid=4321,anongid=4322" },
	{ ALL_DIR, "all_squash,anonuid=5555,anongid=5556" },
	{ UIDS_DIR, "no_root_squash,uids=1000-1999" },
	{ RELOAD_DIR, "" },
};

#define NR_EXPORTS	(sizeof(export_opts) / sizeof(export_opts[0]))

/* Run `qtinfo wl ...` with @args; 0 if it succeeded.  @quiet: no stderr. */
static int qtinfo_wl(const char *args, int quiet)
{
	char cmd[8192];
	int st;

	snprintf(cmd, sizeof(cmd), "qtinfo wl %s >/dev/null%s", args,
		 quiet ? " 2>&1" : "");
	st = system(cmd);
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

/* [Mount] entry of @dir below --export, with @opts if not empty. */
static void export_entry(char *buf, size_t len, const char *dir,
			 const char *opts)
{
	snprintf(buf, len, "'%s/%s%s%s%s'", export, dir, *opts ? "(" : "",
		 opts, *opts ? ")" : "");
}

static int exports_add(void)
{
	char entry[4200], args[4300];
	size_t i;

	for (i = 0; i < NR_EXPORTS; i++) {
		export_entry(entry, sizeof(entry), export_opts[i][0],
			     export_opts[i][1]);
		snprintf(args, sizeof(args), "add Mount %s", entry);
		if (qtinfo_wl(args, 0)) {
			printf("  qtinfo wl %s failed\n", args);
			return -1;
		}
	}
	return 0;
}

/* Remove the test exports; @quiet for the cleanup of an earlier run. */
static void exports_del(int quiet)
{
	char args[4300];
	size_t i;

	for (i = 0; i < NR_EXPORTS; i++) {
		snprintf(args, sizeof(args), "del Mount '%s/%s'", export,
			 export_opts[i][0]);
		qtinfo_wl(args, quiet);
	}
}

/* `qtinfo wl list` shows every option set as the whitelist spells it. */
static int exports_listed(void)
{
	char line[4300], want[4300];
	unsigned int found = 0;
	size_t i;
	FILE *f;

	f = popen("qtinfo wl list", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < NR_EXPORTS; i++) {
			if (!*export_opts[i][1])
				continue;
			snprintf(want, sizeof(want), "Mount %s/%s(%s)", export,
				 export_opts[i][0], export_opts[i][1]);
			if (!strcmp(line, want))
				found++;
		}
	}
	pclose(f);
	return found == NR_EXPORTS - 1;
}

/* A session on @dir below --export. */
static int mount_sub(struct sess *s, const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", export, dir);
	return mount_at(s, path);
}

/* Make @dir below --export (and CREDS_DIR in it) as root, mode 1777. */
static void make_dirs(struct sess *share, const char *dir)
{
	char sub[256];

	call(share, QTFS_OP_MKDIR, "pndd", "", dir, 0755, 0);
	snprintf(sub, sizeof(sub), "%s/%s", dir, CREDS_DIR);
	call(share, QTFS_OP_MKDIR, "pndd", dir, CREDS_DIR, 01777, 0);
	call(share, QTFS_OP_SETATTR, "pqddddqqdqd", sub, 0ULL,
	     QTFS_SETATTR_MODE, 01777, 0, 0, 0ULL, 0ULL, 0, 0ULL, 0);
}

/*
 * create_owned() checks the server's file through --export/CREDS_DIR;
 * sessions on a subdirectory see their CREDS_DIR under the same relative
 * name, so only the on-disk path differs.
 */
static void create_owned_in(struct sess *s, const char *dir,
			    const struct qtfs_cred *cred, const char *who,
			    const char *name, u32 uid, u32 gid)
{
	const char *saved = export;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", saved, dir);
	export = path;
	create_owned(s, cred, who, name, uid, gid);
	export = saved;
}

/* root_squash in the export beats qtfs_server_root_squash=N. */
static void creds_export_root_squash(void)
{
	struct sess s;

	if (mount_sub(&s, SQ_DIR))
		return;
	create_owned_in(&s, SQ_DIR, &root_cred, "root_squash export: root",
			"root", 4321, 4322);
	create_owned_in(&s, SQ_DIR, &user_cred, "root_squash export: uid 1000",
			"u1000", 1000, 1000);
	sess_close(&s);
}

/* all_squash: everyone is the anon ids, without supplementary groups. */
static void creds_export_all_squash(struct sess *share)
{
	char path[4096], what[128];
	struct sess s;
	int ret;

	/* a directory only group 2000 may enter */
	snprintf(path, sizeof(path), "%s/%s/g2000", export, ALL_DIR);
	mkdir(path, 0770);
	if (chown(path, 0, 2000) || chmod(path, 0770))
		tk_check("make " ALL_DIR "/g2000 root:2000 0770", 0);
	if (mount_sub(&s, ALL_DIR))
		return;
	create_owned_in(&s, ALL_DIR, &user_cred, "all_squash export: uid 1000",
			"u1000", 5555, 5556);
	create_owned_in(&s, ALL_DIR, &root_cred, "all_squash export: root",
			"root", 5555, 5556);
	ret = call_as(&s, &user_cred, QTFS_OP_MKDIR, "pndd", "g2000", "x",
		      0755, 0);
	expect("all_squash export: uid 1000 in group 2000 enters g2000",
	       ret, -EACCES);
	/* the same caller through the unsquashed --export session may */
	ret = call_as(share, &user_cred, QTFS_OP_MKDIR, "pndd",
		      ALL_DIR "/g2000", "x", 0755, 0);
	snprintf(what, sizeof(what), "plain export: uid 1000 in group 2000 enters %s/g2000",
		 ALL_DIR);
	expect(what, ret, 0);
	call_as(share, &user_cred, QTFS_OP_RMDIR, "pn", ALL_DIR "/g2000", "x");
	rmdir(path);
	sess_close(&s);
}

/* uids=1000-1999 and no_root_squash beating qtfs_server_root_squash=Y. */
static void creds_export_uids(void)
{
	static const u32 refused[] = { 1, 999, 2000, 65534, 4294967294U };
	struct qtfs_cred c = user_cred;
	struct qtfs_attr attr;
	char what[128];
	struct sess s;
	size_t i;
	u64 h;
	int ret;

	if (mount_sub(&s, UIDS_DIR))
		return;
	create_owned_in(&s, UIDS_DIR, &root_cred,
			"no_root_squash export, module squash on: root",
			"root", 0, 0);
	create_owned_in(&s, UIDS_DIR, &user_cred, "uids=1000-1999: uid 1000",
			"u1000", 1000, 1000);
	c.fsuid = 1999;
	create_owned_in(&s, UIDS_DIR, &c, "uids=1000-1999: uid 1999", "u1999",
			1999, 1000);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		c.fsuid = refused[i];
		snprintf(what, sizeof(what), "uids=1000-1999: uid %u GETATTR",
			 refused[i]);
		expect(what, call_as(&s, &c, QTFS_OP_GETATTR, "pq", "", 0ULL),
		       -EACCES);
		snprintf(what, sizeof(what), "uids=1000-1999: uid %u CREATE",
			 refused[i]);
		expect(what, call_as(&s, &c, QTFS_OP_CREATE, "pnddd", CREDS_DIR,
				     "out", QTFS_O_RDWR, 0644, 022), -EACCES);
	}
	/* freeing state is never refused: RELEASE of uid 1000's handle */
	ret = call_as(&s, &user_cred, QTFS_OP_OPEN, "pd", "", QTFS_O_RDONLY);
	expect("uids=1000-1999: uid 1000 OPEN", ret, 0);
	if (!ret) {
		h = reply_handle(QTFS_OP_OPEN, &attr);
		c.fsuid = 2000;
		expect("uids=1000-1999: uid 2000 RELEASE",
		       call_as(&s, &c, QTFS_OP_RELEASE, "q", h), 0);
	}
	sess_close(&s);
}

/*
 * A reload changes the options of a session already mounted.  Between the
 * del and the add the session falls back to the rule of --export, which
 * covers it too.
 */
static void creds_export_reload(void)
{
	char entry[4200], args[4300];
	struct sess s;

	if (mount_sub(&s, RELOAD_DIR))
		return;
	create_owned_in(&s, RELOAD_DIR, &root_cred, "before reload: root",
			"root", 0, 0);
	snprintf(args, sizeof(args), "del Mount '%s/%s'", export, RELOAD_DIR);
	tk_check("qtinfo wl del Mount " RELOAD_DIR, !qtinfo_wl(args, 0));
	export_entry(entry, sizeof(entry), RELOAD_DIR,
		     "all_squash,anonuid=7777,anongid=7778");
	snprintf(args, sizeof(args), "add Mount %s", entry);
	tk_check("qtinfo wl add Mount " RELOAD_DIR "(all_squash,...)",
	      !qtinfo_wl(args, 0));
	create_owned_in(&s, RELOAD_DIR, &root_cred,
			"after reload to all_squash: root", "root", 7777,
			7778);
	sess_close(&s);
}

static void creds_exports(void)
{
	struct sess share;
	char old[8];
	size_t i;

	if (mount_at(&share, export))
		return;
	for (i = 0; i < NR_EXPORTS; i++)
		make_dirs(&share, export_opts[i][0]);
	exports_del(1);
	if (exports_add()) {
		tk_check("add the test exports with qtinfo wl add", 0);
		goto out;
	}
	tk_check("qtinfo wl list shows the export options", exports_listed());
	read_line(SQUASH_PARAM, old, sizeof(old));
	write_str(SQUASH_PARAM, "N");
	creds_export_root_squash();
	creds_export_all_squash(&share);
	creds_export_reload();
	write_str(SQUASH_PARAM, "Y");
	creds_export_uids();
	write_str(SQUASH_PARAM, old[0] ? old : "N");
out:
	exports_del(0);
	for (i = 0; i < NR_EXPORTS; i++) {
		call(&share, QTFS_OP_RMDIR, "pn", export_opts[i][0],
		     CREDS_DIR);
		call(&share, QTFS_OP_RMDIR, "pn", "", export_opts[i][0]);
	}
	sess_close(&share);
}

static void class_creds(void)
{
	creds_sysctl();
	creds_owner();
	creds_exports();
}
HOSTILE_CLASS("creds", class_creds);
