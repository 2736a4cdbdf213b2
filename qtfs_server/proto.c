// SPDX-License-Identifier: GPL-2.0
/* The shared code, compiled into this module. */
#include "../common/qtfs_proto.c"
