// SPDX-License-Identifier: GPL-2.0
/*
 * The qtfs_log_level module parameter: NONE, ERROR, WARN, INFO or DEBUG,
 * settable at load time and later through /sys/module/<module>/parameters/.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "qtfs_log.h"

static const char *const qtfs_log_names[] = {
	[QTFS_LOG_NONE] = "NONE",
	[QTFS_LOG_ERROR] = "ERROR",
	[QTFS_LOG_WARN] = "WARN",
	[QTFS_LOG_INFO] = "INFO",
	[QTFS_LOG_DEBUG] = "DEBUG",
};

int qtfs_log_level = QTFS_LOG_WARN;

static int qtfs_log_level_set(const char *val, const struct kernel_param *kp)
{
	char buf[8];
	int i;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		goto bad;
	strim(buf);
	for (i = 0; i < ARRAY_SIZE(qtfs_log_names); i++) {
		if (!strcasecmp(buf, qtfs_log_names[i])) {
			WRITE_ONCE(qtfs_log_level, i);
			return 0;
		}
	}
bad:
	pr_err("invalid qtfs_log_level '%s': use NONE, ERROR, WARN, INFO or DEBUG\n",
	       val);
	return -EINVAL;
}

static int qtfs_log_level_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  qtfs_log_names[READ_ONCE(qtfs_log_level)]);
}

static const struct kernel_param_ops qtfs_log_level_ops = {
	.set = qtfs_log_level_set,
	.get = qtfs_log_level_get,
};
module_param_cb(qtfs_log_level, &qtfs_log_level_ops, NULL, 0644);
MODULE_PARM_DESC(qtfs_log_level,
		 "log level: NONE, ERROR, WARN (default), INFO or DEBUG");
