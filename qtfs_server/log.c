// SPDX-License-Identifier: GPL-2.0
/* common/qtfs_log.c, compiled into this module (see Kbuild). */
#include "qtfs_log.c"
