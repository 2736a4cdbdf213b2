// SPDX-License-Identifier: GPL-2.0
/* The shared path normaliser, compiled into this module. */
#include "../common/qtfs_path.c"
