/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The whitelist parser of the engine and qtinfo: /etc/qtfs/whitelist (INI, one section per
 * operation class, "Path=/a;/b") into the rule list QTSRV_IOC_WL_SET takes.
 */
#ifndef QT_WHITELIST_H
#define QT_WHITELIST_H

#include <stddef.h>
#include "uapi/qtfs_ioctl.h"

/**
 * struct qtsrv_wl_entry - one parsed rule
 * @wl_class: &enum qtsrv_wl_class
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
struct qtsrv_wl_rule *qtsrv_wl_to_ioctl(const struct qtsrv_wl_set *set);
int qtsrv_wl_parse_entry(char *entry, unsigned int wl_class, char *norm,
			 size_t normlen, struct qtsrv_export_opts *opts,
			 char *err, size_t errlen);
char *qtsrv_export_opts_format(const struct qtsrv_export_opts *o, char *buf,
			       size_t len);

#endif /* QT_WHITELIST_H */
