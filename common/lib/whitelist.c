// SPDX-License-Identifier: GPL-2.0
/*
 * The whitelist parser of the engine, qtinfo and udsproxyd.
 *
 * Format (the original qtfs one, an INI file), one grammar read by this
 * one line scanner, so that every error names its line:
 *
 *   file    = *line                     lines end in '\n' (or the end)
 *   line    = blanks? (comment / section / path)? blanks?
 *   comment = '#' anything
 *   section = '[' name ']'              name: Open Write Read Readdir Mkdir
 *                                       Rmdir Create Unlink Rename Setattr
 *                                       Setxattr Mount Device Udsconnect
 *   path    = "Path" blanks? '=' list   at most one per class in the file
 *   list    = entry (';' entry)* ';'?   an empty list is allowed
 *   entry   = blanks? absolute-path ('(' options ')')? blanks?
 *
 * A section may appear more than once; its Path= lines count together.
 * Values are taken literally: a '\' is refused rather than read as an
 * escape (GKeyFile, which parsed this file before, had escapes).
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "qt_whitelist.h"
#include "qtfs_path.h"

#define WL_FILE_MAX	(4U << 20)	/* refuse absurdly large files */
#define WL_PATH_MAX	4096		/* sizeof(qtsrv_wl_rule.path) */

static const char *const wl_class_names[QT_WL_CLASSES] = {
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
	[QT_WL_UDSCONNECT] = "Udsconnect",
};

/**
 * qtsrv_wl_class_name() - INI section name of a class
 * @wl_class: &enum qtsrv_wl_class or a QT_WL_* class
 *
 * Return: the name, or NULL for an unknown class.
 */
const char *qtsrv_wl_class_name(unsigned int wl_class)
{
	return wl_class < QT_WL_CLASSES ? wl_class_names[wl_class] : NULL;
}

static int wl_class_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < QT_WL_CLASSES; i++)
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

