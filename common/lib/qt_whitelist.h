/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The whitelist parser of the engine, qtinfo and udsproxyd:
 * /etc/qtfs/whitelist (INI, one section per operation class, "Path=/a;/b")
 * into rules, and the module's classes into the list QTSRV_IOC_WL_SET takes.
 */
#ifndef QT_WHITELIST_H
#define QT_WHITELIST_H

#include <stddef.h>
#include "uapi/qtfs_ioctl.h"

/*
 * Classes past the module's &enum qtsrv_wl_class belong to the userspace
 * daemons alone: they are parsed with the others but never sent to the
 * module (qtsrv_wl_to_ioctl() leaves them out).
 *
 * %QT_WL_UDSCONNECT: [Udsconnect], the unix socket paths udsproxyd may
 * connect to for a peer (closed when absent).
 */
#define QT_WL_UDSCONNECT	__QTSRV_WL_MAX
#define QT_WL_CLASSES		(QT_WL_UDSCONNECT + 1)

/**
 * struct qtsrv_wl_entry - one parsed rule
 * @wl_class: &enum qtsrv_wl_class, or a QT_WL_* class
 * @path:     normalised absolute path (malloc'd)
 * @opts:     export options ([Mount] only, else zero)
 */
struct qtsrv_wl_entry {
	unsigned int wl_class;
	char *path;
	struct qtsrv_export_opts opts;
};

/**
 * struct qtsrv_wl_set - a parsed whitelist
 * @nr:    number of rules
 * @rules: the rules, in file order, without duplicates
 */
struct qtsrv_wl_set {
	size_t nr;
	struct qtsrv_wl_entry *rules;
};

int qtsrv_wl_read_file(const char *path, char **data, char *err,
		       size_t errlen);
int qtsrv_wl_parse(const char *file, const char *text,
		   struct qtsrv_wl_set *set, char *err, size_t errlen);
int qtsrv_wl_load(const char *path, struct qtsrv_wl_set *set, char *err,
		  size_t errlen);
int qtsrv_wl_edit(const char *file, const char *text, unsigned int wl_class,
		  const char *add, const char *del, char **out, char *err,
		  size_t errlen);
void qtsrv_wl_free(struct qtsrv_wl_set *set);
size_t qtsrv_wl_count(const struct qtsrv_wl_set *set, unsigned int wl_class);
const char *qtsrv_wl_class_name(unsigned int wl_class);
struct qtsrv_wl_rule *qtsrv_wl_to_ioctl(const struct qtsrv_wl_set *set,
				       size_t *nr);
const struct qtsrv_wl_entry *qtsrv_wl_match(const struct qtsrv_wl_set *set,
					    unsigned int wl_class,
					    const char *path);
int qtsrv_wl_parse_entry(char *entry, unsigned int wl_class, char *norm,
			 size_t normlen, struct qtsrv_export_opts *opts,
			 char *err, size_t errlen);
char *qtsrv_export_opts_format(const struct qtsrv_export_opts *o, char *buf,
			       size_t len);

#endif /* QT_WHITELIST_H */
