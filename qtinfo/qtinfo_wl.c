// SPDX-License-Identifier: GPL-2.0
/*
 * qtinfo wl: the whitelist in force (read from qtfs_server.ko), edits of
 * the whitelist file and engine reloads.
 *
 * An edit parses the current file with the engine's own parser (from
 * libqtfs.a), has the same parser rewrite one Path= line (every other line,
 * comments included, stays as it was), checks the result with the parser
 * again and replaces the file atomically (temporary file in the same
 * directory, fsync, rename).  A reload sends SIGHUP to the engine
 * named by its pidfile and waits until the module's rules are the file's:
 * success means the new rules are in force, not just that a signal went.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "uapi/qtfs_info.h"
#include "uapi/qtfs_ioctl.h"
#include "qt_whitelist.h"
#include "qt_log.h"
#include "qtinfo.h"

#define QTINFO_ERRLEN		512
#define QTINFO_POLL_US		(50 * 1000)

/**
 * struct qtinfo_wl_req - a parsed wl command line
 * @sub:  "list", "add", "del" or "reload"
 * @cls:  class of add/del
 * @path: normalised path of add/del
 * @opts: export options of add ([Mount] only); del ignores them
 */
struct qtinfo_wl_req {
	const char *sub;
	int cls;
	char path[4096];
	struct qtsrv_export_opts opts;
};

static int qtinfo_wl_class(const char *s)
{
	const char *name;
	unsigned int i;

	for (i = 0; (name = qtsrv_wl_class_name(i)); i++)
		if (!strcasecmp(s, name))
			return i;
	return -1;
}

/* Check the command line; 0 or an exit status. */
static int qtinfo_wl_parse(int argc, char **argv, struct qtinfo_wl_req *r)
{
	char entry[4096], why[QTINFO_ERRLEN];
	const char *p;

	if (argc < 1) {
		qt_err("wl needs a subcommand: list, add, del or reload (see qtinfo --help)");
		return QTINFO_EXIT_USAGE;
	}
	r->sub = argv[0];
	if (!strcmp(r->sub, "list") || !strcmp(r->sub, "reload")) {
		if (argc != 1) {
			qt_err("wl %s takes no arguments", r->sub);
			return QTINFO_EXIT_USAGE;
		}
		return 0;
	}
	if (strcmp(r->sub, "add") && strcmp(r->sub, "del")) {
		qt_err("unknown wl subcommand '%s': use list, add, del or reload",
			   r->sub);
		return QTINFO_EXIT_USAGE;
	}
	if (argc != 3) {
		qt_err("wl %s needs CLASS and PATH, e.g. wl %s Open /srv/share",
			   r->sub, r->sub);
		return QTINFO_EXIT_USAGE;
	}
	r->cls = qtinfo_wl_class(argv[1]);
	if (r->cls < 0) {
		qt_err("unknown whitelist class '%s': use Open Write Read Readdir Mkdir Rmdir Create Unlink Rename Setattr Setxattr Mount Device Udsconnect",
			   argv[1]);
		return QTINFO_EXIT_USAGE;
	}
	for (p = argv[2]; *p; p++) {
		if (*p == ';' || (unsigned char)*p < 0x20 || *p == 0x7f) {
			qt_err("invalid path: ';' and control characters cannot be listed in a whitelist");
			return QTINFO_EXIT_USAGE;
		}
	}
	p = argv[2];
	if (*p == ' ' || (*p && p[strlen(p) - 1] == ' ')) {
		qt_err("invalid path '%s': surrounding blanks are not kept in a whitelist",
			   p);
		return QTINFO_EXIT_USAGE;
	}
	if (strlen(p) >= sizeof(entry) ||
	    qtsrv_wl_parse_entry(strcpy(entry, p), r->cls, r->path,
				 sizeof(r->path), &r->opts, why, sizeof(why))) {
		qt_err("invalid path '%s': %s", p,
			   strlen(p) >= sizeof(entry) ? "too long" : why);
		return QTINFO_EXIT_USAGE;
	}
	return 0;
}

