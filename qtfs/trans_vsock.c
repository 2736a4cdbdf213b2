// SPDX-License-Identifier: GPL-2.0
/* common/qtfs_trans_vsock.c, compiled into this module (see Kbuild). */
#include "qtfs_trans_vsock.c"
