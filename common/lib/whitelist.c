// SPDX-License-Identifier: GPL-2.0
/*
 * The whitelist parser of the engine and qtinfo.
 *
 * Format (the original qtfs one): an INI file with sections [Open] [Write]
 * [Read] [Readdir] [Mkdir] [Rmdir] [Create] [Unlink] [Rename] [Setattr]
 * [Setxattr] [Mount], each with one key Path whose value is a list of
 * absolute paths separated by ';' (a trailing ';' is fine).  '#' starts a
 * comment line.  GLib's GKeyFile does the parsing; a line scan of our own
 * only supplies line numbers for error messages, which GKeyFile lacks.
 *
 * A [Mount] entry may end in export options as exports(5) writes them:
 * "/srv/share(all_squash,anonuid=1000)".  In [Mount] every '(' starts the
 * options, so an exported path cannot contain one; elsewhere an entry
 * that looks like options is refused rather than taken as a path.
 *
 * Every function returns 0 or -errno and, on error, a one-line reason in
 * the caller's buffer; nothing here prints or exits.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include "qt_whitelist.h"
#include "qtfs_path.h"

#define WL_FILE_MAX	(4U << 20)	/* refuse absurdly large files */
#define WL_PATH_MAX	4096		/* sizeof(qtsrv_wl_rule.path) */

static const char *const wl_class_names[__QTSRV_WL_MAX] = {
	[QTSRV_WL_OPEN] = "Open",
	[QTSRV_WL_WRITE] = "Write",
	[QTSRV_WL_READ] = "Read",
	[QTSRV_WL_READDIR] = "Readdir",
	[QTSRV_WL_MKDIR] = "Mkdir",
	[QTSRV_WL_RMDIR] = "Rmdir",
	[QTSRV_WL_CREATE] = "Create",
	[QTSRV_WL_UNLINK] = "Unlink",
	[QTSRV_WL_RENAME] = "Rename",
	[QTSRV_WL_SETATTR] = "Setattr",
	[QTSRV_WL_SETXATTR] = "Setxattr",
	[QTSRV_WL_MOUNT] = "Mount",
	[QTSRV_WL_DEVICE] = "Device",
};

/**
 * qtsrv_wl_class_name() - INI section name of a class
 * @wl_class: &enum qtsrv_wl_class
 *
 * Return: the name, or NULL for an unknown class.
 */
const char *qtsrv_wl_class_name(unsigned int wl_class)
{
	return wl_class < __QTSRV_WL_MAX ? wl_class_names[wl_class] : NULL;
}

static int wl_class_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < __QTSRV_WL_MAX; i++)
		if (!strcmp(name, wl_class_names[i]))
			return i;
	return -1;
}

static int wl_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int wl_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Where things are in the file, for messages: found by a line scan. */
struct wl_lines {
	char **lines;		/* the file split at '\n' */
	unsigned int nr;
};

static void wl_lines_init(struct wl_lines *l, const char *data)
{
	l->lines = g_strsplit(data, "\n", -1);
	l->nr = g_strv_length(l->lines);
}

/* The line is a group header "[name]"; store name in @name (g_free). */
static int wl_line_group(const char *line, char **name)
{
	const char *s = line, *e;

	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return 0;
	e = strchr(s, ']');
	if (!e)
		return 0;
	*name = g_strndup(s + 1, e - s - 1);
	return 1;
}

static int wl_line_blank(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	return !*line || *line == '#';
}

/* First line of group @group, or of key @key in it when @key is set. */
static unsigned int wl_line_of(const struct wl_lines *l, const char *group,
			       const char *key)
{
	unsigned int i, in = 0;
	const char *s;
	char *name;
	size_t klen;

	for (i = 0; i < l->nr; i++) {
		if (wl_line_group(l->lines[i], &name)) {
			in = !strcmp(name, group);
			g_free(name);
			if (in && !key)
				return i + 1;
			continue;
		}
		if (!in || !key || wl_line_blank(l->lines[i]))
			continue;
		s = l->lines[i];
		while (isspace((unsigned char)*s))
			s++;
		klen = strlen(key);
		if (!strncmp(s, key, klen) &&
		    (s[klen] == '=' || isspace((unsigned char)s[klen])))
			return i + 1;
	}
	return 0;
}