/* The rules in force; *@rules is malloc'd. */
static int qtinfo_wl_get(int fd, struct qtsrv_wl_rule **rules, uint32_t *nr)
{
	struct qtfs_info_wl arg;
	struct qtsrv_wl_rule *r = NULL;
	uint32_t cap = 0;

	for (;;) {
		memset(&arg, 0, sizeof(arg));
		arg.version = QTFS_INFO_VERSION;
		arg.cap = cap;
		arg.rules = (uintptr_t)r;
		if (ioctl(fd, QTFS_INFO_IOC_WL_GET, &arg)) {
			qt_err("cannot read the whitelist from %s: %s",
				   QTSRV_DEV_PATH, strerror(errno));
			free(r);
			return -1;
		}
		if (arg.nr <= cap)
			break;
		free(r);
		cap = arg.nr;
		r = calloc(cap, sizeof(*r));
		if (!r) {
			qt_err("out of memory");
			return -1;
		}
	}
	*rules = r;
	*nr = arg.nr;
	return 0;
}

static int qtinfo_wl_list(int fd, bool json)
{
	struct qtsrv_wl_rule *r = NULL;
	char opts[256];
	const char *name;
	uint32_t i, nr;

	if (qtinfo_wl_get(fd, &r, &nr))
		return QTINFO_EXIT_FAIL;
	if (json)
		printf("{\"rules\":[");
	for (i = 0; i < nr; i++) {
		r[i].path[sizeof(r[i].path) - 1] = '\0';
		name = qtsrv_wl_class_name(r[i].wl_class);
		if (!name)
			name = "?";
		qtsrv_export_opts_format(&r[i].export, opts, sizeof(opts));
		if (json) {
			printf("%s{\"class\":", i ? "," : "");
			qtinfo_json_str(stdout, name);
			printf(",\"path\":");
			qtinfo_json_str(stdout, r[i].path);
			if (r[i].wl_class == QTSRV_WL_MOUNT) {
				printf(",\"options\":");
				qtinfo_json_str(stdout, opts);
			}
			printf("}");
		} else if (opts[0]) {
			printf("%s %s(%s)\n", name, r[i].path, opts);
		} else {
			printf("%s %s\n", name, r[i].path);
		}
	}
	if (json)
		printf("]}\n");
	else if (!nr)
		printf("no whitelist installed (is the engine running?)\n");
	free(r);
	return 0;
}

/*
 * Do the module's rules equal those of @set that go to the module (as
 * sets)?  The daemons' own classes ([Udsconnect]) never reach it.
 */
static bool qtinfo_wl_same(const struct qtsrv_wl_rule *r, uint32_t nr,
			   const struct qtsrv_wl_set *set)
{
	size_t j, kernel = 0;
	uint32_t i;

	for (j = 0; j < set->nr; j++)
		kernel += set->rules[j].wl_class < __QTSRV_WL_MAX;
	if (nr != kernel)
		return false;
	for (j = 0; j < set->nr; j++) {
		if (set->rules[j].wl_class >= __QTSRV_WL_MAX)
			continue;
		for (i = 0; i < nr; i++)
			if (r[i].wl_class == set->rules[j].wl_class &&
			    !strcmp(r[i].path, set->rules[j].path) &&
			    !memcmp(&r[i].export, &set->rules[j].opts,
				    sizeof(r[i].export)))
				break;
		if (i == nr)
			return false;
	}
	return true;
}

