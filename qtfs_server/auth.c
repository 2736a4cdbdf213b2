// SPDX-License-Identifier: GPL-2.0
/* common/qtfs_auth.c, compiled into this module (see Kbuild). */
#include "qtfs_auth.c"
