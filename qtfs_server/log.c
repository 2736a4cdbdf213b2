// SPDX-License-Identifier: GPL-2.0
/* The shared log level parameter, compiled into this module. */
#include "../common/qtfs_log.c"
