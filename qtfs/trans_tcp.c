// SPDX-License-Identifier: GPL-2.0
/* The shared trans tcp, compiled into this module. */
#include "../common/qtfs_trans_tcp.c"
