// SPDX-License-Identifier: GPL-2.0
/* The shared trans, compiled into this module. */
#include "../common/qtfs_trans.c"
