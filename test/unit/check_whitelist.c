// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of the whitelist parser of libqtfs.a (common/lib/whitelist.c).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "qt_whitelist.h"

static char tmpdir[] = "/tmp/check_whitelist.XXXXXX";
static char wlpath[sizeof(tmpdir) + 16];
static char err[1024];
static struct qtsrv_wl_set set;

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(wlpath, sizeof(wlpath), "%s/wl", tmpdir);
	err[0] = '\0';
	set.nr = 0;
	set.rules = NULL;
}

static void teardown(void)
{
	qtsrv_wl_free(&set);
	unlink(wlpath);
	rmdir(tmpdir);
	strcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX");
}

static void write_wl(const char *text)
{
	FILE *f = fopen(wlpath, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static int load(const char *text)
{
	write_wl(text);
	return qtsrv_wl_load(wlpath, &set, err, sizeof(err));
}

/* Does @set hold rule (@cls, @path)? */
static int has_rule(unsigned int cls, const char *path)
{
	size_t i;

	for (i = 0; i < set.nr; i++)
		if (set.rules[i].wl_class == cls &&
		    !strcmp(set.rules[i].path, path))
			return 1;
	return 0;
}

START_TEST(valid_all_sections)
{
	static const char *const names[] = {
		"Open", "Write", "Read", "Readdir", "Mkdir", "Rmdir", "Create",
		"Unlink", "Rename", "Setattr", "Setxattr", "Mount", "Device",
		"Udsconnect",
	};
	char text[4096] = "# sample\n";
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		strcat(text, "[");
		strcat(text, names[i]);
		strcat(text, "]\nPath=/srv/share;/home\n\n");
	}
	ck_assert_msg(load(text) == 0, "%s", err);
	ck_assert_uint_eq(set.nr, 2 * QT_WL_CLASSES);
	for (i = 0; i < QT_WL_CLASSES; i++) {
		ck_assert_str_eq(qtsrv_wl_class_name(i), names[i]);
		ck_assert(has_rule(i, "/srv/share"));
		ck_assert(has_rule(i, "/home"));
		ck_assert_uint_eq(qtsrv_wl_count(&set, i), 2);
	}
	ck_assert_ptr_null(qtsrv_wl_class_name(QT_WL_CLASSES));
}
END_TEST

/*
 * config/qtfs/whitelist, found from $QTFS_SRCDIR or else from where this
 * binary lives (test/unit/ in the source tree), whatever the cwd.
 */
static void sample_path(char *buf, size_t len)
{
	const char *src = getenv("QTFS_SRCDIR");
	char exe[2048];
	ssize_t n;
	char *slash;

	if (src) {
		snprintf(buf, len, "%s/config/qtfs/whitelist", src);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%s/../../config/qtfs/whitelist",
		 slash ? exe : ".");
}

START_TEST(sample_config_parses)
{
	char path[4096];
	int ret;

	sample_path(path, sizeof(path));
	ret = qtsrv_wl_load(path, &set, err, sizeof(err));
	ck_assert_msg(ret == 0, "%s (set QTFS_SRCDIR to the source tree)", err);
	ck_assert_uint_gt(qtsrv_wl_count(&set, QTSRV_WL_MOUNT), 0);
}
END_TEST

START_TEST(missing_file)
{
	int ret = qtsrv_wl_load("/nonexistent/qtfs/whitelist", &set, err,
				sizeof(err));

	ck_assert_int_eq(ret, -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot read whitelist /nonexistent/qtfs/whitelist"));
	ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
	ck_assert_ptr_nonnull(strstr(err, "cp config/qtfs/whitelist"));
	ck_assert_uint_eq(set.nr, 0);
}
END_TEST

START_TEST(no_mount_section)
{
	ck_assert_int_eq(load("[Open]\nPath=/srv\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "has no [Mount] Path entries"));
	ck_assert_ptr_nonnull(strstr(err, "add [Mount] Path=/dir"));
	ck_assert_uint_eq(set.nr, 0);
}
END_TEST

START_TEST(empty_mount_path)
{
	ck_assert_int_eq(load("[Mount]\nPath=\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "has no [Mount] Path entries"));
}
END_TEST

START_TEST(mount_without_path_key)
{
	ck_assert_int_eq(load("[Mount]\n# nothing\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "has no [Mount] Path entries"));
}
END_TEST

START_TEST(unknown_section)
{
	ck_assert_int_eq(load("[Mount]\nPath=/srv\n\n[Chmod]\nPath=/srv\n"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 4"));
	ck_assert_ptr_nonnull(strstr(err, "unknown section [Chmod]"));
}
END_TEST

START_TEST(unknown_key)
{
	ck_assert_int_eq(load("[Mount]\nPath=/srv\nPaths=/x\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 3"));
	ck_assert_ptr_nonnull(strstr(err, "unknown key 'Paths' in [Mount]"));
}
END_TEST

START_TEST(localised_key)
{
	ck_assert_int_eq(load("[Mount]\nPath[de]=/srv\nPath=/x\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown key 'Path[de]'"));
}
END_TEST

START_TEST(relative_path)
{
	ck_assert_int_eq(load("[Mount]\nPath=/srv;srv/share\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 2"));
	ck_assert_ptr_nonnull(strstr(err, "'srv/share'"));
	ck_assert_ptr_nonnull(strstr(err, "not absolute"));
	ck_assert_uint_eq(set.nr, 0);
}
END_TEST

START_TEST(dotdot_component)
{
	ck_assert_int_eq(load("[Mount]\nPath=/srv/../etc\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'..'"));
	ck_assert_int_eq(load("[Mount]\nPath=/srv/..\n"), -EINVAL);
	/* names that merely start with dots are fine */
	ck_assert_msg(load("[Mount]\nPath=/srv/..x;/srv/.y\n") == 0, "%s", err);
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/srv/..x"));
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/srv/.y"));
}
END_TEST

START_TEST(overlong_path)
{
	char *text = malloc(5000 + 64);
	size_t i;

	ck_assert_ptr_nonnull(text);
	strcpy(text, "[Mount]\nPath=");
	for (i = 0; i < 5000 / 4; i++)
		strcat(text, "/abc");
	strcat(text, "\n");
	ck_assert_int_eq(load(text), -ENAMETOOLONG);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	free(text);
}
END_TEST

START_TEST(longest_allowed_path)
{
	char *text = malloc(4096 + 64);
	char path[4096];

	ck_assert_ptr_nonnull(text);
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[4095] = '\0';	/* 4095 bytes: the longest that fits */
	sprintf(text, "[Mount]\nPath=%s\n", path);
	ck_assert_msg(load(text) == 0, "%s", err);
	ck_assert(has_rule(QTSRV_WL_MOUNT, path));
	free(text);
}
END_TEST

START_TEST(duplicate_slashes_normalised)
{
	ck_assert_msg(load("[Mount]\nPath=//srv///share/;/a/./b/.;/\n") == 0,
		      "%s", err);
	ck_assert_uint_eq(set.nr, 3);
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/srv/share"));
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/a/b"));
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/"));
}
END_TEST

START_TEST(duplicates_merged)
{
	ck_assert_msg(load("[Mount]\nPath=/srv;/srv/;//srv\n") == 0, "%s",
		      err);
	ck_assert_uint_eq(set.nr, 1);
}
END_TEST

START_TEST(trailing_separator)
{
	ck_assert_msg(load("[Mount]\nPath=/srv/share;/home;\n") == 0, "%s",
		      err);
	ck_assert_uint_eq(set.nr, 2);
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/srv/share"));
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/home"));
}
END_TEST

START_TEST(empty_entry)
{
	ck_assert_int_eq(load("[Mount]\nPath=/srv;;/home\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "empty path"));
}
END_TEST

START_TEST(blanks_around_entries)
{
	ck_assert_msg(load("[Mount]\nPath = /srv ; /home \n") == 0, "%s", err);
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/srv"));
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/home"));
}
END_TEST

START_TEST(syntax_error_line_number)
{
	ck_assert_int_eq(load("# comment\n[Mount]\nPath=/srv\nthis is not ini\n"),
			 -EINVAL);
	ck_assert_msg(strstr(err, "line 4") != NULL, "%s", err);
}
END_TEST

START_TEST(key_before_section)
{
	ck_assert_int_eq(load("Path=/srv\n[Mount]\nPath=/srv\n"), -EINVAL);
	ck_assert_msg(strstr(err, "line 1") != NULL, "%s", err);
}
END_TEST

START_TEST(second_path_key)
{
	ck_assert_int_eq(load("[Mount]\nPath=/a\n[Open]\nPath=/b\n[Mount]\nPath=/c\n"),
			 -EINVAL);
	ck_assert_msg(strstr(err, "line 6") != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "first on line 2"));
}
END_TEST

START_TEST(to_ioctl_layout)
{
	struct qtsrv_wl_rule *r;
	size_t nr = 0;

	ck_assert_msg(load("[Mount]\nPath=/srv\n[Write]\nPath=/srv/rw\n") == 0,
		      "%s", err);
	r = qtsrv_wl_to_ioctl(&set, &nr);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(nr, 2);
	ck_assert_uint_eq(r[0].wl_class, QTSRV_WL_MOUNT);
	ck_assert_uint_eq(r[0].path_len, 4);
	ck_assert_str_eq(r[0].path, "/srv");
	ck_assert_uint_eq(r[1].wl_class, QTSRV_WL_WRITE);
	ck_assert_uint_eq(r[1].path_len, 7);
	ck_assert_str_eq(r[1].path, "/srv/rw");
	free(r);
}
END_TEST

/* [Udsconnect] is parsed like the others but never reaches the module. */
START_TEST(udsconnect_stays_in_userspace)
{
	struct qtsrv_wl_rule *r;
	size_t nr = 0;

	ck_assert_msg(load("[Udsconnect]\nPath=/srv/run;/var/run/../x\n"
			   "[Mount]\nPath=/srv\n[Udsconnect]\n") == -EINVAL,
		      "'..' must be refused in [Udsconnect] too");
	ck_assert_msg(load("[Udsconnect]\nPath=/srv/run;//srv//sock/\n"
			   "[Mount]\nPath=/srv\n") == 0, "%s", err);
	ck_assert_uint_eq(qtsrv_wl_count(&set, QT_WL_UDSCONNECT), 2);
	ck_assert(has_rule(QT_WL_UDSCONNECT, "/srv/sock"));
	r = qtsrv_wl_to_ioctl(&set, &nr);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(r[0].wl_class, QTSRV_WL_MOUNT);
	free(r);
	qtsrv_wl_free(&set);
	ck_assert_int_eq(load("[Mount]\nPath=/srv\n[Udsconnect]\nPath=/srv(all_squash)\n"),
			 -EINVAL);
	ck_assert_msg(strstr(err, "only allowed in [Mount]") != NULL, "%s", err);
}
END_TEST

/* qtsrv_wl_match(): the longest rule on a path-component boundary. */
START_TEST(match_most_specific)
{
	const struct qtsrv_wl_entry *e;

	ck_assert_msg(load("[Mount]\nPath=/srv;/srv/share/deep(all_squash);/home\n"
			   "[Udsconnect]\nPath=/srv/run\n") == 0, "%s", err);
	e = qtsrv_wl_match(&set, QTSRV_WL_MOUNT, "/srv/share/deep/x");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->path, "/srv/share/deep");
	e = qtsrv_wl_match(&set, QTSRV_WL_MOUNT, "/srv/share/deeper");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->path, "/srv");
	ck_assert_ptr_null(qtsrv_wl_match(&set, QTSRV_WL_MOUNT, "/srvx"));
	ck_assert_ptr_null(qtsrv_wl_match(&set, QTSRV_WL_MOUNT, "/"));
	ck_assert_ptr_nonnull(qtsrv_wl_match(&set, QT_WL_UDSCONNECT,
					     "/srv/run"));
	ck_assert_ptr_nonnull(qtsrv_wl_match(&set, QT_WL_UDSCONNECT,
					     "/srv/run/a/sock"));
	ck_assert_ptr_null(qtsrv_wl_match(&set, QT_WL_UDSCONNECT,
					  "/srv/runner"));
	ck_assert_ptr_null(qtsrv_wl_match(&set, QT_WL_UDSCONNECT, "/srv"));
	qtsrv_wl_free(&set);
	ck_assert_msg(load("[Mount]\nPath=/\n") == 0, "%s", err);
	ck_assert_ptr_nonnull(qtsrv_wl_match(&set, QTSRV_WL_MOUNT, "/a/b"));
	ck_assert_ptr_null(qtsrv_wl_match(&set, QT_WL_UDSCONNECT, "/a/b"));
}
END_TEST

/* The options of rule (@cls, @path), or NULL. */
static const struct qtsrv_export_opts *opts_of(unsigned int cls,
					       const char *path)
{
	size_t i;

	for (i = 0; i < set.nr; i++)
		if (set.rules[i].wl_class == cls &&
		    !strcmp(set.rules[i].path, path))
			return &set.rules[i].opts;
	return NULL;
}

START_TEST(export_options_parsed)
{
	const struct qtsrv_export_opts *o;
	char buf[256];

	ck_assert_msg(load("[Mount]\n"
			   "Path=/srv/a(root_squash);/srv/b (all_squash, anonuid=1000,anongid=1001);"
			   "/srv/c(no_root_squash,uids=1000-1999);/srv/d;/srv/e();"
			   "/srv/f(uids=0-4294967294,anonuid=0)\n") == 0,
		      "%s", err);
	ck_assert_uint_eq(set.nr, 6);
	o = opts_of(QTSRV_WL_MOUNT, "/srv/a");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->flags, QTSRV_EXPORT_ROOT_SQUASH);
	o = opts_of(QTSRV_WL_MOUNT, "/srv/b");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->flags, QTSRV_EXPORT_ALL_SQUASH |
			  QTSRV_EXPORT_ANONUID | QTSRV_EXPORT_ANONGID);
	ck_assert_uint_eq(o->anonuid, 1000);
	ck_assert_uint_eq(o->anongid, 1001);
	o = opts_of(QTSRV_WL_MOUNT, "/srv/c");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->flags, QTSRV_EXPORT_NO_ROOT_SQUASH |
			  QTSRV_EXPORT_UIDS);
	ck_assert_uint_eq(o->uid_min, 1000);
	ck_assert_uint_eq(o->uid_max, 1999);
	o = opts_of(QTSRV_WL_MOUNT, "/srv/d");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->flags, 0);
	o = opts_of(QTSRV_WL_MOUNT, "/srv/e");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->flags, 0);
	o = opts_of(QTSRV_WL_MOUNT, "/srv/f");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->uid_max, 4294967294U);
	ck_assert_str_eq(qtsrv_export_opts_format(o, buf, sizeof(buf)),
			 "anonuid=0,uids=0-4294967294");
	ck_assert_str_eq(qtsrv_export_opts_format(opts_of(QTSRV_WL_MOUNT,
							  "/srv/b"),
						  buf, sizeof(buf)),
			 "all_squash,anonuid=1000,anongid=1001");
}
END_TEST

START_TEST(export_options_to_ioctl)
{
	struct qtsrv_wl_rule *r;

	size_t nr = 0;

	ck_assert_msg(load("[Mount]\nPath=/srv(all_squash,anonuid=7)\n") == 0,
		      "%s", err);
	r = qtsrv_wl_to_ioctl(&set, &nr);
	ck_assert_uint_eq(nr, 1);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r[0].path, "/srv");
	ck_assert_uint_eq(r[0].path_len, 4);
	ck_assert_uint_eq(r[0].export.flags,
			  QTSRV_EXPORT_ALL_SQUASH | QTSRV_EXPORT_ANONUID);
	ck_assert_uint_eq(r[0].export.anonuid, 7);
	free(r);
}
END_TEST

/*
 * Every class of bad export option: the load fails with EINVAL, names the
 * line and the reason, and leaves no rules.
 */
static const struct {
	const char *opts;	/* what goes between the parentheses */
	const char *msg;	/* part of the reason */
} bad_opts[] = {
	/* unknown option */
	{ "rw", "unknown export option 'rw'" },
	{ "root_squash,secure", "unknown export option 'secure'" },
	{ "Root_Squash", "unknown export option 'Root_Squash'" },
	/* flags with a value, values without one, empty options */
	{ "root_squash=1", "takes no value" },
	{ "anonuid", "needs a value: anonuid=N" },
	{ "uids", "needs a value: uids=MIN-MAX" },
	{ "root_squash,,all_squash", "empty export option" },
	/* anonuid / anongid out of range or garbage */
	{ "anonuid=4294967295", "out of range" },
	{ "anonuid=99999999999999999999", "out of range" },
	{ "anongid=4294967295", "out of range" },
	{ "anonuid=-1", "not a number" },
	{ "anonuid=12x", "not a number" },
	{ "anonuid=", "not a number" },
	{ "anonuid=0x10", "not a number" },
	{ "anongid=+5", "not a number" },
	/* uid ranges: inverted, garbage, out of range */
	{ "uids=2000-1000", "the range is inverted" },
	{ "uids=1000", "use uids=MIN-MAX" },
	{ "uids=a-b", "not a range of numbers" },
	{ "uids=1000-", "not a range of numbers" },
	{ "uids=-1000", "not a range of numbers" },
	{ "uids=1-2-3", "not a range of numbers" },
	{ "uids=0-4294967295", "out of range" },
	/* conflicting or repeated options */
	{ "root_squash,no_root_squash", "no_root_squash and root_squash" },
	{ "no_root_squash,all_squash", "no_root_squash and all_squash" },
	{ "anonuid=1,anonuid=2", "'anonuid' given twice" },
	{ "all_squash,all_squash", "'all_squash' given twice" },
	{ "uids=1-2,uids=1-2", "'uids' given twice" },
};

START_TEST(export_options_bad)
{
	char text[512];

	snprintf(text, sizeof(text), "# bad option\n[Open]\nPath=/srv\n[Mount]\nPath=/home;/srv(%s)\n",
		 bad_opts[_i].opts);
	ck_assert_int_eq(load(text), -EINVAL);
	ck_assert_msg(strstr(err, "line 5") != NULL, "'%s': %s",
		      bad_opts[_i].opts, err);
	ck_assert_msg(strstr(err, bad_opts[_i].msg) != NULL,
		      "'%s': got '%s', want '%s'", bad_opts[_i].opts, err,
		      bad_opts[_i].msg);
	ck_assert_msg(strstr(err, "/srv") != NULL, "%s", err);
	ck_assert_uint_eq(set.nr, 0);
}
END_TEST

START_TEST(export_options_outside_mount)
{
	ck_assert_int_eq(load("[Mount]\nPath=/srv\n[Open]\nPath=/srv(root_squash)\n"),
			 -EINVAL);
	ck_assert_msg(strstr(err, "line 4") != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "only allowed in [Mount]"));
	/* elsewhere a path may still hold parentheses that are not options */
	ck_assert_msg(load("[Mount]\nPath=/srv\n[Open]\nPath=/srv/a(b)c\n") == 0,
		      "%s", err);
	ck_assert(has_rule(QTSRV_WL_OPEN, "/srv/a(b)c"));
}
END_TEST

START_TEST(export_options_malformed)
{
	ck_assert_int_eq(load("[Mount]\nPath=/srv(root_squash\n"), -EINVAL);
	ck_assert_msg(strstr(err, "line 2") != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "one '(...)' at the end"));
	ck_assert_int_eq(load("[Mount]\nPath=/srv(root_squash)(all_squash)\n"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "one '(...)' at the end"));
	ck_assert_int_eq(load("[Mount]\nPath=(root_squash)\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "empty path"));
	ck_assert_int_eq(load("[Mount]\nPath=srv(root_squash)\n"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not absolute"));
}
END_TEST

START_TEST(export_options_conflicting_entries)
{
	ck_assert_int_eq(load("[Mount]\nPath=/home;/srv(all_squash);//srv/(root_squash)\n"),
			 -EINVAL);
	ck_assert_msg(strstr(err, "line 2") != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "/srv is listed twice with conflicting export options"));
	ck_assert_uint_eq(set.nr, 0);
	/* the same options twice merge, as duplicates always did */
	ck_assert_msg(load("[Mount]\nPath=/srv(all_squash);/srv/(all_squash)\n") == 0,
		      "%s", err);
	ck_assert_uint_eq(set.nr, 1);
}
END_TEST

/*
 * Every syntax error of the grammar, at a known line, with its reason: the
 * one parser names the line of whatever it refuses.
 */
static const struct {
	const char *text;
	unsigned int line;
	const char *msg;
} syntax_errors[] = {
	{ "[Mount]\nPath=/srv\n[Open\nPath=/x\n", 3, "malformed section header '[Open'" },
	{ "[Mount]\nPath=/srv\n[Open] x\n", 3, "malformed section header" },
	{ "[Mount]\nPath=/srv\n[Op]en]\n", 3, "malformed section header" },
	{ "[Mount]\nPath=/srv\n\n[]\n", 4, "unknown section []" },
	{ "[Mount]\nPath=/srv\n[ Open ]\n", 3, "unknown section [ Open ]" },
	{ "[Mount]\nPath=/srv\n[open]\n", 3, "unknown section [open]" },
	{ "# c\n\nPath=/srv\n[Mount]\nPath=/srv\n", 3, "Path= before the first section header" },
	{ "[Mount]\nPath=/srv\nPath\n", 3, "'Path' is not a section header, a Path= line or a comment" },
	{ "[Mount]\nPath=/srv\n=/x\n", 3, "unknown key ''" },
	{ "[Mount]\nPath=/srv\npath=/x\n", 3, "unknown key 'path' in [Mount]" },
	{ "[Mount]\n  Path = /srv\n[Open]\nPath=/a\n[Mount]\n\tPath=/b\n", 6, "(first on line 2)" },
	{ "[Mount]\nPath=/srv\\;x\n", 2, "no escapes" },
	{ "[Mount]\r\nPath=/srv\r\n[Open]\r\nPath=rel\r\n", 4, "'rel' is not absolute" },
	{ "[Mount]\nPath=/srv;;\n", 2, "empty path" },
	{ "[Mount]\nPath=/srv\n[Open]\nPath=/a;/b/../c\n", 4, "'..' component" },
};

START_TEST(syntax_error_table)
{
	char want[32];

	ck_assert_int_eq(load(syntax_errors[_i].text), -EINVAL);
	snprintf(want, sizeof(want), "line %u:", syntax_errors[_i].line);
	ck_assert_msg(strstr(err, want) != NULL, "case %d: want '%s': %s", _i,
		      want, err);
	ck_assert_msg(strstr(err, syntax_errors[_i].msg) != NULL,
		      "case %d: want '%s': %s", _i, syntax_errors[_i].msg, err);
	ck_assert_msg(strstr(err, wlpath) != NULL, "%s", err);
	ck_assert_uint_eq(set.nr, 0);
}
END_TEST

START_TEST(grammar_accepts)
{
	/* blanks, comments, CRLF, a section given twice, no final newline */
	ck_assert_msg(load("  # c\n\t[Mount]  \r\n Path\t= /a ;\r\n#x\n[Open]\n[Mount]\n[Open]\nPath=/o")
		      == 0, "%s", err);
	ck_assert_uint_eq(set.nr, 2);
	ck_assert(has_rule(QTSRV_WL_MOUNT, "/a"));
	ck_assert(has_rule(QTSRV_WL_OPEN, "/o"));
	/* an empty Path= and a lone ';' add nothing */
	ck_assert_msg(load("[Mount]\nPath=/a\n[Open]\nPath=\n[Read]\nPath= ; \n") != 0,
		      "a lone ';' is an empty entry");
	ck_assert_msg(load("[Mount]\nPath=/a\n[Open]\nPath=\n") == 0, "%s", err);
	ck_assert_uint_eq(set.nr, 1);
}
END_TEST

START_TEST(parse_buffer)
{
	ck_assert_int_eq(qtsrv_wl_parse("mem", "[Mount]\nPath=/a;/b\n", &set,
					err, sizeof(err)), 0);
	ck_assert_uint_eq(set.nr, 2);
	qtsrv_wl_free(&set);
	ck_assert_int_eq(qtsrv_wl_parse("mem", "[Mount]\nPath=/a\nx\n", &set,
					err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "whitelist mem line 3: 'x' is not a section header, a Path= line or a comment");
}
END_TEST

/* qtsrv_wl_edit(): @text edited, compared with @want. */
static void edit_ok(const char *text, unsigned int cls, const char *add,
		    const char *del, const char *want)
{
	char *out = NULL;
	int ret;

	ret = qtsrv_wl_edit("wl", text, cls, add, del, &out, err, sizeof(err));
	ck_assert_msg(ret == 0, "%d: %s", ret, err);
	ck_assert_str_eq(out, want);
	/* what the edit writes parses again */
	ck_assert_msg(qtsrv_wl_parse("wl", out, &set, err, sizeof(err)) == 0,
		      "%s", err);
	qtsrv_wl_free(&set);
	free(out);
}

START_TEST(edit_add)
{
	/* into an existing list: comments, blanks and options stay */
	edit_ok("# top\n[Mount]\nPath=/a(all_squash) ; /b;\n# end\n",
		QTSRV_WL_MOUNT, "/c(root_squash)", NULL,
		"# top\n[Mount]\nPath=/a(all_squash);/b;/c(root_squash);\n# end\n");
	/* a section without Path= gets one after its header */
	edit_ok("[Mount]\nPath=/a\n[Open]\n# no paths yet\n", QTSRV_WL_OPEN,
		"/o", NULL, "[Mount]\nPath=/a\n[Open]\nPath=/o;\n# no paths yet\n");
	edit_ok("[Mount]\nPath=/a\n[Open]", QTSRV_WL_OPEN, "/o", NULL,
		"[Mount]\nPath=/a\n[Open]\nPath=/o;\n");
	/* no section: a new one at the end */
	edit_ok("[Mount]\nPath=/a", QTSRV_WL_DEVICE, "/d", NULL,
		"[Mount]\nPath=/a\n\n[Device]\nPath=/d;\n");
	/* an empty list */
	edit_ok("[Mount]\nPath=/a\n[Open]\nPath=\n", QTSRV_WL_OPEN, "/o", NULL,
		"[Mount]\nPath=/a\n[Open]\nPath=/o;\n");
}
END_TEST

START_TEST(edit_del)
{
	/* every spelling of the path goes, whatever its options */
	edit_ok("[Mount]\nPath=/a;//b/(all_squash);/c;/b\n", QTSRV_WL_MOUNT,
		NULL, "/b", "[Mount]\nPath=/a;/c;\n");
	edit_ok("[Mount]\nPath=/a\n[Open]\nPath=/o\n", QTSRV_WL_OPEN, NULL,
		"/o", "[Mount]\nPath=/a\n[Open]\nPath=\n");
}
END_TEST

START_TEST(edit_refused)
{
	char *out = NULL;

	ck_assert_int_eq(qtsrv_wl_edit("wl", "[Mount]\nPath=/a\n[Open]\nPath=/o\n",
				       QTSRV_WL_OPEN, NULL, "/x", &out, err,
				       sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/x is not in [Open]"));
	ck_assert_ptr_null(out);
	/* a text that does not parse is not edited */
	ck_assert_int_eq(qtsrv_wl_edit("wl", "[Mount]\nPath=/a\nbad\n",
				       QTSRV_WL_OPEN, "/o", NULL, &out, err,
				       sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 3"));
	ck_assert_ptr_null(out);
	ck_assert_int_eq(qtsrv_wl_edit("wl", "[Mount]\nPath=/a\n",
				       QTSRV_WL_OPEN, "/o", "/o", &out, err,
				       sizeof(err)), -EINVAL);
	ck_assert_int_eq(qtsrv_wl_edit("wl", "[Mount]\nPath=/a\n",
				       QT_WL_CLASSES, "/o", NULL, &out, err,
				       sizeof(err)), -EINVAL);
}
END_TEST

static Suite *whitelist_suite(void)
{
	Suite *s = suite_create("whitelist");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_all_sections);
	tcase_add_test(tc, sample_config_parses);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, no_mount_section);
	tcase_add_test(tc, empty_mount_path);
	tcase_add_test(tc, mount_without_path_key);
	tcase_add_test(tc, unknown_section);
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, localised_key);
	tcase_add_test(tc, relative_path);
	tcase_add_test(tc, dotdot_component);
	tcase_add_test(tc, overlong_path);
	tcase_add_test(tc, longest_allowed_path);
	tcase_add_test(tc, duplicate_slashes_normalised);
	tcase_add_test(tc, duplicates_merged);
	tcase_add_test(tc, trailing_separator);
	tcase_add_test(tc, empty_entry);
	tcase_add_test(tc, blanks_around_entries);
	tcase_add_test(tc, syntax_error_line_number);
	tcase_add_test(tc, key_before_section);
	tcase_add_test(tc, second_path_key);
	tcase_add_test(tc, to_ioctl_layout);
	tcase_add_test(tc, udsconnect_stays_in_userspace);
	tcase_add_test(tc, match_most_specific);
	tcase_add_test(tc, export_options_parsed);
	tcase_add_test(tc, export_options_to_ioctl);
	tcase_add_loop_test(tc, export_options_bad, 0,
			    sizeof(bad_opts) / sizeof(bad_opts[0]));
	tcase_add_test(tc, export_options_outside_mount);
	tcase_add_test(tc, export_options_malformed);
	tcase_add_test(tc, export_options_conflicting_entries);
	tcase_add_loop_test(tc, syntax_error_table, 0,
			    sizeof(syntax_errors) / sizeof(syntax_errors[0]));
	tcase_add_test(tc, grammar_accepts);
	tcase_add_test(tc, parse_buffer);
	tcase_add_test(tc, edit_add);
	tcase_add_test(tc, edit_del);
	tcase_add_test(tc, edit_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(whitelist_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