/* Line of the first thing GKeyFile would refuse to parse, or 0. */
static unsigned int wl_line_bad(const struct wl_lines *l)
{
	unsigned int i, in_group = 0;
	const char *s, *eq;
	char *name;

	for (i = 0; i < l->nr; i++) {
		if (wl_line_blank(l->lines[i]))
			continue;
		if (wl_line_group(l->lines[i], &name)) {
			in_group = 1;
			g_free(name);
			continue;
		}
		s = l->lines[i];
		while (isspace((unsigned char)*s))
			s++;
		eq = strchr(s, '=');
		if (!in_group || *s == '[' || !eq || eq == s)
			return i + 1;
	}
	return 0;
}

/*
 * First key other than Path: GKeyFile hides localised keys ("Path[de]")
 * from g_key_file_get_keys(), so the lines are checked directly.
 */
static unsigned int wl_line_bad_key(const struct wl_lines *l, char **key,
				    char **group)
{
	const char *s, *eq;
	char *name, *cur = NULL;
	unsigned int i;

	for (i = 0; i < l->nr; i++) {
		if (wl_line_blank(l->lines[i]))
			continue;
		if (wl_line_group(l->lines[i], &name)) {
			g_free(cur);
			cur = name;
			continue;
		}
		s = l->lines[i];
		eq = strchr(s, '=');
		if (!eq)
			continue;
		*key = g_strstrip(g_strndup(s, eq - s));
		if (strcmp(*key, "Path")) {
			*group = cur;
			return i + 1;
		}
		g_free(*key);
	}
	g_free(cur);
	return 0;
}

/* A Path key given twice in one section (GKeyFile keeps only the last). */
static unsigned int wl_line_dup_path(const struct wl_lines *l,
				     const char *group, unsigned int *first)
{
	unsigned int i, in = 0;
	const char *s;
	char *name;

	*first = 0;
	for (i = 0; i < l->nr; i++) {
		if (wl_line_group(l->lines[i], &name)) {
			in = !strcmp(name, group);
			g_free(name);
			continue;
		}
		if (!in || wl_line_blank(l->lines[i]))
			continue;
		s = l->lines[i];
		while (isspace((unsigned char)*s))
			s++;
		if (strncmp(s, "Path", 4) ||
		    (s[4] != '=' && !isspace((unsigned char)s[4])))
			continue;
		if (*first)
			return i + 1;
		*first = i + 1;
	}
	return 0;
}

static int wl_read_file(const char *path, char **data, char *err,
			size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, ret;
	char *buf;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		return wl_err(err, errlen, ret,
			      "cannot read whitelist %s: %s (install one, e.g. cp config/qtfs/whitelist %s)",
			      path, strerror(-ret), path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > WL_FILE_MAX) {
		close(fd);
		return wl_err(err, errlen, -EINVAL,
			      "cannot read whitelist %s: not a regular file of at most %u bytes",
			      path, WL_FILE_MAX);
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return wl_err(err, errlen, -ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			free(buf);
			close(fd);
			return wl_err(err, errlen, ret,
				      "cannot read whitelist %s: %s", path,
				      strerror(-ret));
		}
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	if (strlen(buf) != got) {
		free(buf);
		return wl_err(err, errlen, -EINVAL,
			      "whitelist %s: contains a NUL byte", path);
	}
	*data = buf;
	return 0;
}

/*
 * The export options, in the order qtsrv_export_opts_format() prints them;
 * @flag is the option's QTSRV_EXPORT_* bit, @value whether it takes "=".
 */
static const struct {
	const char *name;
	unsigned int flag;
	int value;
} wl_opts[] = {
	{ "root_squash", QTSRV_EXPORT_ROOT_SQUASH, 0 },
	{ "no_root_squash", QTSRV_EXPORT_NO_ROOT_SQUASH, 0 },
	{ "all_squash", QTSRV_EXPORT_ALL_SQUASH, 0 },
	{ "anonuid", QTSRV_EXPORT_ANONUID, 1 },
	{ "anongid", QTSRV_EXPORT_ANONGID, 1 },
	{ "uids", QTSRV_EXPORT_UIDS, 1 },
};

#define WL_OPTS_KNOWN \
	"root_squash no_root_squash all_squash anonuid=N anongid=N uids=MIN-MAX"

/* A decimal id 0..QTSRV_EXPORT_ID_MAX, all of @s up to @end. */
static int wl_parse_id(const char *s, const char *end, unsigned int *id)
{
	unsigned long long v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > QTSRV_EXPORT_ID_MAX)
			return -ERANGE;
	}
	*id = v;
	return 0;
}

