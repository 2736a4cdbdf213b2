// SPDX-License-Identifier: GPL-2.0
/* common/qtfs_proto.c, compiled into this module (see Kbuild). */
#include "qtfs_proto.c"
