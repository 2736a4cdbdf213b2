// SPDX-License-Identifier: GPL-2.0
/*
 * The one logger of the userspace programs (see qt_log.h).  Configure it
 * with qt_log_open() and qt_log_set_level() before starting threads; after
 * that qt_log() may be called from any thread, and a line is never
 * interleaved with another.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include "qt_log.h"

static const char *qt_log_component = "qtfs";
static bool qt_log_syslog;
static enum qt_log_level qt_log_level = QT_LOG_INFO;

static const int qt_log_prio[] = {
	[QT_LOG_ERR] = LOG_ERR,
	[QT_LOG_WARN] = LOG_WARNING,
	[QT_LOG_INFO] = LOG_INFO,
	[QT_LOG_DEBUG] = LOG_DEBUG,
};

/**
 * qt_log_open() - name the program and choose where lines go
 * @component:  prefix of every line (a string that outlives the logger)
 * @use_syslog: log to syslog (facility daemon) instead of stderr
 */
void qt_log_open(const char *component, bool use_syslog)
{
	qt_log_component = component;
	qt_log_syslog = use_syslog;
	if (use_syslog)
		openlog(component, LOG_PID, LOG_DAEMON);
}

/**
 * qt_log_set_level() - drop messages less severe than a level
 * @level: most verbose level still logged (default QT_LOG_INFO)
 */
void qt_log_set_level(enum qt_log_level level)
{
	qt_log_level = level;
}

/**
 * qt_log() - log one line
 * @level: its level
 * @fmt:   printf format of the message, without a trailing newline
 */
void qt_log(enum qt_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > qt_log_level)
		return;
	va_start(ap, fmt);
	if (qt_log_syslog) {
		vsyslog(qt_log_prio[level], fmt, ap);
	} else {
		flockfile(stderr);
		fprintf(stderr, "%s: ", qt_log_component);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
}
