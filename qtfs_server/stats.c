// SPDX-License-Identifier: GPL-2.0
/* The shared per-op statistics, compiled into this module. */
#include "../common/qtfs_stats.c"