/* The engine's pid from its pidfile, checked to be a running engine. */
static pid_t qtinfo_engine_pid(const char *pidfile)
{
	char buf[32], comm[64], path[64];
	unsigned long v;
	char *end;
	FILE *f;

	f = fopen(pidfile, "re");
	if (!f) {
		qt_err("cannot read engine pidfile %s: %s (is the engine running? start it, or give --pidfile)",
			   pidfile, strerror(errno));
		return -1;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (buf[0] < '1' || buf[0] > '9' || (*end && *end != '\n') || errno ||
	    v > INT_MAX) {
		qt_err("engine pidfile %s does not hold a pid", pidfile);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%lu/comm", v);
	f = fopen(path, "re");
	if (!f || !fgets(comm, sizeof(comm), f) ||
	    strcmp(comm, "engine\n")) {
		qt_err("engine pidfile %s names pid %lu, which is not a running engine (stale pidfile?)",
			   pidfile, v);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return (pid_t)v;
}

/*
 * Check the file, SIGHUP the engine, and wait for the module to hold the
 * file's rules.
 */
static int qtinfo_wl_reload(int fd, const struct qtinfo_opts *o)
{
	struct qtsrv_wl_rule *r = NULL;
	char err[QTINFO_ERRLEN];
	struct qtsrv_wl_set set;
	struct timespec t0, t;
	uint32_t nr;
	pid_t pid;
	int ret = QTINFO_EXIT_FAIL;

	if (qtsrv_wl_load(o->whitelist, &set, err, sizeof(err))) {
		qt_err("%s; not reloaded, the rules in force stay", err);
		return QTINFO_EXIT_FAIL;
	}
	pid = qtinfo_engine_pid(o->pidfile);
	if (pid < 0)
		goto out_free;
	if (kill(pid, SIGHUP)) {
		qt_err("cannot signal engine %d: %s", (int)pid,
			   strerror(errno));
		goto out_free;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (qtinfo_wl_get(fd, &r, &nr))
			goto out_free;
		if (qtinfo_wl_same(r, nr, &set)) {
			ret = 0;
			break;
		}
		free(r);
		r = NULL;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= (time_t)o->timeout) {
			qt_err("engine %d did not install %s within %u s (see its log)",
				   (int)pid, o->whitelist, o->timeout);
			break;
		}
		usleep(QTINFO_POLL_US);
	}
	if (!ret)
		printf("reloaded %s: %zu rules in force\n", o->whitelist,
		       set.nr);
	free(r);
out_free:
	qtsrv_wl_free(&set);
	return ret;
}

/* Write @data to @file atomically, keeping its mode. */
static int qtinfo_wl_replace(const char *file, const char *data, size_t len,
			     mode_t mode)
{
	char err[QTINFO_ERRLEN], *tmp;
	struct qtsrv_wl_set set;
	size_t off = 0;
	ssize_t n;
	int tfd;

	if (asprintf(&tmp, "%s.qtinfo.XXXXXX", file) < 0) {
		qt_err("out of memory");
		return -1;
	}
	tfd = mkostemp(tmp, O_CLOEXEC);
	if (tfd < 0) {
		qt_err("cannot create a temporary file next to %s: %s",
			   file, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(tfd, mode & 07777))
		goto out_err;
	while (off < len) {
		n = write(tfd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out_err;
		off += n;
	}
	if (fsync(tfd))
		goto out_err;
	if (close(tfd)) {
		tfd = -1;
		goto out_err;
	}
	tfd = -1;
	/* what we wrote must parse as the engine parses it */
	if (qtsrv_wl_load(tmp, &set, err, sizeof(err))) {
		qt_err("the edited whitelist would be refused: %s; %s unchanged",
			   err, file);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	qtsrv_wl_free(&set);
	if (rename(tmp, file))
		goto out_err;
	free(tmp);
	return 0;

out_err:
	qt_err("cannot write %s: %s; %s unchanged", tmp, strerror(errno),
		   file);
	if (tfd >= 0)
		close(tfd);
	unlink(tmp);
	free(tmp);
	return -1;
}

/* The rule of @path (normalised) in class @cls of @set, or NULL. */
static const struct qtsrv_wl_entry *
qtinfo_wl_find(const struct qtsrv_wl_set *set, int cls, const char *path)
{
	size_t i;

	for (i = 0; i < set->nr; i++)
		if ((int)set->rules[i].wl_class == cls &&
		    !strcmp(set->rules[i].path, path))
			return &set->rules[i];
	return NULL;
}

static int qtinfo_wl_edit(int fd, const struct qtinfo_opts *o,
			  const struct qtinfo_wl_req *r)
{
	const char *group = qtsrv_wl_class_name(r->cls);
	bool add = !strcmp(r->sub, "add");
	char err[QTINFO_ERRLEN], opts[256], *entry = NULL;
	char *text = NULL, *edited = NULL;
	const struct qtsrv_wl_entry *cur;
	struct qtsrv_wl_set set;
	struct stat st;
	int ret = QTINFO_EXIT_FAIL;

	if (qtsrv_wl_read_file(o->whitelist, &text, err, sizeof(err)) ||
	    qtsrv_wl_parse(o->whitelist, text, &set, err, sizeof(err))) {
		qt_err("%s; fix it first, nothing changed", err);
		free(text);
		return QTINFO_EXIT_FAIL;
	}
	cur = qtinfo_wl_find(&set, r->cls, r->path);
	if (add && cur &&
	    memcmp(&cur->opts, &r->opts, sizeof(r->opts))) {
		qt_err("%s is in [%s] of %s with other export options (%s): del it first",
			   r->path, group, o->whitelist,
			   qtsrv_export_opts_format(&cur->opts, opts,
						    sizeof(opts)));
		goto out;
	}
	if (add == !!cur) {
		if (add) {
			printf("%s is already in [%s] of %s\n", r->path, group,
			       o->whitelist);
			ret = 0;
			goto out;
		}
		qt_err("%s is not in [%s] of %s: nothing to delete",
			   r->path, group, o->whitelist);
		goto out;
	}
	qtsrv_export_opts_format(&r->opts, opts, sizeof(opts));
	if (stat(o->whitelist, &st)) {
		qt_err("cannot stat %s: %s", o->whitelist, strerror(errno));
		goto out;
	}
	if ((opts[0] ? asprintf(&entry, "%s(%s)", r->path, opts) :
		       asprintf(&entry, "%s", r->path)) < 0) {
		entry = NULL;
		qt_err("out of memory");
		goto out;
	}
	if (qtsrv_wl_edit(o->whitelist, text, r->cls, add ? entry : NULL,
			  add ? NULL : r->path, &edited, err, sizeof(err))) {
		qt_err("%s; nothing changed", err);
		goto out;
	}
	if (qtinfo_wl_replace(o->whitelist, edited, strlen(edited),
			      st.st_mode))
		goto out;
	printf("%s %s [%s] in %s\n", add ? "added" : "deleted",
	       add ? entry : r->path, group, o->whitelist);
	ret = qtinfo_wl_reload(fd, o);
out:
	qtsrv_wl_free(&set);
	free(edited);
	free(entry);
	free(text);
	return ret;
}

/**
 * qtinfo_wl_main() - the wl command
 * @fd:   /dev/qtfs_server, or -1 to check the command line only
 * @o:    options
 * @argc: arguments after "wl"
 * @argv: them
 *
 * Return: an exit status; with @fd -1, -1 when the command line is fine.
 */
int qtinfo_wl_main(int fd, const struct qtinfo_opts *o, int argc, char **argv)
{
	struct qtinfo_wl_req r = {};
	int ret;

	ret = qtinfo_wl_parse(argc, argv, &r);
	if (ret || fd < 0)
		return ret ? ret : -1;
	if (!strcmp(r.sub, "list"))
		return qtinfo_wl_list(fd, o->json);
	if (!strcmp(r.sub, "reload"))
		return qtinfo_wl_reload(fd, o);
	return qtinfo_wl_edit(fd, o, &r);
}
