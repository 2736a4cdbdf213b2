// SPDX-License-Identifier: GPL-2.0
/* common/qtfs_stats.c, compiled into this module (see Kbuild). */
#include "qtfs_stats.c"
