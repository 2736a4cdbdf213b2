/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The qtfs_log_level module parameter, shared by qtfs.ko and
 * qtfs_server.ko (each module compiles common/qtfs_log.c).
 */
#ifndef _QTFS_LOG_H
#define _QTFS_LOG_H

#include <linux/compiler.h>
#include <linux/printk.h>

/* Values of the qtfs_log_level module parameter. */
enum qtfs_log_level {
	QTFS_LOG_NONE,
	QTFS_LOG_ERROR,
	QTFS_LOG_WARN,
	QTFS_LOG_INFO,
	QTFS_LOG_DEBUG,
};

/* Written only through the parameter's set op, read with READ_ONCE(). */
extern int qtfs_log_level;

#define qtfs_log_on(lvl)	(READ_ONCE(qtfs_log_level) >= (lvl))

/* Print with @pr (pr_err, pr_warn_ratelimited, ...) if @lvl is enabled. */
#define qtfs_log(lvl, pr, fmt, ...)					\
	do {								\
		if (qtfs_log_on(lvl))					\
			pr(fmt, ##__VA_ARGS__);				\
	} while (0)

#endif /* _QTFS_LOG_H */