/* The value of option @name=@val into @o; @path names the entry. */
static int wl_parse_opt_value(const char *name, const char *val,
			      const char *path, struct qtsrv_export_opts *o,
			      char *err, size_t errlen)
{
	const char *end = val + strlen(val), *dash = NULL;
	unsigned int *id = NULL;
	int ret;

	if (!strcmp(name, "anonuid"))
		id = &o->anonuid;
	else if (!strcmp(name, "anongid"))
		id = &o->anongid;
	if (id) {
		ret = wl_parse_id(val, end, id);
		if (ret)
			return wl_err(err, errlen, -EINVAL,
				      "%s=%s for %s: %s (use 0..%u)", name,
				      val, path, ret == -ERANGE ?
				      "out of range" : "not a number",
				      QTSRV_EXPORT_ID_MAX);
		return 0;
	}
	/* uids=MIN-MAX */
	dash = strchr(val, '-');
	if (!dash)
		return wl_err(err, errlen, -EINVAL,
			      "uids=%s for %s: use uids=MIN-MAX", val, path);
	ret = wl_parse_id(val, dash, &o->uid_min);
	if (!ret)
		ret = wl_parse_id(dash + 1, end, &o->uid_max);
	if (ret)
		return wl_err(err, errlen, -EINVAL,
			      "uids=%s for %s: %s (use uids=MIN-MAX with MIN and MAX in 0..%u)",
			      val, path, ret == -ERANGE ? "out of range" :
			      "not a range of numbers", QTSRV_EXPORT_ID_MAX);
	if (o->uid_min > o->uid_max)
		return wl_err(err, errlen, -EINVAL,
			      "uids=%s for %s: the range is inverted (MIN above MAX)",
			      val, path);
	return 0;
}

/* The comma-separated options @s of entry @path into @o. */
static int wl_parse_opts(char *s, const char *path,
			 struct qtsrv_export_opts *o, char *err,
			 size_t errlen)
{
	char *tok, *next, *eq;
	size_t i;
	int ret;

	memset(o, 0, sizeof(*o));
	if (!*g_strstrip(s))
		return 0;
	for (tok = s; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		tok = g_strstrip(tok);
		eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		g_strstrip(tok);
		if (!*tok)
			return wl_err(err, errlen, -EINVAL,
				      "empty export option for %s", path);
		for (i = 0; i < sizeof(wl_opts) / sizeof(wl_opts[0]); i++)
			if (!strcmp(tok, wl_opts[i].name))
				break;
		if (i == sizeof(wl_opts) / sizeof(wl_opts[0]))
			return wl_err(err, errlen, -EINVAL,
				      "unknown export option '%s' for %s (known: %s)",
				      tok, path, WL_OPTS_KNOWN);
		if (o->flags & wl_opts[i].flag)
			return wl_err(err, errlen, -EINVAL,
				      "export option '%s' given twice for %s",
				      tok, path);
		if (!wl_opts[i].value && eq)
			return wl_err(err, errlen, -EINVAL,
				      "export option '%s' for %s takes no value",
				      tok, path);
		if (wl_opts[i].value && !eq)
			return wl_err(err, errlen, -EINVAL,
				      "export option '%s' for %s needs a value: %s=%s",
				      tok, path, tok,
				      wl_opts[i].flag == QTSRV_EXPORT_UIDS ?
				      "MIN-MAX" : "N");
		if (eq) {
			ret = wl_parse_opt_value(tok, g_strstrip(eq + 1), path,
						 o, err, errlen);
			if (ret)
				return ret;
		}
		o->flags |= wl_opts[i].flag;
	}
	if ((o->flags & QTSRV_EXPORT_NO_ROOT_SQUASH) &&
	    (o->flags & (QTSRV_EXPORT_ROOT_SQUASH | QTSRV_EXPORT_ALL_SQUASH)))
		return wl_err(err, errlen, -EINVAL,
			      "export options no_root_squash and %s for %s conflict",
			      o->flags & QTSRV_EXPORT_ROOT_SQUASH ?
			      "root_squash" : "all_squash", path);
	return 0;
}

