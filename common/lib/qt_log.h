/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging of the userspace programs (engine, qtinfo, the coming udsproxyd
 * and rexec): one line per message, "<component>: <message>", on stderr or,
 * for a daemon, to syslog, chosen once at start.
 */
#ifndef QT_LOG_H
#define QT_LOG_H

#include <stdbool.h>

/* Levels, most severe first; messages above the set level are dropped. */
enum qt_log_level {
	QT_LOG_ERR,
	QT_LOG_WARN,
	QT_LOG_INFO,
	QT_LOG_DEBUG,
};

void qt_log_open(const char *component, bool use_syslog);
void qt_log_set_level(enum qt_log_level level);
void qt_log(enum qt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define qt_err(...)	qt_log(QT_LOG_ERR, __VA_ARGS__)
#define qt_warn(...)	qt_log(QT_LOG_WARN, __VA_ARGS__)
#define qt_info(...)	qt_log(QT_LOG_INFO, __VA_ARGS__)
#define qt_debug(...)	qt_log(QT_LOG_DEBUG, __VA_ARGS__)

#endif /* QT_LOG_H */
