// SPDX-License-Identifier: GPL-2.0
/* common/qtfs_path.c, compiled into this module (see Kbuild). */
#include "qtfs_path.c"