static bool wl_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* @s without leading and trailing blanks (the trailing ones are cut off). */
static char *wl_strip(char *s)
{
	size_t n;

	while (wl_blank(*s))
		s++;
	n = strlen(s);
	while (n && wl_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/**
 * qtsrv_wl_read_file() - read a whitelist file into memory
 * @path:   file name
 * @data:   result: the NUL-terminated contents (free())
 * @err:    buffer for a one-line reason on error
 * @errlen: its size
 *
 * Return: 0 or -errno; a file that is not regular, larger than 4 MiB or
 * holds a NUL byte is refused with -EINVAL.
 */
int qtsrv_wl_read_file(const char *path, char **data, char *err,
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
	if (!*wl_strip(s))
		return 0;
	for (tok = s; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		tok = wl_strip(tok);
		eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		tok = wl_strip(tok);
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
			ret = wl_parse_opt_value(tok, wl_strip(eq + 1), path,
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
	p = wl_strip(entry);
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

/**
 * struct wl_scan - state of one pass over a whitelist text
 * @file:      file name, for messages
 * @text:      the text
 * @set:       rules found, or NULL to only check the text
 * @line:      number of the current line (from 1)
 * @cls:       class of the current section, -1 before the first
 * @path_line: per class, the line of its Path= (0: none yet)
 * @path_off:  per class, offset in @text of its Path= line
 * @path_end:  per class, offset of the end of that line (its '\n' or NUL)
 * @sect_end:  per class, offset just past its last section header line
 *             (0: no section)
 * @err:       buffer for a one-line reason on error
 * @errlen:    its size
 */
struct wl_scan {
	const char *file;
	const char *text;
	struct qtsrv_wl_set *set;
	unsigned int line;
	int cls;
	unsigned int path_line[QT_WL_CLASSES];
	size_t path_off[QT_WL_CLASSES];
	size_t path_end[QT_WL_CLASSES];
	size_t sect_end[QT_WL_CLASSES];
	char *err;
	size_t errlen;
};

#define WL_SECTIONS_KNOWN \
	"Open Write Read Readdir Mkdir Rmdir Create Unlink Rename Setattr Setxattr Mount Device Udsconnect"

/* The entries of a Path= value @v (modified) of the current class. */
static int wl_scan_list(struct wl_scan *sc, char *v)
{
	char norm[WL_PATH_MAX], why[WL_PATH_MAX + 256], *sep, *entry;
	const char *group = wl_class_names[sc->cls];
	struct qtsrv_export_opts opts;
	int ret;

	for (v = wl_strip(v); *v; v = sep + 1) {
		sep = strchr(v, ';');
		if (sep)
			*sep = '\0';
		entry = wl_strip(v);
		if (!sep && !*entry)
			break;	/* after a trailing ';' */
		if (strchr(entry, '\\'))
			return wl_err(sc->err, sc->errlen, -EINVAL,
				      "whitelist %s line %u: [%s]: '\\' in '%s': values are literal, there are no escapes",
				      sc->file, sc->line, group, entry);
		ret = qtsrv_wl_parse_entry(entry, sc->cls, norm, sizeof(norm),
					   &opts, why, sizeof(why));
		if (ret)
			return wl_err(sc->err, sc->errlen, ret,
				      "whitelist %s line %u: [%s]: %s", sc->file,
				      sc->line, group, why);
		ret = sc->set ? wl_add(sc->set, sc->cls, norm, &opts) : 0;
		if (ret == -EEXIST)
			return wl_err(sc->err, sc->errlen, -EINVAL,
				      "whitelist %s line %u: [%s]: %s is listed twice with conflicting export options",
				      sc->file, sc->line, group, norm);
		if (ret == -E2BIG)
			return wl_err(sc->err, sc->errlen, ret,
				      "whitelist %s line %u: more than %u rules",
				      sc->file, sc->line, QTSRV_WL_RULES_MAX);
		if (ret)
			return wl_err(sc->err, sc->errlen, ret,
				      "out of memory");
		if (!sep)
			break;
	}
	return 0;
}

/* A section header "[...]" at @p (blanks stripped); @end: past its line. */
static int wl_scan_section(struct wl_scan *sc, char *p, size_t end)
{
	size_t n = strlen(p);
	int cls;

	if (n < 2 || p[n - 1] != ']' || memchr(p + 1, ']', n - 2))
		return wl_err(sc->err, sc->errlen, -EINVAL,
			      "whitelist %s line %u: malformed section header '%s': write [Name] alone on its line",
			      sc->file, sc->line, p);
	p[n - 1] = '\0';
	cls = wl_class_by_name(p + 1);
	if (cls < 0)
		return wl_err(sc->err, sc->errlen, -EINVAL,
			      "whitelist %s line %u: unknown section [%s] (known: %s)",
			      sc->file, sc->line, p + 1, WL_SECTIONS_KNOWN);
	sc->cls = cls;
	sc->sect_end[cls] = end;
	return 0;
}

/*
 * One line @s (a modifiable copy, without its '\n'), which spans
 * [@off, @eol) of the text; @end is past its '\n'.
 */
static int wl_scan_line(struct wl_scan *sc, char *s, size_t off, size_t eol,
			size_t end)
{
	char *p = wl_strip(s), *eq, *key;

	if (!*p || *p == '#')
		return 0;
	if (*p == '[')
		return wl_scan_section(sc, p, end);
	eq = strchr(p, '=');
	if (!eq)
		return wl_err(sc->err, sc->errlen, -EINVAL,
			      "whitelist %s line %u: '%s' is not a section header, a Path= line or a comment",
			      sc->file, sc->line, p);
	*eq = '\0';
	key = wl_strip(p);
	if (sc->cls < 0)
		return wl_err(sc->err, sc->errlen, -EINVAL,
			      "whitelist %s line %u: %s= before the first section header",
			      sc->file, sc->line, key);
	if (strcmp(key, "Path"))
		return wl_err(sc->err, sc->errlen, -EINVAL,
			      "whitelist %s line %u: unknown key '%s' in [%s] (only Path= is allowed)",
			      sc->file, sc->line, key,
			      wl_class_names[sc->cls]);
	if (sc->path_line[sc->cls])
		return wl_err(sc->err, sc->errlen, -EINVAL,
			      "whitelist %s line %u: second Path key in [%s] (first on line %u): list all paths in one Path=, separated by ';'",
			      sc->file, sc->line, wl_class_names[sc->cls],
			      sc->path_line[sc->cls]);
	sc->path_line[sc->cls] = sc->line;
	sc->path_off[sc->cls] = off;
	sc->path_end[sc->cls] = eol;
	return wl_scan_list(sc, eq + 1);
}

/* Run @sc over its text, line by line. */
static int wl_scan(struct wl_scan *sc)
{
	const char *t = sc->text, *nl;
	size_t off = 0, len;
	char *copy;
	int ret = 0;

	sc->cls = -1;
	/* one buffer holds a modifiable copy of the current line */
	copy = malloc(strlen(t) + 1);
	if (!copy)
		return wl_err(sc->err, sc->errlen, -ENOMEM, "out of memory");
	for (sc->line = 1; t[off] && !ret; sc->line++) {
		nl = strchr(t + off, '\n');
		len = nl ? (size_t)(nl - (t + off)) : strlen(t + off);
		memcpy(copy, t + off, len);
		copy[len] = '\0';
		ret = wl_scan_line(sc, copy, off, off + len,
				   off + len + (nl ? 1 : 0));
		off += len + (nl ? 1 : 0);
	}
	free(copy);
	return ret;
}

/**
 * qtsrv_wl_parse() - parse a whitelist text
 * @file:   its file name, for messages
 * @text:   the text
 * @set:    result, in file order without duplicates; empty on error
 * @err:    buffer for a one-line reason on error, naming @file and the line
 * @errlen: its size
 *
 * Return: 0 or -errno; a whitelist without a [Mount] entry is refused.
 */
int qtsrv_wl_parse(const char *file, const char *text,
		   struct qtsrv_wl_set *set, char *err, size_t errlen)
{
	struct wl_scan sc = {
		.file = file, .text = text, .set = set,
		.err = err, .errlen = errlen,
	};
	int ret;

	set->nr = 0;
	set->rules = NULL;
	ret = wl_scan(&sc);
	if (!ret && !qtsrv_wl_count(set, QTSRV_WL_MOUNT))
		ret = wl_err(err, errlen, -EINVAL,
			     "whitelist %s has no [Mount] Path entries: add [Mount] Path=/dir to allow mounts",
			     file);
	if (ret)
		qtsrv_wl_free(set);
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
	ret = qtsrv_wl_read_file(path, &data, err, errlen);
	if (ret)
		return ret;
	ret = qtsrv_wl_parse(path, data, set, err, errlen);
	free(data);
	return ret;
}

/*
 * Write the Path= line of class @cls from the one at [@off, @eol) of
 * @text, without the entries whose path normalises to @del and with @add
 * at the end.  Return: the number of entries dropped.
 */
static size_t wl_edit_path_line(FILE *out, const char *text, size_t off,
				size_t eol, unsigned int cls, const char *add,
				const char *del)
{
	char norm[WL_PATH_MAX], why[WL_PATH_MAX + 256], *line, *v, *sep;
	struct qtsrv_export_opts opts;
	char *entry, *tmp;
	size_t dropped = 0;
	const char *semi = "";

	line = strndup(text + off, eol - off);
	if (!line)
		return 0;
	fputs("Path=", out);
	/* the text parsed, so there is a '=' and every entry is valid */
	for (v = strchr(line, '=') + 1; v; v = sep ? sep + 1 : NULL) {
		sep = strchr(v, ';');
		if (sep)
			*sep = '\0';
		entry = wl_strip(v);
		if (!*entry)
			continue;
		tmp = strdup(entry);
		if (del && tmp &&
		    !qtsrv_wl_parse_entry(tmp, cls, norm, sizeof(norm), &opts,
					  why, sizeof(why)) &&
		    !strcmp(norm, del)) {
			dropped++;
		} else {
			fprintf(out, "%s%s", semi, entry);
			semi = ";";
		}
		free(tmp);
	}
	if (add)
		fprintf(out, "%s%s", semi, add);
	if (add || *semi)
		fputc(';', out);
	free(line);
	return dropped;
}

/**
 * qtsrv_wl_edit() - add an entry to a class of a whitelist text, or drop one
 * @file:     file name of @text, for messages
 * @text:     the whitelist; it must parse
 * @wl_class: &enum qtsrv_wl_class or QT_WL_* class of the entry
 * @add:      entry to append to the class's Path= list ("/path" or, in
 *            [Mount], "/path(options)"), or NULL
 * @del:      normalised path whose entries to drop from it, or NULL
 * @out:      result: the new text (free()); every other line, comments
 *            included, stays as it was
 * @err:      buffer for a one-line reason on error
 * @errlen:   its size
 *
 * Give exactly one of @add and @del.  A class without a Path= line gets
 * one after its last section header, or a new section at the end.
 *
 * Return: 0, -ENOENT if @del is not in the class, or another -errno.
 */
int qtsrv_wl_edit(const char *file, const char *text, unsigned int wl_class,
		  const char *add, const char *del, char **out, char *err,
		  size_t errlen)
{
	struct wl_scan sc = {
		.file = file, .text = text, .err = err, .errlen = errlen,
	};
	size_t len, dropped = 0, n = strlen(text);
	FILE *f;
	int ret;

	if (wl_class >= QT_WL_CLASSES || !add == !del)
		return wl_err(err, errlen, -EINVAL,
			      "bad whitelist edit request");
	ret = wl_scan(&sc);
	if (ret)
		return ret;
	f = open_memstream(out, &len);
	if (!f)
		return wl_err(err, errlen, -ENOMEM, "out of memory");
	if (sc.path_line[wl_class]) {
		fwrite(text, 1, sc.path_off[wl_class], f);
		dropped = wl_edit_path_line(f, text, sc.path_off[wl_class],
					    sc.path_end[wl_class], wl_class,
					    add, del);
		fputs(text + sc.path_end[wl_class], f);
	} else if (add && sc.sect_end[wl_class]) {
		fwrite(text, 1, sc.sect_end[wl_class], f);
		if (text[sc.sect_end[wl_class] - 1] != '\n')
			fputc('\n', f);
		fprintf(f, "Path=%s;\n", add);
		fputs(text + sc.sect_end[wl_class], f);
	} else if (add) {
		fputs(text, f);
		fprintf(f, "%s\n[%s]\nPath=%s;\n",
			n && text[n - 1] != '\n' ? "\n" : "",
			wl_class_names[wl_class], add);
	}
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return wl_err(err, errlen, -ENOMEM, "out of memory");
	}
	if (del && !dropped) {
		free(*out);
		*out = NULL;
		return wl_err(err, errlen, -ENOENT, "%s is not in [%s] of %s",
			      del, wl_class_names[wl_class], file);
	}
	return 0;
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
 * qtsrv_wl_to_ioctl() - the module's rules in the layout QTSRV_IOC_WL_SET takes
 * @set: whitelist
 * @nr:  result: the number of rules returned
 *
 * Rules of the daemons' own classes (QT_WL_*) are left out.
 *
 * Return: a calloc'd array of *@nr rules (free()), or NULL with errno set.
 */
struct qtsrv_wl_rule *qtsrv_wl_to_ioctl(const struct qtsrv_wl_set *set,
					size_t *nr)
{
	struct qtsrv_wl_rule *r;
	size_t i, n = 0, len;

	r = calloc(set->nr ? set->nr : 1, sizeof(*r));
	if (!r)
		return NULL;
	for (i = 0; i < set->nr; i++) {
		if (set->rules[i].wl_class >= __QTSRV_WL_MAX)
			continue;
		len = strlen(set->rules[i].path);
		if (len >= sizeof(r[n].path)) {
			free(r);
			errno = ENAMETOOLONG;
			return NULL;
		}
		r[n].wl_class = set->rules[i].wl_class;
		r[n].path_len = len;
		memcpy(r[n].path, set->rules[i].path, len + 1);
		r[n].export = set->rules[i].opts;
		n++;
	}
	*nr = n;
	return r;
}

/**
 * qtsrv_wl_match() - the most specific rule of a class covering a path
 * @set:      whitelist
 * @wl_class: class
 * @path:     normalised absolute path
 *
 * A rule covers its own path and everything below it on path-component
 * boundaries ("/srv/share" covers "/srv/share/a", not "/srv/shared").
 *
 * Return: the covering rule with the longest path, or NULL.
 */
const struct qtsrv_wl_entry *qtsrv_wl_match(const struct qtsrv_wl_set *set,
					    unsigned int wl_class,
					    const char *path)
{
	const struct qtsrv_wl_entry *best = NULL;
	size_t i, len;

	for (i = 0; i < set->nr; i++) {
		const struct qtsrv_wl_entry *e = &set->rules[i];

		if (e->wl_class != wl_class)
			continue;
		len = strlen(e->path);
		/* "/" covers everything; else a prefix ending at a '/' */
		if (strncmp(path, e->path, len) ||
		    (len > 1 && path[len] && path[len] != '/'))
			continue;
		if (!best || len > strlen(best->path))
			best = e;
	}
	return best;
}