/**
 * qtsrv_wl_parse_entry() - split one Path list entry into path and options
 * @entry:    the entry, blanks stripped; modified
 * @wl_class: &enum qtsrv_wl_class of its section
 * @norm:     result: the normalised path
 * @normlen:  size of @norm
 * @opts:     result: the export options (all zero outside [Mount])
 * @err:      buffer for a one-line reason on error
 * @errlen:   its size
 *
 * Return: 0 or -errno (-EINVAL, or -ENAMETOOLONG for a path too long).
 */
int qtsrv_wl_parse_entry(char *entry, unsigned int wl_class, char *norm,
			 size_t normlen, struct qtsrv_export_opts *opts,
			 char *err, size_t errlen)
{
	char *open = strchr(entry, '('), *close, *p;
	size_t len = strlen(entry);

	memset(opts, 0, sizeof(*opts));
	close = len ? entry + len - 1 : entry;
	if (wl_class != QTSRV_WL_MOUNT && open && *close == ')')
		return wl_err(err, errlen, -EINVAL,
			      "export options in '%s' are only allowed in [Mount]",
			      entry);
	if (wl_class != QTSRV_WL_MOUNT)
		open = NULL;
	if (open && (*close != ')' || strchr(open + 1, '(')))
		return wl_err(err, errlen, -EINVAL,
			      "'%s': export options go in one '(...)' at the end of the path",
			      entry);
	if (open) {
		*open = '\0';
		*close = '\0';
	}
	p = g_strstrip(entry);
	if (!*p)
		return wl_err(err, errlen, -EINVAL, "empty path in Path list");
	if (strlen(p) >= WL_PATH_MAX)
		return wl_err(err, errlen, -ENAMETOOLONG,
			      "path is too long (%zu bytes, at most %u)",
			      strlen(p), WL_PATH_MAX - 1);
	switch (qtfs_path_normalize(norm, normlen, p)) {
	case 0:
		break;
	case -EINVAL:
		return wl_err(err, errlen, -EINVAL, "path '%s' is not absolute",
			      p);
	case -EPERM:
		return wl_err(err, errlen, -EINVAL,
			      "path '%s' has a '..' component", p);
	default:
		return wl_err(err, errlen, -ENAMETOOLONG, "path is too long");
	}
	return open ? wl_parse_opts(open + 1, norm, opts, err, errlen) : 0;
}

/**
 * qtsrv_export_opts_format() - export options as the whitelist spells them
 * @o:   options
 * @buf: result: comma-separated options, "" for none
 * @len: size of @buf
 *
 * Return: @buf.
 */
char *qtsrv_export_opts_format(const struct qtsrv_export_opts *o, char *buf,
			       size_t len)
{
	size_t i, n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(wl_opts) / sizeof(wl_opts[0]); i++) {
		if (!(o->flags & wl_opts[i].flag) || n >= len)
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
			      wl_opts[i].name);
		if (n >= len)
			break;
		if (wl_opts[i].flag == QTSRV_EXPORT_ANONUID)
			n += snprintf(buf + n, len - n, "=%u", o->anonuid);
		else if (wl_opts[i].flag == QTSRV_EXPORT_ANONGID)
			n += snprintf(buf + n, len - n, "=%u", o->anongid);
		else if (wl_opts[i].flag == QTSRV_EXPORT_UIDS)
			n += snprintf(buf + n, len - n, "=%u-%u", o->uid_min,
				      o->uid_max);
	}
	return buf;
}

