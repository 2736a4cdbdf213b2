// SPDX-License-Identifier: GPL-2.0
/* common/qtfs_trans.c, compiled into this module (see Kbuild). */
#include "qtfs_trans.c"