/* Add a rule; the same path twice in a class must carry the same options. */
static int wl_add(struct qtsrv_wl_set *set, unsigned int wl_class,
		  const char *path, const struct qtsrv_export_opts *opts)
{
	struct qtsrv_wl_entry *r;
	size_t i;

	for (i = 0; i < set->nr; i++) {
		if (set->rules[i].wl_class != wl_class ||
		    strcmp(set->rules[i].path, path))
			continue;
		return memcmp(&set->rules[i].opts, opts, sizeof(*opts)) ?
		       -EEXIST : 0;
	}
	if (set->nr >= QTSRV_WL_RULES_MAX)
		return -E2BIG;
	r = realloc(set->rules, (set->nr + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	set->rules = r;
	r[set->nr].path = strdup(path);
	if (!r[set->nr].path)
		return -ENOMEM;
	r[set->nr].wl_class = wl_class;
	r[set->nr].opts = *opts;
	set->nr++;
	return 0;
}

/* Parse the Path list of section @group (class @cls) into @set. */
static int wl_parse_paths(GKeyFile *kf, const struct wl_lines *l,
			  const char *file, const char *group,
			  unsigned int cls, struct qtsrv_wl_set *set,
			  char *err, size_t errlen)
{
	char norm[WL_PATH_MAX], why[WL_PATH_MAX + 256];
	struct qtsrv_export_opts opts;
	unsigned int line, first;
	GError *gerr = NULL;
	gsize i, n = 0;
	char **list;
	int ret = 0;

	line = wl_line_dup_path(l, group, &first);
	if (line)
		return wl_err(err, errlen, -EINVAL,
			      "whitelist %s line %u: second Path key in [%s] (first on line %u): list all paths in one Path=, separated by ';'",
			      file, line, group, first);
	if (!g_key_file_has_key(kf, group, "Path", NULL))
		return 0;
	line = wl_line_of(l, group, "Path");
	list = g_key_file_get_string_list(kf, group, "Path", &n, &gerr);
	if (!list) {
		/* an empty value is an empty list, not an error */
		if (g_error_matches(gerr, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE) ||
		    !gerr) {
			ret = wl_err(err, errlen, -EINVAL,
				     "whitelist %s line %u: bad Path value in [%s]: %s",
				     file, line, group,
				     gerr ? gerr->message : "?");
			g_clear_error(&gerr);
			return ret;
		}
		g_clear_error(&gerr);
		return 0;
	}
	for (i = 0; i < n && !ret; i++) {
		ret = qtsrv_wl_parse_entry(g_strstrip(list[i]), cls, norm,
					   sizeof(norm), &opts, why,
					   sizeof(why));
		if (ret) {
			wl_err(err, errlen, ret,
			       "whitelist %s line %u: [%s]: %s", file, line,
			       group, why);
			break;
		}
		ret = wl_add(set, cls, norm, &opts);
		if (ret == -EEXIST)
			ret = wl_err(err, errlen, -EINVAL,
				     "whitelist %s line %u: [%s]: %s is listed twice with conflicting export options",
				     file, line, group, norm);
		else if (ret == -E2BIG)
			wl_err(err, errlen, ret,
			       "whitelist %s line %u: more than %u rules",
			       file, line, QTSRV_WL_RULES_MAX);
		else if (ret)
			wl_err(err, errlen, ret, "out of memory");
	}
	g_strfreev(list);
	return ret;
}

static int wl_parse(const char *file, const char *data,
		    struct qtsrv_wl_set *set, char *err, size_t errlen)
{
	struct wl_lines l;
	GError *gerr = NULL;
	char *key, *group;
	unsigned int line;
	char **groups;
	gsize i;
	GKeyFile *kf;
	int cls, ret = 0;

	wl_lines_init(&l, data);
	kf = g_key_file_new();
	g_key_file_set_list_separator(kf, ';');
	if (!g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE,
				       &gerr)) {
		line = wl_line_bad(&l);
		if (line)
			ret = wl_err(err, errlen, -EINVAL,
				     "whitelist %s line %u: %s", file, line,
				     gerr->message);
		else
			ret = wl_err(err, errlen, -EINVAL, "whitelist %s: %s",
				     file, gerr->message);
		g_clear_error(&gerr);
		goto out;
	}

	line = wl_line_bad_key(&l, &key, &group);
	if (line) {
		ret = wl_err(err, errlen, -EINVAL,
			     "whitelist %s line %u: unknown key '%s' in [%s] (only Path= is allowed)",
			     file, line, key, group ? group : "");
		g_free(key);
		g_free(group);
		goto out;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (i = 0; groups[i] && !ret; i++) {
		cls = wl_class_by_name(groups[i]);
		if (cls < 0) {
			ret = wl_err(err, errlen, -EINVAL,
				     "whitelist %s line %u: unknown section [%s] (known: Open Write Read Readdir Mkdir Rmdir Create Unlink Rename Setattr Setxattr Mount Device)",
				     file, wl_line_of(&l, groups[i], NULL),
				     groups[i]);
			break;
		}
		if (!ret)
			ret = wl_parse_paths(kf, &l, file, groups[i], cls, set,
					     err, errlen);
	}
	g_strfreev(groups);
	if (!ret && !qtsrv_wl_count(set, QTSRV_WL_MOUNT))
		ret = wl_err(err, errlen, -EINVAL,
			     "whitelist %s has no [Mount] Path entries: add [Mount] Path=/dir to allow mounts",
			     file);
out:
	g_key_file_free(kf);
	g_strfreev(l.lines);
	return ret;
}

/**
 * qtsrv_wl_load() - read and parse a whitelist file
 * @path:   file name
 * @set:    result; empty on error
 * @err:    buffer for a one-line reason on error
 * @errlen: its size
 *
 * Return: 0 or -errno.
 */
int qtsrv_wl_load(const char *path, struct qtsrv_wl_set *set, char *err,
		  size_t errlen)
{
	char *data = NULL;
	int ret;

	set->nr = 0;
	set->rules = NULL;
	ret = wl_read_file(path, &data, err, errlen);
	if (ret)
		return ret;
	ret = wl_parse(path, data, set, err, errlen);
	free(data);
	if (ret)
		qtsrv_wl_free(set);
	return ret;
}

/**
 * qtsrv_wl_free() - free a parsed whitelist
 * @set: whitelist; left empty
 */
void qtsrv_wl_free(struct qtsrv_wl_set *set)
{
	size_t i;

	for (i = 0; i < set->nr; i++)
		free(set->rules[i].path);
	free(set->rules);
	set->rules = NULL;
	set->nr = 0;
}

/**
 * qtsrv_wl_count() - number of rules of a class
 * @set:      whitelist
 * @wl_class: &enum qtsrv_wl_class
 *
 * Return: the count.
 */
size_t qtsrv_wl_count(const struct qtsrv_wl_set *set, unsigned int wl_class)
{
	size_t i, n = 0;

	for (i = 0; i < set->nr; i++)
		n += set->rules[i].wl_class == wl_class;
	return n;
}

/**
 * qtsrv_wl_to_ioctl() - the rules in the layout QTSRV_IOC_WL_SET takes
 * @set: whitelist
 *
 * Return: a calloc'd array of @set->nr rules (free()), or NULL with errno
 * set.
 */
struct qtsrv_wl_rule *qtsrv_wl_to_ioctl(const struct qtsrv_wl_set *set)
{
	struct qtsrv_wl_rule *r;
	size_t i, len;

	r = calloc(set->nr ? set->nr : 1, sizeof(*r));
	if (!r)
		return NULL;
	for (i = 0; i < set->nr; i++) {
		len = strlen(set->rules[i].path);
		if (len >= sizeof(r[i].path)) {
			free(r);
			errno = ENAMETOOLONG;
			return NULL;
		}
		r[i].wl_class = set->rules[i].wl_class;
		r[i].path_len = len;
		memcpy(r[i].path, set->rules[i].path, len + 1);
		r[i].export = set->rules[i].opts;
	}
	return r;
}
